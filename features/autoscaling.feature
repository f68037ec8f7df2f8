@feature:autoscaling @not-kubernetes
Feature: Horizontal pod autoscaling of the services
  Each service's HorizontalPodAutoscaler (k8s/autoscaling/) keeps the CPU of its
  canary Rollout's pods at 70 % of their request, with 2 to 6 pods. The local
  platform runs it as Kubernetes' HPA controller does (support/autoscaling/):
  every 15 seconds (scaled) it measures each pod's CPU as metrics-server does,
  asks for ceil(pods × usage / target) replicas outside a 10 % tolerance,
  stabilizes and rate-limits that by the manifest's behavior, and scales the
  Rollout through its scale subresource; new pods get traffic once ready, pods
  scaled in are drained first, so no request is lost either way: a light
  traffic runs through all of it, every request counted. The load is the
  service's PRD workload through its Service (2 minutes, 12 s at the fast
  scale), at a rate that needs 3 or more pods but leaves this 2-core machine
  room for the pods it starts: the generator shares it, and must keep its
  schedule (at 400 req/s TinyURL's four new pods starting at once set it
  750 ms behind in CI). It runs on the local and docker platforms (pods as processes or
  containers, CPU from /proc or the container's cgroup); on a cluster the same
  manifests need metrics-server, which the CI cluster does not run.

  Scaling in takes the manifest's 2-minute window and up to two 1-minute periods
  of its 50 % policy (6 → 3 → 2): 10 minutes is the bound, scaled like the rest.

  Scenario Outline: <service> scales out under its PRD workload and back in after it, no request lost
    Given the rollout "<service>" from "k8s/canary/<service>.yaml" is healthy at "cutover/<service>:v1"
    And 20 requests per second are sent to "<service>" for the whole scenario with these requests:
      | method | path    | status |
      | GET    | <probe> | 200    |
    When the manifests "k8s/autoscaling/<service>.yaml" are applied
    Then autoscaler "<service>" measures the CPU of rollout "<service>" and keeps it at 2 replicas within 1 minute
    When <rate> of its PRD workload are sent to "<service>" for 2 minutes
    Then autoscaler "<service>" had at least 3 pods of rollout "<service>" ready under its PRD workload, never more than its maximum
    And within 10 minutes, autoscaler "<service>" scales rollout "<service>" back in to 2 pods
    And the traffic met "http_req_failed: rate==0"
    And the traffic to "<service> PRD workload" met "http_req_failed: rate==0"

    @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/configure-horizontal-pod-autoscaler-4552
    Examples: TinyURL
      | service | rate                    | probe |
      | tinyurl | 200 requests per second | /     |

    @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/configure-horizontal-pod-autoscaler-4552
    Examples: Newsfeed
      | service  | rate                    | probe                              |
      | newsfeed | 200 requests per second | /api/newsfeed?user=reader&limit=20 |

    @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/configure-horizontal-pod-autoscaler-4552
    Examples: Google Docs
      | service | rate                   | probe |
      | docs    | 140 requests per second | /     |
