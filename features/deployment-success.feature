@epic:deployments @feature:deployment-success
Feature: Deployment success rate
  The PRDs' performance targets ask for more than 99% of deployments to
  succeed. Here a canary (k8s/canary/quick-canary.yaml: half the traffic, a
  2-second pause, full promotion) is deployed 100 times in a row, alternating
  two versions, under traffic: each deployment must become Healthy at its new
  version within its bound, and more than 99 of 100 means every one did. The
  report has each deployment's time and outcome as a chart. It runs on the
  local platform: on docker and a cluster each pod start costs seconds, and
  100 of them would be the run's longest scenario.

  @local-only
  @prd=comprehensive-deployment-system/performance-targets/deployment-success-rate-99-ab08
  Scenario: 100 canary deployments in a row under traffic: more than 99% become Healthy, and no request fails
    Given the rollout "quick-canary" from "k8s/canary/quick-canary.yaml" is healthy at "argoproj/rollouts-demo:blue"
    And 20 requests per second are sent to "quick-canary" for the whole scenario
    When rollout "quick-canary" is updated 100 times in a row, alternating "argoproj/rollouts-demo:green" and "argoproj/rollouts-demo:blue", each given 1 minute to become Healthy
    Then the deployment success rate of rollout "quick-canary" was above 99%
    And the traffic met "http_req_failed: rate==0"
