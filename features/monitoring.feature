@epic:observability @feature:monitoring
Feature: Monitoring: the project's Prometheus rules and Grafana dashboards on live services
  The recording and alert rules in k8s/monitoring/rules and the Grafana
  dashboards in k8s/monitoring/dashboards, loaded into a real Prometheus that
  scrapes every replica, the routers and the rollout metrics (named as the Argo
  Rollouts controller names them). `npm test` runs `promtool check rules`
  and `promtool test rules` on the same files and checks that every
  dashboard query names only metrics something exports; here they meet real
  traffic. Alert `for:` durations are scaled by the profile's time scale;
  rate windows stay real time, so alerts resolve about a minute after the
  cause goes away.

  @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/install-prometheus-for-metrics-63ea
  @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/configure-prometheus-to-scrape-services-27f0
  @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/set-up-prometheus-service-monitor-e16e
  @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/set-up-prometheus-service-monitor-e16e
  @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/set-up-prometheus-service-monitor-e16e
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/verify-all-service-targets-are-discovered-a566
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/configure-alert-rules-for-service-health-0f14
  @prd=deployment-engineering-guide/during-deployment/check-pod-health-afca
  @prd=deployment-engineering-guide/post-deployment/verify-all-pods-healthy-015e
  @prd=blue-green-system-tasks/task-8-2-observability-monitoring/implement-metrics-collection-93fe
  Scenario: Prometheus scrapes every replica of every service, the routers and the rollout metrics
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And the rollout "newsfeed" from "k8s/blue-green/newsfeed.yaml" is healthy at "cutover/newsfeed:v1"
    And the rollout "docs" from "k8s/blue-green/docs.yaml" is healthy at "cutover/docs:v1"
    And Prometheus monitors the platform with the rules in "k8s/monitoring/rules"
    Then Prometheus scrapes every replica of every rollout and the routers within 30 seconds
    And every rule loaded is evaluated without error within 30 seconds
    And no alert is pending or firing

  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/create-prometheus-recording-rules-3bb8
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/test-prometheus-query-language-promql-95ad
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/import-argocd-rollouts-dashboard-2069
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/create-custom-dashboard-for-tinyurl-service-52d5
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/create-custom-dashboard-for-newsfeed-service-4552
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/create-custom-dashboard-for-google-docs-1d3f
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/configure-dashboard-panels-for-traffic-metrics-0b9a
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/configure-dashboard-panels-for-error-rates-333e
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/configure-dashboard-panels-for-latency-percentiles-4ed3
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/set-up-dashboard-alerts-6d52
  @prd=deployment-engineering-guide/pre-deployment-checklist/monitoring-dashboards-updated-1c8d
  @prd=deployment-engineering-guide/during-deployment/monitor-resource-usage-0f7b
  @prd=canary-readme-tasks/tasks/monitoring-system-prometheus-and-grafana-integration-83d2
  @prd=blue-green-system-tasks/task-8-2-observability-monitoring/create-monitoring-dashboards-a58e
  Scenario: Every dashboard panel shows real data while a canary runs
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/canary/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And the rollout "newsfeed" from "k8s/blue-green/newsfeed.yaml" is healthy at "cutover/newsfeed:v1"
    And the rollout "docs" from "k8s/blue-green/docs.yaml" is healthy at "cutover/docs:v1"
    And Prometheus monitors the platform with the rules in "k8s/monitoring/rules"
    And 40 requests per second are sent to "tinyurl" for the whole scenario with these requests:
      | method | path | status |
      | GET    | /    | 200    |
    And 20 requests per second are sent to "newsfeed" for the whole scenario with these requests:
      | method | path                               | status |
      | GET    | /api/newsfeed?user=reader&limit=20 | 200    |
    And 20 requests per second are sent to "docs" for the whole scenario with these requests:
      | method | path | status |
      | GET    | /    | 200    |
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is paused at a canary weight of 10% within 1 minute
    And every query of the dashboards in "k8s/monitoring/dashboards" returns data within 1 minute
    And the dashboards in "k8s/monitoring/dashboards" draw the thresholds of the rules in "k8s/monitoring/rules"
    And the traffic to "tinyurl" met "http_req_failed: rate<0.001"

  @prd=canary-readme-tasks/tasks/request-rate-requests-per-second-9a4d
  @prd=canary-readme-tasks/tasks/error-rate-4xx-5xx-responses-4646
  @prd=canary-readme-tasks/tasks/response-time-p50-p95-p99-cca9
  @prd=canary-readme-tasks/tasks/active-connections-a107
  @prd=canary-readme-tasks/tasks/queue-depth-224a
  @prd=canary-readme-tasks/tasks/cpu-utilization-per-pod-956a
  @prd=canary-readme-tasks/tasks/memory-utilization-per-pod-02f6
  @prd=canary-readme-tasks/tasks/disk-i-o-operations-1db2
  @prd=canary-readme-tasks/tasks/network-throughput-f88b
  @prd=canary-readme-tasks/tasks/pod-restart-count-99b3
  @prd=canary-readme-tasks/tasks/rollout-duration-9e79
  @prd=canary-readme-tasks/tasks/rollout-success-rate-1edf
  @prd=canary-readme-tasks/tasks/rollback-frequency-18d7
  @prd=canary-readme-tasks/tasks/analysis-template-results-7bd2
  @prd=canary-readme-tasks/tasks/traffic-distribution-1beb
  @prd=blue-green-system-tasks/task-5-2-deployment-orchestration/implement-deployment-metrics-collection-ba0e
  Scenario: Every metric the canary README lists is collected, per pod where it says so, while a canary runs
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/canary/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And Prometheus monitors the platform with the rules in "k8s/monitoring/rules"
    And 40 requests per second are sent to "tinyurl" for the whole scenario with these requests:
      | method | path          | status |
      | GET    | /             | 200    |
      | GET    | /no-such-code | 404    |
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is paused at a canary weight of 10% within 1 minute
    And Prometheus answers these queries with data within 1 minute:
      | metric                       | query                                                                                                                                                                                         | series |
      | request rate                 | service_version:http_requests:rate1m{service="tinyurl"}                                                                                                                                       | 2      |
      | 4xx and 5xx rate             | sum by (status) (rate(http_requests_total{service="tinyurl",status=~"4..\|5.."}[1m]))                                                                                                         | 1      |
      | response time p50, p95, p99  | {__name__=~"service:http_request_duration_seconds:p(50\|95\|99)_1m",service="tinyurl"}                                                                                                         | 3      |
      | active connections per pod   | http_open_connections{service="tinyurl"}                                                                                                                                                      | 3      |
      | queue depth per pod          | http_requests_in_flight{service="tinyurl"}                                                                                                                                                    | 3      |
      | CPU per pod                  | rate(container_cpu_usage_seconds_total{container="tinyurl"}[1m])                                                                                                                              | 3      |
      | memory per pod               | container_memory_working_set_bytes{container="tinyurl"}                                                                                                                                       | 3      |
      | disk I/O per pod             | rate(container_fs_writes_bytes_total{container="tinyurl"}[1m]) + on(pod) rate(container_fs_reads_bytes_total{container="tinyurl"}[1m])                                                          | 3      |
      | network throughput           | sum by (direction) (rate(cutover_router_backend_bytes_total{service="tinyurl"}[1m]))                                                                                                          | 2      |
      | pod restarts                 | kube_pod_container_status_restarts_total{container="tinyurl"}                                                                                                                                 | 3      |
      | rollout duration             | cutover_rollout_duration_seconds_count{name="tinyurl",outcome="completed"}                                                                                                                    | 1      |
      | rollout success rate         | sum(increase(rollout_events_total{name="tinyurl",reason="RolloutCompleted"}[1d])) / (sum(increase(rollout_events_total{name="tinyurl",reason="RolloutCompleted"}[1d])) + (sum(increase(rollout_events_total{name="tinyurl",reason="RolloutAborted"}[1d])) or vector(0))) | 1      |
      | rollbacks                    | sum(increase(rollout_events_total{name="tinyurl",reason=~"RolloutAborted\|RolloutUndo"}[1d])) or vector(0)                                                                                     | 1      |
      | analysis results             | analysis_run_info{name=~"tinyurl-.*"}                                                                                                                                                         | 1      |
      | traffic distribution         | service_group:router_weight:max{service="tinyurl"}                                                                                                                                            | 2      |

  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/access-prometheus-ui-2102
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/configure-alert-rules-for-error-rates-2795
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/configure-alert-rules-for-latency-5450
  @prd=deployment-engineering-guide/during-deployment/monitor-error-rates-1191
  @prd=deployment-engineering-guide/during-deployment/watch-latency-metrics-1ff6
  @prd=canary-readme-tasks/tasks/review-prometheus-alerts-71e9
  @prd=blue-green-system-tasks/task-8-2-observability-monitoring/add-alerting-capabilities-1db3
  @prd=comprehensive-deployment-system/phase-14-production-readiness/set-up-alerting-escalation-policy-65f9
  @prd=comprehensive-deployment-system/phase-10-argocd-integration/set-up-slack-email-webhook-alerts-92b9
  Scenario Outline: <alert> fires when a release breaches the <limit>, reaches <told> through Alertmanager, and resolves after the rollback
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/blue-green/tinyurl-auto.yaml" is healthy at "cutover/tinyurl:v1"
    And Alertmanager routes the alerts by "k8s/monitoring/alertmanager/alertmanager.yml", to receivers this scenario records
    And Prometheus monitors the platform with the rules in "k8s/monitoring/rules"
    And 50 requests per second are sent to "tinyurl" for the whole scenario
    And no alert is pending or firing
    When the image of rollout "tinyurl" is set to "<image>"
    Then rollout "tinyurl" is "Healthy" within 1 minute
    And the alert "<alert>" fires for "tinyurl" within 90 seconds
    And Prometheus' alerts page in a browser shows "<alert>" firing
    # The escalation policy: critical pages the on-call engineer and tells the chat; a warning, the chat only.
    And the receivers told that "<alert>" fires are "<told>" within 1 minute
    When rollout "tinyurl" is undone
    Then rollout "tinyurl" is "Healthy" within 1 minute
    And the alert "<alert>" is resolved within 3 minutes
    And "team-chat" is told that "<alert>" resolved within 1 minute

    Examples:
      | alert         | limit                       | image                     | told                    |
      | HighErrorRate | 5% error-rate limit         | cutover/tinyurl:v2-faulty | oncall-pager, team-chat |
      | HighLatency   | 50 ms p95 target of TinyURL | cutover/tinyurl:v2-slow   | team-chat               |

  @prd=deployment-engineering-guide/post-deployment/monitor-for-30-minutes-13f1
  Scenario: A release is watched for 30 minutes after its deployment: Healthy, no pod restarting, no alert firing, its traffic within the SLO
    # At the fast profile's time scale the watch lasts 3 minutes; the nightly run watches the whole 30.
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/blue-green/tinyurl-auto.yaml" is healthy at "cutover/tinyurl:v1"
    And Prometheus monitors the platform with the rules in "k8s/monitoring/rules"
    And 50 requests per second are sent to "tinyurl" for the whole scenario
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is "Healthy" within 1 minute
    And for 30 minutes after the deployment, rollout "tinyurl" stays Healthy, no pod restarts, no alert fires, and its traffic meets:
      | http_req_failed: rate<0.01     |
      | http_req_duration: p(95)<100   |

  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/configure-log-aggregation-0e5d
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/test-distributed-tracing-edfb
  @prd=canary-readme-tasks/tasks/review-logs-kubectl-logs-deployment-service-194a
  @prd=blue-green-system-tasks/task-8-2-observability-monitoring/add-structured-logging-throughout-8d38
  @prd=blue-green-system-tasks/task-1-1-project-setup/set-up-basic-logging-with-structured-a627
  Scenario: A request's trace goes through the router into the pod, and a failed one is found in the aggregated logs by its trace id
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    When I send GET "/" to "tinyurl"
    Then the response header "x-trace-id" matches "^[0-9a-f]{32}$"
    Given every request carries the header "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    When I send GET "/" to "tinyurl"
    Then the response header "x-trace-id" is "4bf92f3577b34da6a3ce929d0e0e4736"
    And no pod of rollout "tinyurl" logged at level "error" or above
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2-faulty"
    Then rollout "tinyurl" is "Paused" within 1 minute
    When I send GET "/" to "tinyurl-preview" 4 times
    Then 2 of those responses have status 500
    And the aggregated logs of rollout "tinyurl" have a line at level "error" with the trace id of the last response
    And the aggregated logs of rollout "tinyurl" hold lines from at least 4 pods

  @prd=comprehensive-deployment-system/phase-14-production-readiness/configure-log-retention-policies-8758
  Scenario Outline: Pod logs are kept on disk under a retention policy: past its <bound> the oldest are deleted, and the newest line is kept as written
    Given the pods' logs are archived on disk, kept for <age> and at most "<size>"
    # Every second request fails, and each failure is logged at error: lines enough to prune.
    And the rollout "tinyurl" from "k8s/canary/tinyurl.yaml" is healthy at "cutover/tinyurl:v1", with the environment:
      | FAULT_ERROR_RATE | 0.5 |
    When 50 requests per second are sent to "tinyurl" for 10 seconds
    Then the log archive was pruned for its <bound>, holds at most its size and no line older than its age
    And the newest line the pods of rollout "tinyurl" wrote is in the log archive, as written

    Examples:
      | bound | age       | size   |
      | age   | 3 seconds | 10Mi   |
      | size  | 1 hour    | 32Ki   |

  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/document-monitoring-queries-and-dashboards-11cc
  Scenario: The monitoring documentation names every rule, alert and dashboard
    Then "docs/monitoring.md" documents every rule in "k8s/monitoring/rules" and every dashboard in "k8s/monitoring/dashboards"

  @not-applicable
  @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/install-grafana-for-dashboards-fcb1
  @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/configure-grafana-data-sources-3e37
  @prd=comprehensive-deployment-system/phase-11-monitoring-and-observability/access-grafana-ui-2544
  Scenario: Grafana itself is not run here
    Then it does not apply here, because:
      """
      Grafana is in neither Debian's archive nor the npm registry, the only package sources these
      machines reach, so no Grafana server can be installed or opened here. What Grafana would show
      is verified without it: the dashboards are Grafana's import JSON (checked by schema in npm
      test), each declares a Prometheus data source variable, and every one of their queries runs
      against the real Prometheus and returns data ("Every dashboard panel shows real data while a
      canary runs"). docs/monitoring.md says how to import them into a Grafana of your own.
      """
