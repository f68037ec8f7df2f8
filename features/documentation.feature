@epic:documentation @feature:docs
Feature: The documentation is there, and what it shows is real
  Each document a team relies on covers what it must, and everything in it
  that can be run or opened is checked against the project: `npx cutover`
  command lines the CLI takes, `npm run` scripts package.json has, paths
  that exist, and Gherkin steps with exactly one definition.

  Scenario: The README is true
    Then every command, script, path and step that "README.md" shows is real

  @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/document-blue-green-workflow-96a8
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/document-canary-workflow-8554
  @prd=deployment-engineering-guide/pre-deployment-checklist/rollback-plan-documented-b50f
  Scenario: The blue-green and canary workflows and the rollback plan are written down
    Then "docs/workflows.md" has these sections:
      | Blue-green        |
      | Canary            |
      | The rollback plan |
    And every command, script, path and step that "docs/workflows.md" shows is real

  @prd=comprehensive-deployment-system/phase-14-production-readiness/create-runbook-for-common-operations-9d05
  @prd=comprehensive-deployment-system/phase-14-production-readiness/document-disaster-recovery-plan-9e8a
  @prd=comprehensive-deployment-system/phase-14-production-readiness/document-on-call-procedures-9ac0
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/create-operational-playbooks-997b
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/document-incident-response-procedures-834c
  Scenario: Operations have a runbook, playbooks per alert, incident response, on-call and disaster recovery
    Then "docs/operations.md" has these sections:
      | Runbook            |
      | Playbooks          |
      | Incident response  |
      | On-call            |
      | Disaster recovery  |
    And every command, script, path and step that "docs/operations.md, docs/monitoring.md" shows is real

  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/document-service-dependencies-3ddf
  Scenario: Every service's outside dependencies are written down, with the setting that names each and what the service does while it is away
    Then "docs/operations.md" lists the outside dependencies of every service, each by a setting its code reads

  @prd=helm-blue-green-production/documentation-updates/deployment-runbook-updated-61ca
  @prd=helm-blue-green-production/documentation-updates/monitoring-playbook-updated-1f15
  @prd=helm-blue-green-production/documentation-updates/troubleshooting-guide-updated-ce48
  @prd=helm-blue-green-production/documentation-updates/user-documentation-updated-5eae
  Scenario: The Helm blue-green procedure has its runbook, monitoring playbook, troubleshooting guide and user documentation
    Then "docs/helm-blue-green.md" has these sections:
      | User documentation    |
      | Deployment runbook    |
      | Rollback              |
      | Monitoring playbook   |
      | Troubleshooting guide |
    And every command, script, path and step that "docs/helm-blue-green.md" shows is real

  @prd=blue-green-system-tasks/task-7-3-documentation-deployment/create-user-documentation-e487
  @prd=blue-green-system-tasks/task-7-3-documentation-deployment/write-operational-runbooks-6ad3
  @prd=blue-green-system-tasks/task-7-3-documentation-deployment/create-troubleshooting-guides-63ba
  @prd=blue-green-system-tasks/task-7-3-documentation-deployment/document-configuration-options-8aa9
  @prd=blue-green-system-tasks/task-7-3-documentation-deployment/create-deployment-guides-30ac
  @prd=blue-green-system-tasks/task-7-3-documentation-deployment/add-monitoring-recommendations-2efe
  Scenario: Running cutover up and the docker platform is written down: how to use it, its API and options, a runbook, troubleshooting and what to watch
    Then "README.md" has these sections:
      | Running a rollout by hand: `npx cutover` |
    And "docs/operations.md" has these sections:
      | Running `cutover up`: restarts, resuming, a lost Docker daemon |
    And "docs/control-api.md" has these sections:
      | Finding it and being let in |
      | Routes                      |
      | Answers and errors          |
    And every command, script, path and step that "docs/control-api.md, docs/operations.md, docs/faq.md, docs/workflows.md" shows is real

  @prd=blue-green-system-tasks/task-8-3-security-hardening/create-security-documentation-f53d
  Scenario: What cutover exposes, keeps and checks is written down for a security review
    Then "docs/security.md" has these sections:
      | What cutover listens on |
      | Files it keeps          |
      | Docker                  |
      | Input                   |
      | Checked on every run    |
    And every command, script, path and step that "docs/security.md" shows is real

  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/create-developer-onboarding-guide-dfc2
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/document-local-development-setup-e978
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/create-contribution-guidelines-ad9b
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/document-code-review-process-ee94
  Scenario: A new developer finds onboarding, setup, contribution rules and the review checklist
    Then "docs/contributing.md" has these sections:
      | Your first day             |
      | Local development setup    |
      | How to contribute a change |
      | Code review                |
    And every command, script, path and step that "docs/contributing.md" shows is real

  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/document-architecture-decisions-adrs-0923
  Scenario: Architecture decisions are recorded
    Then every command, script, path and step that "docs/adr/README.md, docs/adr/0001-argo-rollouts-manifests-everywhere.md, docs/adr/0002-local-platform-emulates-argo-with-a-router.md, docs/adr/0003-steps-are-thin-over-an-engine.md, docs/adr/0004-no-traffic-is-inconclusive.md, docs/adr/0005-time-scale-for-waits-not-for-windows.md, docs/adr/0006-prd-traceability-by-tags.md" shows is real

  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/create-faq-document-41e3
  @prd=canary-readme-tasks/tasks/check-troubleshooting-md-for-common-issues-5e26
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/document-lessons-learned-db04
  @prd=canary-readme-tasks/tasks/document-learnings-and-optimizations-6b28
  Scenario: Common problems and lessons learned are written down
    Then every command, script, path and step that "docs/faq.md, docs/lessons-learned.md" shows is real

  @not-applicable
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/review-and-update-prd-md-1257
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/review-and-update-setup-guide-md-1224
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/review-and-update-blue-green-guide-a16d
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/review-and-update-canary-guide-md-177a
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/review-and-update-troubleshooting-md-4196
  Scenario: The Python originals' guide documents are not part of this project
    Then it does not apply here, because:
      """
      PRD.md, SETUP_GUIDE.md, the blue-green and canary guides and troubleshooting.md belong to the
      Python originals. This project is given its requirement documents read-only (../shared/prd,
      never copied), and its own guides are the ones this feature checks: docs/workflows.md for the
      blue-green and canary procedures, docs/faq.md for troubleshooting, docs/contributing.md for
      setup.
      """
