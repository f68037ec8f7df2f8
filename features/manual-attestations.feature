@epic:sign-off @feature:attestations @manual
Feature: Requirements only a person can settle
  Sign-offs, reviews and trainings are not measured: a person attests them in
  attestations/<name>.yaml (items, who, when, evidence link). Until then these
  scenarios fail, and the release is not signed off. CI does not run them;
  the nightly run and `npx cutover signoff` do.

  @prd=comprehensive-deployment-system/phase-14-production-readiness/obtain-security-sign-off-94df
  Scenario: Security has signed off
    Then the attestation "security-sign-off" is on file

  @prd=comprehensive-deployment-system/phase-14-production-readiness/obtain-operational-sign-off-81e4
  Scenario: Operations has signed off
    Then the attestation "operational-sign-off" is on file

  @prd=comprehensive-deployment-system/phase-14-production-readiness/conduct-production-readiness-review-7262
  Scenario: A production readiness review was held
    Then the attestation "production-readiness-review" is on file

  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/conduct-team-training-sessions-2815
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/create-video-tutorials-for-key-workflows-725c
  Scenario: The team was trained on the key workflows, with recordings
    Then the attestation "team-training" is on file

  @prd=comprehensive-deployment-system/phase-14-production-readiness/review-all-security-configurations-8fae
  Scenario: A person reviewed the security configuration
    Then the attestation "security-configuration-review" is on file

  @prd=comprehensive-deployment-system/phase-14-production-readiness/review-and-optimize-costs-e525
  Scenario: A person reviewed what the deployment costs
    Then the attestation "cost-review" is on file

  @prd=deployment-engineering-guide/pre-deployment-checklist/code-review-approved-75ba
  Scenario: The release's changes were approved in code review
    Then the attestation "code-review-approval" is on file

  @prd=deployment-engineering-guide/pre-deployment-checklist/change-ticket-created-d57d
  @prd=deployment-engineering-guide/pre-deployment-checklist/on-call-engineer-notified-452c
  Scenario: A change ticket is open and the on-call engineer knows
    Then the attestation "change-ticket-opened" is on file

  @prd=deployment-engineering-guide/post-deployment/update-changelog-683e
  @prd=deployment-engineering-guide/post-deployment/document-any-issues-b98b
  @prd=deployment-engineering-guide/post-deployment/close-change-ticket-bb77
  Scenario: After the release, the changelog is updated, issues are written down and the ticket is closed
    Then the attestation "change-ticket-closed" is on file

  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/configure-branch-protection-rules-c5ae
  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/require-passing-ci-checks-before-merge-e76f
  Scenario: Main is protected: a merge needs the pull-request check to pass
    Then the attestation "branch-protection" is on file

  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/configure-deployment-environments-staging-prod-620a
  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/set-up-manual-approval-gates-1bd5
  Scenario: Staging and production environments exist, and a release to production waits for a reviewer
    Then the attestation "release-environments" is on file
