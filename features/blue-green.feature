@epic:deployments @feature:blue-green
@prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/apply-blue-green-rollout-manifest-d5d7
@prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/apply-active-service-manifest-3caf
@prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/apply-preview-service-manifest-c92f
@prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/verify-rollout-resource-is-created-434d
@prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/deploy-initial-version-to-blue-environment-5ac3
@prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/verify-blue-environment-health-checks-pass-79f1
@prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/monitor-rollout-status-d013
Feature: Blue-green release of TinyURL
  The new version (green) comes up behind tinyurl-preview while tinyurl, the
  active Service, keeps every request on the current one (blue). A smoke
  analysis checks the preview; the switch moves all traffic at once; blue stays
  up for the scale-down delay (30 seconds, scaled by the profile) so that going
  back is instant. Traffic is 500 requests per second, every one counted.

  Background:
    Given the manifests "k8s/analysis" are applied

  @severity:critical
  @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/trigger-new-deployment-to-green-environment-0556
  @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/test-preview-service-endpoint-d1d8
  @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/verify-traffic-routing-to-preview-service-ffcd
  @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/test-manual-promotion-process-ab6d
  @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/verify-traffic-switches-to-green-environment-d06c
  @prd=comprehensive-deployment-system/success-criteria/zero-downtime-deployments-b405
  @prd=canary-readme-tasks/tasks/blue-green-deployment-zero-downtime-strategy-ed9d
  @prd=canary-readme-tasks/tasks/zero-downtime-deployments-validated-cc4d
  @prd=blue-green-system-tasks/task-7-2-system-integration-testing/performance-testing-under-load-e634
  Scenario: An operator verifies the preview, then switches 500 requests per second with none failing
    Given the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And 500 requests per second are sent to "tinyurl" for the whole scenario with these requests:
      | method | path    | status |
      | GET    | /       | 200    |
      | GET    | /health | 200    |
    And short links are created in "tinyurl" at 20 requests per second for the whole scenario
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is "Paused" within 1 minute
    And every analysis run of rollout "tinyurl" is "Successful"
    And 20 requests to "tinyurl-preview" are all answered by "cutover/tinyurl:v2"
    And "cutover/tinyurl:v1" served at least 100% of the requests during the rollout
    When rollout "tinyurl" is promoted
    Then rollout "tinyurl" is "Healthy" within 1 minute
    And all traffic is served by "cutover/tinyurl:v2" within 1 second of the switch
    And the traffic met "http_req_failed: rate==0" and "checks: rate==1"
    And the traffic during the whole scenario never went 1 second without a successful answer
    And every short link created during the scenario still resolves

  @prd=blue-green-system-tasks/task-8-1-error-handling-resilience/create-emergency-stop-mechanisms-a8e8
  Scenario: An operator rejects the preview: aborting leaves every request on blue
    Given the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And 500 requests per second are sent to "tinyurl" for the whole scenario
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is "Paused" within 1 minute
    When rollout "tinyurl" is aborted
    Then rollout "tinyurl" is "Degraded" within 1 minute
    When the traffic runs on for 2 seconds
    Then "cutover/tinyurl:v2" served at most 0% of the requests during the whole scenario
    And the traffic met "http_req_failed: rate==0"

  @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/verify-scale-down-delay-works-correctly-c4b4
  Scenario: The preview is promoted on its own after 30 seconds, and blue honours its scale-down delay
    Given the rollout "tinyurl" from "k8s/blue-green/tinyurl-auto.yaml" is healthy at "cutover/tinyurl:v1"
    And 500 requests per second are sent to "tinyurl" for the whole scenario
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is "Healthy" within 2 minutes
    And rollout "tinyurl" was promoted automatically 30 seconds after its preview was ready
    And all traffic is served by "cutover/tinyurl:v2" within 1 second of the switch
    And the previous stack of rollout "tinyurl" was scaled down 30 seconds after the switch
    And the traffic met "http_req_failed: rate==0"
    And the traffic during the whole scenario never went 1 second without a successful answer

  @severity:critical
  @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/test-rollback-to-blue-environment-274e
  @prd=comprehensive-deployment-system/performance-targets/rollback-time-5min-612a
  Scenario: A switched release is rolled back to blue at once, while blue is still up
    Given the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And 500 requests per second are sent to "tinyurl" for the whole scenario
    And short links are created in "tinyurl" at 20 requests per second for the whole scenario
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is "Paused" within 1 minute
    When rollout "tinyurl" is promoted
    Then rollout "tinyurl" is "Healthy" within 1 minute
    When rollout "tinyurl" is undone
    Then rollout "tinyurl" is "Healthy" within 1 minute
    And all traffic is served by "cutover/tinyurl:v1" within 1 second of the switch
    And the traffic met "http_req_failed: rate==0"
    And the traffic during the whole scenario never went 1 second without a successful answer
    And every short link created during the scenario still resolves
