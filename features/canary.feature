@epic:deployments @feature:canary
@prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/create-prometheus-analysis-templates-f193
@prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/configure-success-rate-analysis-7cf9
@prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/configure-error-rate-analysis-9a98
@prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/configure-latency-analysis-9379
@prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/apply-canary-rollout-manifest-f172
@prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/verify-rollout-resource-is-created-434d
@prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/deploy-initial-stable-version-4670
Feature: Canary release of TinyURL
  A new TinyURL version takes 10%, 25%, 50% and 75% of the traffic, two
  minutes at each weight (scaled by the profile's time scale), while
  success-rate, error-rate and latency analysis run against the canary pods in
  Prometheus. A version that breaches any of them is rolled back on its own.

  Background:
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/canary/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And 200 requests per second are sent to "tinyurl" for the whole scenario with these requests:
      | method | path    | status |
      | GET    | /       | 200    |
      | GET    | /health | 200    |
    And short links are created in "tinyurl" at 20 requests per second for the whole scenario

  @severity:critical
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/trigger-canary-deployment-c03a
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/monitor-10-traffic-phase-2min-pause-c928
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/verify-prometheus-metrics-collection-8a31
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/monitor-analysis-template-execution-5f22
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/verify-automatic-progression-to-25-1971
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/monitor-25-traffic-phase-47ce
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/verify-automatic-progression-to-50-fa79
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/monitor-50-traffic-phase-d266
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/verify-automatic-progression-to-75-4af2
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/monitor-75-traffic-phase-ecf7
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/verify-final-promotion-to-100-cb40
  @prd=comprehensive-deployment-system/success-criteria/successful-blue-green-and-canary-rollouts-0698
  @prd=deployment-engineering-guide/during-deployment/verify-traffic-routing-0865
  @prd=deployment-engineering-guide/during-deployment/test-critical-user-flows-00d4
  @prd=canary-readme-tasks/tasks/canary-deployment-progressive-rollout-10-25-fe26
  @prd=deployment-engineering-guide/post-deployment/check-application-logs-5004
  Scenario: A healthy canary is promoted step by step
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is "Healthy" within 12 minutes
    And rollout "tinyurl" passed through canary weights 10, 25, 50, 75, 100
    And every analysis run of rollout "tinyurl" is "Successful"
    When the traffic runs on for 3 seconds
    Then "cutover/tinyurl:v2" served at least 99% of the requests after the rollout
    And the traffic met "http_req_failed: rate<0.001" and "checks: rate>0.999"
    And the traffic during the rollout met "http_req_duration: p(95)<50"
    And every short link created during the scenario still resolves
    And no pod of rollout "tinyurl" logged at level "error" or above

  @severity:critical
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/test-automated-rollback-on-metric-failure-01b2
  @prd=comprehensive-deployment-system/success-criteria/automated-rollback-on-failure-734b
  @prd=comprehensive-deployment-system/performance-targets/rollback-time-5min-612a
  @prd=canary-readme-tasks/tasks/automated-rollback-tested-successfully-9454
  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/test-rollback-automation-eef9
  @prd=blue-green-system-tasks/task-5-2-deployment-orchestration/create-deployment-failure-recovery-d8bc
  Scenario Outline: A canary that fails its <analysis> analysis is rolled back
    When the image of rollout "tinyurl" is set to "<image>"
    Then rollout "tinyurl" is "Degraded" within 3 minutes
    And an analysis run of rollout "tinyurl" is "Failed"
    And all traffic is served by "cutover/tinyurl:v1" within 5 seconds of the abort
    And "cutover/tinyurl:v2" served at most 0% of the requests after the abort
    And the traffic after the abort met "http_req_failed: rate<0.001"
    And every short link created during the scenario still resolves

    Examples:
      | analysis                  | image                     |
      | success-rate, error-rate  | cutover/tinyurl:v2-faulty |
      | latency                   | cutover/tinyurl:v2-slow   |

  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/apply-stable-service-manifest-f6c4
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/apply-canary-service-manifest-4edf
  Scenario: An operator promotes a canary past its pauses, then aborts the next one
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is paused at a canary weight of 10% within 1 minute
    And 10 requests to "tinyurl-stable" are all answered by "cutover/tinyurl:v1"
    And 10 requests to "tinyurl-canary" are all answered by "cutover/tinyurl:v2"
    When rollout "tinyurl" is promoted
    Then rollout "tinyurl" is paused at a canary weight of 25% within 1 minute
    When rollout "tinyurl" is aborted
    Then rollout "tinyurl" is "Degraded" within 1 minute
    And all traffic is served by "cutover/tinyurl:v1" within 5 seconds of the abort
    And rollout "tinyurl" passed through canary weights 10, 25, 0
    When rollout "tinyurl" is retried
    And rollout "tinyurl" is fully promoted
    Then rollout "tinyurl" is "Healthy" within 2 minutes
    When the traffic runs on for 3 seconds
    Then the traffic after the rollout met "http_req_failed: rate<0.001"
    And every short link created during the scenario still resolves
