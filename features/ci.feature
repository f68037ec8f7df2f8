@epic:sign-off @feature:ci
Feature: The pipeline and the release decision
  cutover's GitHub workflows (.github/workflows) run only on GitHub, so they
  are checked here against the project and by actionlint; the jobs they run
  (lint, unit tests, the security scan) run here too. The release decision
  (`npx cutover signoff`) turns a night's runs, the PRD coverage and the
  attestations into GO or NO-GO with a bundle of evidence that can be
  verified later. docs/ci.md describes both.

  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/navigate-to-github-workflows-directory-fe31
  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/review-ci-cd-yml-workflow-configuration-52ee
  @prd=canary-readme-tasks/tasks/complete-ci-cd-pipeline-operational-5249
  Scenario: The workflows are valid for GitHub and name only scripts, profiles, features and commands that exist
    Then the tests in "support/toolchain/test" named like "^(the project's workflows name only|actionlint finds nothing|a broken workflow)" pass, at least 3 of them

  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/test-pull-request-workflow-4268
  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/verify-automated-builds-on-pr-be74
  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/add-kubernetes-cluster-credentials-8dca
  Scenario: A pull request runs lint, typecheck, the unit tests and the fast features; the nightly runs every platform (its cluster's credentials its own, for the job only) and signs off
    Then the tests in "support/toolchain/test" named like "^(pull requests run lint|the nightly runs every platform)" pass, at least 2 of them

  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/test-lint-job-execution-dcc7
  Scenario: The lint job: the project lints clean and is in its format, and the rules catch what they are for
    Then the tests in "support/toolchain/test" named like "^(the project lints clean|the lint flags|the services' code gets the security rules|the format)" pass, at least 4 of them

  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/test-unit-test-job-execution-64f6
  Scenario: The unit test job: a folder's tests run to the end under Node's test runner, counted
    Then the unit tests in "support/signoff/test, support/prd/test" all pass, at least 12 of them

  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/test-security-scan-job-execution-54e3
  Scenario: The security scan job: the services scan clean, and the scan finds what it is for
    Then the unit tests in "support/security/test" all pass, at least 2 of them

  @prd=deployment-engineering-guide/pre-deployment-checklist/all-tests-passing-unit-integration-e2e-a8c4
  Scenario: The release is GO only when every required scenario passed, no SLO was breached, coverage is complete and the manual items are attested
    Then the unit tests in "support/signoff/test" all pass, at least 6 of them

  @prd=canary-readme-tasks/tasks/validate-success-criteria-at-each-phase-46c4
  Scenario: The sign-off validates each PRD phase: only when every item in it was proven by a passed scenario, attested, or does not apply
    Then the tests in "support/signoff/test" named like "^(phases: one is validated|the bundle:)" pass, at least 2 of them

  @prd=canary-readme-tasks/tasks/create-github-issue-with-detailed-information-464f
  Scenario: A night that fails is filed as a GitHub issue with what a maintainer needs, and failing the same way again is a comment on it
    Then the tests in "support/signoff/test" named like "^the (failure issue|CLI prints the title)" pass, at least 4 of them
    And the tests in "support/world/test" named like "^an impossible expectation fails" pass, at least 1 of them
    And the tests in "support/toolchain/test" named like "^the nightly runs every platform" pass, at least 1 of them

  @not-applicable
  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/configure-github-actions-secrets-56a4
  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/add-docker-hub-credentials-58a8
  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/test-deployment-on-merge-to-main-85e6
  Scenario: The pipeline pushes nothing and deploys nowhere
    Then it does not apply here, because:
      """
      cutover verifies deployments; its pipeline does not make one. The service images are built
      on the runner and run there, never pushed, so there are no registry credentials; the only
      token is the run's own, read-only but for filing what failed as an issue; a merge to main
      runs the pull-request workflow again rather than deploying. The secrets and the deployment job belong to the pipelines of the
      applications cutover verifies.
      """

  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/document-ci-cd-pipeline-ade9
  Scenario: The pipeline and the sign-off are written down, and what the page shows is real
    Then "docs/ci.md" has these sections:
      | Pull requests    |
      | Nightly          |
      | Setting it up    |
      | Release sign-off |
    And every command, script, path and step that "docs/ci.md" shows is real
