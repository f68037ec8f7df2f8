@epic:resilience @feature:chaos
Feature: Chaos: faults injected into the running services, and what users see
  Experiments are Chaos Mesh manifests in chaos/ (PodChaos, NetworkChaos,
  StressChaos), so the same files apply to a cluster running Chaos Mesh; the
  local platform injects them into its processes and, for network faults,
  into fault proxies between the components. Where a scenario states a
  steady state, it is checked before the fault, every half second while it
  acts and after it, and the time to recover is measured. Each scenario ends
  with the integrity check: every acknowledged write is still there.
  The scenarios tagged on-cluster run on a Kubernetes cluster too (CI's): pod-kill and
  pod-failure go through the Kubernetes API where Chaos Mesh is not installed
  (support/chaos/kubernetes.ts); the network, stress and external-dependency
  experiments need Chaos Mesh there.

  @on-cluster
  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/execute-chaos-engineering-tests-e01c
  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/test-pod-failures-and-recovery-6ef4
  Scenario: A TinyURL pod is killed under load: the error rate stays bounded, the recovery is measured, nothing is lost
    # Its prePromotionAnalysis names the smoke template: a cluster refuses the Rollout without it.
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And 100 requests per second are sent to "tinyurl" for the whole scenario
    And short links are created in "tinyurl" at 20 requests per second for the whole scenario
    And the steady state of "tinyurl" holds:
      | http_req_failed: rate<0.01   |
      | http_req_duration: p(95)<100 |
    When the chaos experiment "chaos/tinyurl-pod-kill.yaml" is applied
    Then every pod of rollout "tinyurl" is ready again within 30 seconds
    And the steady state is restored within 10 seconds
    And the traffic met "http_req_failed: rate<0.01"
    And every short link created during the scenario still resolves

  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/test-network-partitions-aea8
  @prd=blue-green-system-tasks/task-8-1-error-handling-resilience/create-graceful-degradation-modes-abda
  Scenario: TinyURL is cut off from its Redis cache: redirects stay right, from SQLite, and the cache comes back
    Given a Redis server is running as the external host "redis"
    And the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1", with the environment:
      | REDIS_URL | redis://redis:6379 |
    # The pods really read through Redis (on docker, through the socket mounted into the container).
    When I send POST "/shorten" to "tinyurl" with:
      """
      {"url": "http://127.0.0.1/cutover-docs/before-the-partition"}
      """
    And I remember the response field "code" as "code"
    And I send GET "/{code}" to "tinyurl"
    Then the response status is 302
    And the Redis "redis" caches the short link "{code}" for "http://127.0.0.1/cutover-docs/before-the-partition"
    Given 100 requests per second are sent to "tinyurl" for the whole scenario
    And short links are created in "tinyurl" at 20 requests per second for the whole scenario
    And the steady state of "tinyurl" holds:
      | http_req_failed: rate<0.01   |
      | http_req_duration: p(95)<100 |
    When the chaos experiment "chaos/tinyurl-redis-partition.yaml" is applied
    And the traffic runs on for 2 seconds
    Then every short link created during the scenario still resolves
    And the steady state held while the chaos acted
    And the steady state is restored within 10 seconds
    And every short link created during the scenario still resolves

  @on-cluster
  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/test-pod-failures-and-recovery-6ef4
  Scenario: The canary loses its pods mid-rollout: no more traffic moves to it while they are down, and it recovers or aborts
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/canary/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And 100 requests per second are sent to "tinyurl" for the whole scenario
    And short links are created in "tinyurl" at 20 requests per second for the whole scenario
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is paused at a canary weight of 10% within 1 minute
    When the chaos experiment "chaos/tinyurl-canary-pod-kill.yaml" is applied
    Then rollout "tinyurl" completes or aborts as its analysis decides within 12 minutes
    And rollout "tinyurl" never raised the canary weight while a pod hit by the chaos was down
    And the traffic met "http_req_failed: rate<0.01"
    And every short link created during the scenario still resolves

  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/execute-chaos-engineering-tests-e01c
  Scenario: Latency injected between the Service and the canary pods makes the latency analysis abort the canary
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/canary/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And 100 requests per second are sent to "tinyurl" for the whole scenario
    And short links are created in "tinyurl" at 20 requests per second for the whole scenario
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is paused at a canary weight of 10% within 1 minute
    When the chaos experiment "chaos/tinyurl-canary-latency.yaml" is applied
    Then rollout "tinyurl" is "Degraded" within 3 minutes
    And an analysis run of rollout "tinyurl" is "Failed"
    And rollout "tinyurl" passed through canary weights 10, 0
    And all traffic is served by "cutover/tinyurl:v1" within 5 seconds of the abort
    When the traffic runs on for 3 seconds
    Then the traffic to "tinyurl" after the abort met these thresholds:
      | http_req_duration: p(95)<50 |
      | http_req_failed: rate<0.001 |
    And every short link created during the scenario still resolves

  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/execute-chaos-engineering-tests-e01c
  Scenario: A noisy neighbour stresses CPU and memory beside the TinyURL pods: no request fails, and the latency comes back after
    Given the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And 100 requests per second are sent to "tinyurl" for the whole scenario
    And short links are created in "tinyurl" at 20 requests per second for the whole scenario
    And the steady state of "tinyurl" holds:
      | http_req_failed: rate<0.01   |
      | http_req_duration: p(95)<100 |
    When the chaos experiment "chaos/tinyurl-stress.yaml" is applied
    Then the steady state is restored within 10 seconds
    And the traffic met "http_req_failed: rate<0.001"
    And every short link created during the scenario still resolves

  @on-cluster
  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/test-pod-failures-and-recovery-6ef4
  @prd=blue-green-system-tasks/task-3-2-health-check-integration/implement-health-check-failure-handling-c42d
  Scenario: A Newsfeed pod hangs while readers like articles: the Service routes around it, and every acknowledged like is kept
    Given the manifests "k8s/analysis" are applied
    And the rollout "newsfeed" from "k8s/blue-green/newsfeed.yaml" is healthy at "cutover/newsfeed:v1"
    And articles are liked in "newsfeed" at 20 requests per second for the whole scenario
    And 50 requests per second are sent to "newsfeed" for the whole scenario with these requests:
      | method | path                               | status |
      | GET    | /api/newsfeed?user=reader&limit=20 | 200    |
    And the steady state of "newsfeed" holds:
      | http_req_failed: rate<0.01   |
      | http_req_duration: p(95)<100 |
    When the chaos experiment "chaos/newsfeed-pod-failure.yaml" is applied
    Then the steady state is restored within 10 seconds
    And every like given during the scenario is still there

  @on-cluster
  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/test-pod-failures-and-recovery-6ef4
  Scenario: The Docs service restarts while two people edit: no acknowledged edit is lost, and the editors converge after reconnecting
    Given the manifests "k8s/analysis" are applied
    And the rollout "docs" from "k8s/blue-green/docs.yaml" is healthy at "cutover/docs:v1"
    And "ann" and "bob" edit one document in the Docs editor of "docs"
    When they keep typing
    And they type on for 2 seconds
    And the chaos experiment "chaos/docs-restart.yaml" is applied
    Then every pod of rollout "docs" is ready again within 30 seconds
    When they type on for 2 seconds
    And they stop typing
    Then both editors show the document's text within 15 seconds, with every typed word in it exactly once
    And each editor reconnected at least once
    And every edit acknowledged to the editors is in the document's history as it was acknowledged
