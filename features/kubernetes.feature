@epic:platforms @feature:kubernetes @kubernetes
Feature: The services on a real Kubernetes cluster, run by the real Argo Rollouts controller
  With --profile kubernetes, the same manifests go to the cluster KUBECONFIG
  names (in CI: a single-node cluster built from upstream parts by
  ci/cluster/, the service images imported into its containerd). Each scenario
  gets a namespace of its own, removed at its end; the test reaches the
  Services through cutover's router, which plays the ingress in front of their
  NodePorts (a canary's Service split by the step's weight).

  @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/verify-kubernetes-cluster-is-running-4a24
  @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/install-argo-rollouts-controller-82b4
  @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/verify-argo-rollouts-crds-are-installed-82b6
  Scenario: The cluster answers and Argo Rollouts is installed, its controller reconciling a rollout
    Then the cluster answers, with Argo Rollouts' CRDs established
    Given the rollout "rollouts-demo" from "k8s/examples/rollouts-demo-canary.yaml" is healthy at "argoproj/rollouts-demo:blue"
    When the image of rollout "rollouts-demo" is set to "argoproj/rollouts-demo:yellow"
    Then rollout "rollouts-demo" is paused at a canary weight of 20% within 1 minute

  @prd=comprehensive-deployment-system/phase-1-development-environment-setup/verify-kubectl-cli-installation-678b
  @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/configure-kubectl-context-for-kind-cluster-6f06
  Scenario: kubectl is installed, and its current context reaches the cluster the run uses
    # In CI that is the cluster ci/cluster builds in place of kind (no kind node image can be had here), and its kubectl.
    Then these tools are installed:
      | tool    | at least |
      | kubectl | 1.28     |
    And kubectl's current context reaches the cluster this run uses

  @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/verify-namespace-creation-54ea
  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/test-kubernetes-deployment-job-decf
  Scenario Outline: <service> is deployed on the cluster from its image, in a namespace of its own, and updated
    Given the manifests "k8s/analysis" are applied
    And the rollout "<service>" from "k8s/canary/<service>.yaml" is healthy at "cutover/<service>:v1"
    And 50 requests per second are sent to "<service>" for the whole scenario with these requests:
      | method | path    | status |
      | GET    | /health | 200    |
    Then the rollout "<service>" runs in a namespace of its own, made for this scenario
    And 20 requests to "<service>" at "/health" are all answered by "cutover/<service>:v1"
    When the image of rollout "<service>" is set to "cutover/<service>:v2"
    And rollout "<service>" is fully promoted
    Then rollout "<service>" is "Healthy" within 2 minutes
    And every pod of rollout "<service>" runs "cutover/<service>:v2" within 1 minute
    And 20 requests to "<service>" at "/health" are all answered by "cutover/<service>:v2"
    And the traffic met "http_req_failed: rate==0"

    @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/build-docker-image-for-tinyurl-service-15b8
    @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/tag-docker-image-with-version-2649
    @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/create-kubernetes-namespace-for-tinyurl-38ba
    @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/apply-kubernetes-service-manifest-d8a7
    @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/apply-kubernetes-deployment-manifest-4f67
    Examples: TinyURL
      | service |
      | tinyurl |

    @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/build-docker-image-for-newsfeed-service-a10a
    @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/tag-docker-image-with-version-2649
    @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/create-kubernetes-namespace-for-newsfeed-ac65
    @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/apply-kubernetes-service-manifest-d8a7
    @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/apply-kubernetes-deployment-manifest-4f67
    Examples: Newsfeed
      | service  |
      | newsfeed |

    @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/build-docker-image-for-google-docs-0b96
    @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/tag-docker-image-with-version-2649
    @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/create-kubernetes-namespace-for-google-docs-3977
    @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/apply-kubernetes-service-manifest-d8a7
    @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/apply-kubernetes-deployment-manifest-4f67
    Examples: Docs
      | service |
      | docs    |

  Scenario: k6 loads a canary on the cluster through the ingress, its thresholds met
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/canary/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is paused at a canary weight of 10% within 1 minute
    When k6 sends 100 requests per second to "tinyurl" "/health" for 20 seconds with these thresholds:
      | http_req_failed: rate==0     |
      | http_req_duration: p(95)<100 |
      | checks: rate==1              |
