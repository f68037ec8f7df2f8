@epic:resilience @feature:chaos
Feature: Chaos: faults injected into the running services, and what users see
  Experiments are Chaos Mesh manifests in chaos/, so the same files apply to
  a cluster running Chaos Mesh; the local platform injects them into its
  processes. Each scenario holds a steady state before, during and after the
  fault (traffic counted, thresholds on every window) and ends with the
  integrity check: every acknowledged write is still there.

  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/execute-chaos-engineering-tests-e01c
  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/test-pod-failures-and-recovery-6ef4
  Scenario: A TinyURL pod is killed under load: the Service keeps answering, the pod comes back, nothing is lost
    Given the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And 100 requests per second are sent to "tinyurl" for the whole scenario
    And short links are created in "tinyurl" at 20 requests per second for the whole scenario
    When the traffic runs on for 2 seconds
    And the chaos experiment "chaos/tinyurl-pod-kill.yaml" is applied
    Then every pod of rollout "tinyurl" is ready again within 30 seconds
    When the traffic runs on for 2 seconds
    Then the traffic met "http_req_failed: rate<0.01"
    And every short link created during the scenario still resolves
