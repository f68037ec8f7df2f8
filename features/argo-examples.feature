@epic:deployments @feature:argo-examples
Feature: Argo Rollouts' published examples run unchanged
  The manifests in k8s/examples are Argo Rollouts' own demo rollouts of
  argoproj/rollouts-demo (a colour per image tag): the getting-started canary,
  a blue-green with a manual gate, and a canary with a Job step analysis (a
  coin flip) and a background web metric. They run as published, and the
  verification is the same as for our own services.

  Scenario: The getting-started canary walks 20, 40, 60, 80 % with a manual gate at 20 %
    Given the rollout "rollouts-demo" from "k8s/examples/rollouts-demo-canary.yaml" is healthy at "argoproj/rollouts-demo:blue"
    And 100 requests per second are sent to "rollouts-demo" for the whole scenario with these requests:
      | method | path   | status |
      | GET    | /color | 200    |
    When the image of rollout "rollouts-demo" is set to "argoproj/rollouts-demo:yellow"
    Then rollout "rollouts-demo" is paused at a canary weight of 20% within 1 minute
    And "argoproj/rollouts-demo:yellow" served at most 30% of the requests during the rollout
    When rollout "rollouts-demo" is promoted
    Then rollout "rollouts-demo" is "Healthy" within 2 minutes
    And rollout "rollouts-demo" passed through canary weights 20, 40, 60, 80, 100
    When the traffic runs on for 2 seconds
    Then "argoproj/rollouts-demo:yellow" served at least 99% of the requests after the rollout
    And the traffic met "http_req_failed: rate==0" and "checks: rate==1"

  Scenario: The blue-green example serves green on its preview, then switches with none failing
    Given the rollout "rollouts-demo-bluegreen" from "k8s/examples/rollouts-demo-bluegreen.yaml" is healthy at "argoproj/rollouts-demo:blue"
    And 100 requests per second are sent to "rollouts-demo-bluegreen-active" for the whole scenario
    When the image of rollout "rollouts-demo-bluegreen" is set to "argoproj/rollouts-demo:green"
    Then rollout "rollouts-demo-bluegreen" is "Paused" within 1 minute
    And 10 requests to "rollouts-demo-bluegreen-preview" are all answered by "argoproj/rollouts-demo:green"
    And "argoproj/rollouts-demo:green" served at most 0% of the requests during the rollout
    When rollout "rollouts-demo-bluegreen" is promoted
    Then rollout "rollouts-demo-bluegreen" is "Healthy" within 1 minute
    And all traffic is served by "argoproj/rollouts-demo:green" within 1 second of the switch
    And the traffic met "http_req_failed: rate==0"

  Scenario: The analysis example promotes or rolls back as its coin flip decides
    Given the rollout "rollouts-demo-analysis" from "k8s/examples/rollouts-demo-analysis.yaml" is healthy at "argoproj/rollouts-demo:blue"
    And 50 requests per second are sent to "rollouts-demo-analysis" for the whole scenario
    When the image of rollout "rollouts-demo-analysis" is set to "argoproj/rollouts-demo:purple"
    Then rollout "rollouts-demo-analysis" completes or aborts as its analysis decides within 3 minutes
    And the traffic met "http_req_failed: rate==0"
