@epic:deployment @feature:manifests
Feature: The manifests teams apply are reviewed before they are applied
  Every Rollout, Service and AnalysisTemplate under k8s/ goes through
  `cutover lint --strict`: the same zod models the platforms apply (a
  malformed field is an error with its file and line), every Service and
  AnalysisTemplate a Rollout names is there, and every image has something
  that runs it. What the local platform parses but does not act on (maxSurge,
  say) is listed in the evidence.

  Scenario Outline: The <what> manifests pass the linter
    Then the linter finds nothing to fix in "<paths>"

    @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/review-rollout-yaml-configuration-91a4
    Examples: Blue-green
      | what       | paths                     |
      | blue-green | k8s/blue-green, k8s/analysis |

    @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/review-rollout-yaml-configuration-91a4
    Examples: Canary
      | what   | paths                 |
      | canary | k8s/canary, k8s/analysis |

    @prd=blue-green-system-tasks/task-1-3-configuration-management/create-sample-configuration-files-3d89
    Examples: The sample manifests (Argo's examples) and the hardened variants
      | what                | paths                          |
      | Argo example        | k8s/examples                   |
      | rate-limited        | k8s/security                   |

  @not-applicable
  @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/navigate-to-terraform-directory-524d
  @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/navigate-to-systems-tinyurl-directory-f97c
  @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/navigate-to-systems-newsfeed-directory-3062
  @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/navigate-to-systems-google-docs-directory-b56c
  @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/navigate-to-k8s-blue-green-directory-4aae
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/navigate-to-k8s-canary-directory-7276
  Scenario: Changing into a directory is not a requirement here
    Then it does not apply here, because:
      """
      These items are a shell's working-directory changes in the Python originals' runbook, not a
      property of the system. Every step here names its files by path from the project root
      (k8s/blue-green/tinyurl.yaml, services/tinyurl/test, ...), and "A checkout has the project's
      layout" checks that those folders are where the steps expect them.
      """

  @prd=comprehensive-deployment-system/phase-14-production-readiness/configure-resource-requests-for-all-pods-98de
  @prd=comprehensive-deployment-system/phase-14-production-readiness/configure-resource-limits-for-all-pods-f5ef
  Rule: Every service pod states what it needs and may use
    (The local platform enforces the memory limit: a replica over it is OOM-killed and restarted,
    as npm test shows with a process that outgrows its limit.)

    Scenario: Every container of the services' rollouts has CPU and memory requests and limits
      Then every container in "k8s/blue-green, k8s/canary, k8s/security" has CPU and memory requests and limits
