@epic:platforms @feature:docker @docker
Feature: The docker platform: the images that ship, as containers
  On the docker profile, every pod is a container of the real service image
  (built by npm run images from services/Dockerfile), on a network of the run,
  its port published on 127.0.0.1 behind the same router, rollout controller
  and analysis as the local platform. These scenarios look at it from Docker's
  side. The feature runs only with --profile docker (CI runs it).

  Background:
    Given the manifests "k8s/analysis" are applied

  @prd=comprehensive-deployment-system/phase-1-development-environment-setup/verify-docker-installation-and-daemon-status-76ec
  Scenario: Docker is installed and its daemon is running
    Then these tools are installed:
      | tool   | at least |
      | docker | 20.10    |
    And the Docker daemon is running, at version 20.10 or newer, and says its storage driver and cgroup version

  @prd=comprehensive-deployment-system/phase-12-ci-cd-pipeline-implementation/test-docker-build-job-execution-0476
  Scenario: The Docker build job's output: every service's image in every version, none running as root, each with its version and port
    # CI runs the build job (npm run images) before this profile; this is what it must have made.
    Then Docker holds every image the build job makes, none running as root, each with its version and port

  @prd=blue-green-system-tasks/task-2-1-docker-integration/implement-image-pulling-with-progress-tracking-2237
  Scenario: An image Docker does not hold is pulled from the registry, only the layers it lacks moved, its progress told in layers and bytes
    Then the tests in "support/platform/docker/test" named like "^(an image pushed to the registry is pulled|an image no registry has is a clear error)" pass, at least 2 of them

  Scenario Outline: The <service> image is pushed to a registry, and a release of it deploys from there: the docker platform pulls it
    # The registry is the Distribution registry on 127.0.0.1, built from its Go module (no registry can be reached from here).
    Given a container registry is running on this machine
    And the rollout "<service>" from "k8s/blue-green/<service>.yaml" is healthy at "cutover/<service>:v1"
    When "cutover/<service>:v2" is pushed to the registry
    Then the registry serves "cutover/<service>:v2" with the digest its push reported
    When the image of rollout "<service>" is set to the registry's "cutover/<service>:v2"
    Then rollout "<service>" is "Paused" within 1 minute
    And the docker platform pulled the registry's "cutover/<service>:v2", with the digest its push reported
    And every pod of rollout "<service>" is one running container of its image, on the run's own network

    @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/push-docker-image-to-registry-ecc9
    Examples: TinyURL
      | service |
      | tinyurl |

    @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/push-docker-image-to-registry-ecc9
    Examples: Newsfeed
      | service  |
      | newsfeed |

    @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/push-docker-image-to-registry-ecc9
    Examples: Google Docs
      | service |
      | docs    |

  @prd=blue-green-system-tasks/task-2-1-docker-integration/create-container-lifecycle-management-create-start-eed8
  @prd=blue-green-system-tasks/task-2-2-container-state-management/create-container-naming-conventions-de1e
  @prd=blue-green-system-tasks/task-2-2-container-state-management/add-container-cleanup-and-garbage-collection-aa34
  @prd=blue-green-system-tasks/task-2-2-container-state-management/implement-container-log-access-04a4
  @prd=blue-green-system-tasks/task-5-2-deployment-orchestration/integrate-all-components-in-deployment-flow-774b
  @prd=blue-green-system-tasks/task-5-2-deployment-orchestration/write-end-to-end-deployment-tests-33c5
  Scenario: A blue-green release runs as containers of the two images, and the run leaves nothing in Docker
    Given the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    Then every pod of rollout "tinyurl" is one running container of its image, on the run's own network
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is "Paused" within 1 minute
    And every pod of rollout "tinyurl" is one running container of its image, on the run's own network
    When rollout "tinyurl" is promoted
    Then rollout "tinyurl" is "Healthy" within 1 minute
    And the aggregated logs of rollout "tinyurl" hold lines from at least 4 pods
    And no pod of rollout "tinyurl" logged at level "error" or above
    When the platform is shut down
    Then no container or network of this run is left in Docker

  @prd=blue-green-system-tasks/task-2-2-container-state-management/handle-container-restart-policies-ae9a
  @prd=blue-green-system-tasks/task-2-1-docker-integration/add-container-status-monitoring-a6f8
  Scenario: A killed container is replaced under load, on the same data, and nothing acknowledged is lost
    Given the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And 100 requests per second are sent to "tinyurl" for the whole scenario
    And short links are created in "tinyurl" at 20 requests per second for the whole scenario
    When the chaos experiment "chaos/tinyurl-pod-kill.yaml" is applied
    Then every pod of rollout "tinyurl" is ready again within 30 seconds
    And every pod of rollout "tinyurl" is one running container of its image, on the run's own network
    And the traffic met "http_req_failed: rate<0.01"
    And every short link created during the scenario still resolves

  @prd=blue-green-system-tasks/task-2-1-docker-integration/implement-docker-client-initialization-and-health-4695
  Scenario: With no Docker daemon, applying a rollout fails at once and says what to do
    Then applying "k8s/blue-green/tinyurl.yaml" with no Docker daemon at "/tmp/cutover-no-docker.sock" fails within 5 seconds, saying "the Docker daemon does not answer on /tmp/cutover-no-docker.sock (ENOENT): start dockerd"

  @prd=blue-green-system-tasks/task-2-1-docker-integration/write-integration-tests-with-test-containers-4680
  @prd=blue-green-system-tasks/task-2-1-docker-integration/implement-port-management-and-conflict-detection-24d1
  @prd=blue-green-system-tasks/task-3-2-health-check-integration/integrate-health-checker-with-container-manager-6747
  @prd=blue-green-system-tasks/task-2-2-container-state-management/add-container-resource-monitoring-69cd
  Scenario: The docker runtime's integration tests run against the real daemon and image, a port conflict among them
    Then the unit tests in "support/platform/docker/test" all pass, at least 8 of them

  @prd=blue-green-system-tasks/task-2-1-docker-integration/handle-docker-daemon-failures-gracefully-c60f
  @prd=blue-green-system-tasks/task-8-1-error-handling-resilience/implement-system-health-monitoring-ae28
  Scenario: The daemon going away mid-rollout stops cutover up within seconds with a clear error; the next run removes what was left and resumes the rollout
    Then the tests in "support/platform/docker/test" named like "^the daemon stopping mid-rollout" pass, at least 1 of them
