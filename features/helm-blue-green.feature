@epic:platforms @feature:helm @kubernetes @helm
Feature: Helm blue-green of the Monitoring Web Service: two releases, cut over at the Ingress
  The production spec's procedure on a real cluster: green and blue are two
  releases of the chart k8s/helm/monitoring-web-service, each installed with
  `helm upgrade --install --wait` (helm built from its Go module); the
  cut-over re-points the Ingress k8s/helm/ingress.yaml from one release's
  Service to the other's, as the spec's `kubectl patch ingress` does, and
  cutover's router plays the ingress controller that follows it. The load and
  a user's writes go through the Ingress all along. Needs --profile kubernetes.

  Background:
    Given the Helm chart "k8s/helm/monitoring-web-service" with the values "k8s/helm/monitoring-web-service/values-prod.yaml, k8s/helm/values-single-node.yaml", cut over at the Ingress "monitoring-web-service"
    And the manifests "k8s/helm/prerequisites.yaml" are applied
    And Prometheus monitors the platform with the rules in "k8s/monitoring/rules"

  @prd=helm-blue-green-production/phase-1-pre-deployment-validation-10-minutes/cluster-healthy-with-sufficient-resources-0cba
  @prd=helm-blue-green-production/phase-1-pre-deployment-validation-10-minutes/namespace-created-and-properly-labeled-8622
  @prd=helm-blue-green-production/phase-1-pre-deployment-validation-10-minutes/all-required-secrets-present-and-valid-8434
  @prd=helm-blue-green-production/phase-1-pre-deployment-validation-10-minutes/storage-classes-available-ba32
  @prd=helm-blue-green-production/phase-1-pre-deployment-validation-10-minutes/rbac-permissions-validated-8220
  @prd=helm-blue-green-production/phase-2-blue-environment-deployment-15-minutes/all-pods-running-and-ready-3b68
  @prd=helm-blue-green-production/phase-2-blue-environment-deployment-15-minutes/database-migration-successful-d066
  @prd=helm-blue-green-production/phase-2-blue-environment-deployment-15-minutes/health-endpoints-responding-7946
  @prd=helm-blue-green-production/phase-2-blue-environment-deployment-15-minutes/metrics-endpoint-functional-d8f8
  @prd=helm-blue-green-production/phase-3-performance-security-validation-10-minutes/performance-targets-met-30-second-chart-339b
  @prd=helm-blue-green-production/phase-3-performance-security-validation-10-minutes/all-integration-tests-passing-b0e3
  @prd=helm-blue-green-production/phase-4-traffic-cutover-5-minutes/traffic-successfully-routed-to-blue-environment-5a1d
  @prd=helm-blue-green-production/phase-4-traffic-cutover-5-minutes/all-health-checks-passing-84f9
  @prd=helm-blue-green-production/phase-4-traffic-cutover-5-minutes/no-errors-in-application-logs-ab60
  @prd=helm-blue-green-production/phase-4-traffic-cutover-5-minutes/response-times-within-sla-bc8b
  @prd=helm-blue-green-production/phase-5-post-deployment-monitoring-5-minutes/monitoring-dashboards-showing-healthy-metrics-52ae
  @prd=helm-blue-green-production/phase-5-post-deployment-monitoring-5-minutes/application-metrics-being-collected-correctly-5a06
  @prd=helm-blue-green-production/phase-5-post-deployment-monitoring-5-minutes/user-workflows-functioning-as-expected-08d2
  @prd=helm-blue-green-production/phase-5-post-deployment-monitoring-5-minutes/chart-generation-working-within-performance-targets-9b0a
  @prd=canary-readme-tasks/tasks/kubernetes-rbac-policies-6187
  @prd=comprehensive-deployment-system/phase-14-production-readiness/verify-rbac-policies-are-properly-set-fce4
  @prd=comprehensive-deployment-system/phase-14-production-readiness/set-up-pod-disruption-budgets-69aa
  @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/apply-ingress-configuration-for-routing-fbd9
  @prd=canary-readme-tasks/tasks/secrets-management-with-kubernetes-secrets-45e4
  @prd=deployment-engineering-guide/pre-deployment-checklist/database-migrations-tested-cf1b
  @prd=deployment-engineering-guide/post-deployment/run-smoke-tests-a94a
  Scenario: Blue is deployed beside green, validated, and given the traffic without a failed request
    # Phase 1: pre-deployment validation
    Then the cluster's nodes are Ready, with room for blue and green side by side
    When the namespace is labelled "environment=production, pod-security.kubernetes.io/enforce=restricted"
    Then the namespace carries the label "environment=production"
    And every secret the chart's values name is present, with its key
    And the storage class the chart's values name exists
    And this identity may "create, update, delete" "deployments, services, ingresses, secrets, jobs, networkpolicies, poddisruptionbudgets, horizontalpodautoscalers" in the namespace
    # Green serves production, through the Ingress
    When release "monitoring-web-service-green" is deployed at "cutover/metrics:v1"
    And the manifests "k8s/helm/ingress.yaml" are applied
    # A user's writes first: the load reads the metric they write.
    And a point of "deploy.writes" is written through "monitoring-web-service" every 100 milliseconds for the whole scenario
    And 30 requests per second are sent to "monitoring-web-service" for the whole scenario with these requests:
      | method | path                                                   | status |
      | GET    | /health                                                | 200    |
      | GET    | /api/v1/charts/generate?metric=deploy.writes&timeRange=1h | 200    |
      | GET    | /api/v1/metrics/deploy.writes                          | 200    |
    # Phase 2: blue beside it (the restricted pod security standard admits its pods)
    When release "monitoring-web-service-blue" is deployed at "cutover/metrics:v2"
    Then every pod of release "monitoring-web-service-blue" is running and ready, 3 of them
    And the migration job of release "monitoring-web-service-blue" succeeded
    And 20 requests to "monitoring-web-service-blue" at "/health" are all answered by "cutover/metrics:v2"
    And 20 requests to "monitoring-web-service-blue" at "/ready" are all answered by "cutover/metrics:v2"
    And release "monitoring-web-service-blue" serves Prometheus metrics at "/metrics"
    # Phase 3: performance and security, before any user reaches blue
    And 100 requests to "monitoring-web-service-blue" at "/health" are all answered by "cutover/metrics:v2"
    And "monitoring-web-service-blue" draws a chart of "deploy.writes" over "1h" within 30 seconds
    And the pods of release "monitoring-web-service-blue" run as non-root, with a read-only root filesystem and no privilege escalation
    And the service account of release "monitoring-web-service-blue" may not "get, list" "pods, secrets, configmaps"
    And evicting the pods of release "monitoring-web-service-blue" is refused by its disruption budget after 1 eviction, and it has all its pods ready again within 1 minute
    # Phase 4: the cut-over
    When the Ingress is cut over to release "monitoring-web-service-blue"
    Then all traffic is served by "cutover/metrics:v2" within 5 seconds of the cut-over
    And the cut-over failed no request, and users never went 1 second without a successful answer
    And 20 requests to "monitoring-web-service" at "/health" are all answered by "cutover/metrics:v2"
    When the traffic runs on for 20 seconds
    Then the traffic after the cut-over met "http_req_failed: rate==0"
    And the traffic after the cut-over met "http_req_duration: p(95)<200"
    And no pod of rollout "monitoring-web-service-blue" logged at level "error" or above
    # Phase 5: post-deployment monitoring, and a user's workflow through the Ingress
    And every query of the dashboards in "k8s/helm/dashboards" returns data within 1 minute
    And Prometheus answers these queries with data within 1 minute:
      | metric                         | query                                                                                                        | series |
      | blue pods scraped and up       | up{app_kubernetes_io_instance="monitoring-web-service-blue"} == 1                                               | 3      |
      | blue requests answered per pod | sum by (pod) (rate(http_requests_total{rollout="monitoring-web-service-blue",route!="/metrics"}[30s])) > 0     | 3      |
    And "monitoring-web-service" draws a chart of "deploy.writes" over "1h" within 30 seconds
    And every point acknowledged so far is stored, read through "monitoring-web-service"
    And the traffic met "http_req_failed: rate==0"

  @prd=helm-blue-green-production/rollback-validation/traffic-routed-back-to-green-environment-c322
  @prd=helm-blue-green-production/rollback-validation/health-checks-passing-7d96
  @prd=helm-blue-green-production/rollback-validation/no-data-loss-occurred-8d62
  @prd=helm-blue-green-production/rollback-validation/performance-restored-2f63
  Scenario: A blue release that fails after the cut-over is rolled back automatically, well within the 5-minute RTO, losing nothing
    When release "monitoring-web-service-green" is deployed at "cutover/metrics:v1"
    And the manifests "k8s/helm/ingress.yaml" are applied
    # A user's writes first: the load reads the metric they write.
    And a point of "deploy.writes" is written through "monitoring-web-service" every 100 milliseconds for the whole scenario
    And 30 requests per second are sent to "monitoring-web-service" for the whole scenario with these requests:
      | method | path                                                   |
      | GET    | /health                                                |
      | GET    | /api/v1/charts/generate?metric=deploy.writes&timeRange=1h |
      | GET    | /api/v1/metrics/deploy.writes                          |
    # Blue answers its health checks, so helm --wait passes; half its API answers are errors.
    When release "monitoring-web-service-blue" is deployed at "cutover/metrics:v2-faulty"
    And the Ingress is cut over to release "monitoring-web-service-blue"
    And the rollback triggers watch the cut-over: error rate above 5%, p95 above 30 seconds, health failing for 2 minutes
    Then the Ingress was rolled back to release "monitoring-web-service-green" within 5 minutes of the cut-over
    And all traffic is served by "cutover/metrics:v1" within 5 seconds of the rollback
    And the rollback failed no request, and users never went 1 second without a successful answer
    When the traffic runs on for 20 seconds
    Then 20 requests to "monitoring-web-service" at "/health" are all answered by "cutover/metrics:v1"
    And the traffic after the rollback met "http_req_failed: rate==0"
    And the traffic after the rollback met "http_req_duration: p(95)<200"
    And every point acknowledged so far is stored, read through "monitoring-web-service"
