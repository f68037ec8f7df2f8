@epic:gitops @feature:argocd
Feature: GitOps with Argo CD: the cluster follows the main branch of a Git repository
  Argo CD runs in the cluster, installed from its own install manifest with
  kubectl (the manifest and the images of the version ci/cluster/build.sh
  builds from Argo CD's Go module; no image can be pulled here). The
  deployment repository is served by a Git server on this machine over
  HTTP, which tells Argo CD of each push by webhook, as a Git host does. The
  applications of k8s/argocd/applications/ deploy Argo Rollouts' blue-green
  and canary demos (k8s/examples/), which run on this cluster unchanged; each
  scenario points them at its own repository and namespace. Argo CD's web UI
  is the API server's: its pages are drawn from the REST API the scenarios
  call (its JavaScript bundle is built from argo-ui, fetched from GitHub,
  which cannot be reached here, so the pages themselves are not opened).

  @prd=comprehensive-deployment-system/phase-10-argocd-integration/navigate-to-argocd-applications-directory-a30a
  @prd=comprehensive-deployment-system/phase-10-argocd-integration/review-blue-green-app-yaml-configuration-a494
  @prd=comprehensive-deployment-system/phase-10-argocd-integration/review-canary-app-yaml-configuration-0200
  @prd=comprehensive-deployment-system/phase-10-argocd-integration/set-target-revision-to-main-branch-ca4f
  @prd=comprehensive-deployment-system/phase-10-argocd-integration/enable-auto-sync-policy-98ac
  @prd=comprehensive-deployment-system/phase-10-argocd-integration/configure-sync-options-prune-self-heal-98b7
  @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/enable-argocd-auto-sync-cbce
  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/enable-argocd-auto-sync-cbce
  Scenario: The application manifests follow main, sync themselves, prune and self-heal, and say so to the release webhook
    Then the Argo CD applications in "k8s/argocd/applications" are:
      | file                | name                    | path       | target revision | auto-sync | prune | self-heal | sync options          | deletes what it deployed | notifications             |
      | blue-green-app.yaml | rollouts-demo-bluegreen | blue-green | main            | yes       | yes   | yes       | CreateNamespace=true  | yes                      | on-sync-succeeded.release |
      | canary-app.yaml     | rollouts-demo-canary    | canary     | main            | yes       | yes   | yes       | CreateNamespace=true  | yes                      | on-sync-succeeded.release |

  @prd=comprehensive-deployment-system/phase-10-argocd-integration/document-argocd-operational-procedures-efa6
  Scenario: Argo CD's operational procedures are written down
    Then "docs/argocd.md" has these sections:
      | Installing Argo CD               |
      | Reaching the server and the UI   |
      | Connecting the Git repository    |
      | Applications                     |
      | Releasing through Git            |
      | Manual sync                      |
      | Rollback                         |
      | Notifications                    |
      | Troubleshooting                  |
    And every command, script, path and step that "docs/argocd.md" shows is real

  @kubernetes
  Rule: On the cluster, Argo CD deploys what main holds

    Background:
      Given Argo CD is installed in the cluster and ready
      And a Git repository "deploy" whose branch "main" holds:
        | path                    | from                                      |
        | blue-green/rollout.yaml | k8s/examples/rollouts-demo-bluegreen.yaml |
        | canary/rollout.yaml     | k8s/examples/rollouts-demo-canary.yaml    |
        | canary/analysis.yaml    | k8s/analysis/smoke.yaml                   |
      And Argo CD is connected to the Git repository "deploy"

    @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/install-argocd-in-cluster-using-kubectl-5849
    @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/wait-for-argocd-components-to-be-c025
    @prd=comprehensive-deployment-system/phase-4-infrastructure-provisioning/expose-argocd-ui-service-d1e2
    @prd=comprehensive-deployment-system/phase-10-argocd-integration/configure-git-repository-connection-b1a4
    Scenario: Argo CD is installed with kubectl, every component becomes ready, its server is exposed and reaches the repository
      Then Argo CD was installed from its manifest with kubectl, and each of its components became ready
      And the Argo CD server is exposed on a NodePort and answers its API over HTTPS, with the admin logged in
      And Argo CD reports its connection to repository "deploy" as "Successful" within 1 minute

    @prd=comprehensive-deployment-system/phase-8-blue-green-deployment-setup/configure-argocd-application-for-blue-green-06b8
    @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/configure-argocd-application-for-canary-6862
    @prd=comprehensive-deployment-system/phase-10-argocd-integration/apply-blue-green-argocd-application-4fab
    @prd=comprehensive-deployment-system/phase-10-argocd-integration/apply-canary-argocd-application-8676
    @prd=comprehensive-deployment-system/phase-10-argocd-integration/verify-applications-appear-in-argocd-ui-81c9
    @prd=canary-readme-tasks/tasks/check-argocd-ui-for-deployment-status-6880
    Scenario: The blue-green and canary applications are applied, appear in Argo CD, and deploy main
      When the Argo CD application "k8s/argocd/applications/blue-green-app.yaml" is applied, following repository "deploy"
      And the Argo CD application "k8s/argocd/applications/canary-app.yaml" is applied, following repository "deploy"
      Then application "rollouts-demo-bluegreen" is "Synced" and "Healthy" at the head of branch "main" within 3 minutes
      And application "rollouts-demo-canary" is "Synced" and "Healthy" at the head of branch "main" within 3 minutes
      And Argo CD lists the applications "rollouts-demo-bluegreen, rollouts-demo-canary" with their sync and health status
      And every pod of rollout "rollouts-demo-bluegreen" runs "argoproj/rollouts-demo:blue" within 1 minute
      And every pod of rollout "rollouts-demo" runs "argoproj/rollouts-demo:blue" within 1 minute

    @prd=comprehensive-deployment-system/phase-10-argocd-integration/test-gitops-workflow-by-updating-manifests-60cc
    @prd=comprehensive-deployment-system/phase-10-argocd-integration/verify-argocd-detects-changes-a3d7
    @prd=comprehensive-deployment-system/phase-10-argocd-integration/verify-automatic-synchronization-86d5
    @prd=comprehensive-deployment-system/phase-10-argocd-integration/configure-argocd-notifications-1a0f
    Scenario: A new image pushed to main is seen, synced and rolled out as a canary, and the release webhook is told
      Given the Argo CD application "k8s/argocd/applications/canary-app.yaml" is applied, following repository "deploy"
      And application "rollouts-demo-canary" is "Synced" and "Healthy" at the head of branch "main" within 3 minutes
      When the image of the Rollout in "canary/rollout.yaml" of repository "deploy" is changed to "argoproj/rollouts-demo:yellow" and pushed
      Then Argo CD saw the pushed commit within 30 seconds of the push
      And application "rollouts-demo-canary" was synced to the pushed commit within 1 minute
      And rollout "rollouts-demo" is paused at a canary weight of 20% within 2 minutes
      And the release webhook was told "on-sync-succeeded" of application "rollouts-demo-canary" at the pushed commit within 1 minute

    @prd=comprehensive-deployment-system/phase-10-argocd-integration/configure-sync-options-prune-self-heal-98b7
    Scenario: Self-heal puts back what was deleted by hand, and prune deletes what main no longer has
      Given the Argo CD application "k8s/argocd/applications/canary-app.yaml" is applied, following repository "deploy"
      And application "rollouts-demo-canary" is "Synced" and "Healthy" at the head of branch "main" within 3 minutes
      When the Service "rollouts-demo" is deleted from the namespace by hand
      Then Argo CD has put the Service "rollouts-demo" back within 1 minute
      When "canary/analysis.yaml" is removed from repository "deploy" and pushed
      Then Argo CD has deleted the AnalysisTemplate "smoke" within 1 minute

    @prd=comprehensive-deployment-system/phase-10-argocd-integration/test-manual-sync-operation-eece
    Scenario: Without automated sync, a push waits OutOfSync until a sync is started
      Given the Argo CD application "k8s/argocd/applications/canary-app.yaml" is applied, following repository "deploy" with automated sync off
      And a sync of application "rollouts-demo-canary" is started through the Argo CD API
      And application "rollouts-demo-canary" is "Synced" and "Healthy" at the head of branch "main" within 3 minutes
      When the image of the Rollout in "canary/rollout.yaml" of repository "deploy" is changed to "argoproj/rollouts-demo:yellow" and pushed
      Then application "rollouts-demo-canary" is "OutOfSync" at the pushed commit and stays so for 15 seconds
      And every pod of rollout "rollouts-demo" runs "argoproj/rollouts-demo:blue" within 10 seconds
      When a sync of application "rollouts-demo-canary" is started through the Argo CD API
      Then application "rollouts-demo-canary" was synced to the pushed commit within 1 minute
      And rollout "rollouts-demo" is paused at a canary weight of 20% within 2 minutes

    @prd=comprehensive-deployment-system/phase-10-argocd-integration/test-rollback-via-argocd-ui-d6bd
    Scenario: A release is rolled back through Argo CD to the first deployment, automated sync turned off first
      Given the Argo CD application "k8s/argocd/applications/blue-green-app.yaml" is applied, following repository "deploy"
      And application "rollouts-demo-bluegreen" is "Synced" and "Healthy" at the head of branch "main" within 3 minutes
      When the image of the Rollout in "blue-green/rollout.yaml" of repository "deploy" is changed to "argoproj/rollouts-demo:yellow" and pushed
      Then application "rollouts-demo-bluegreen" was synced to the pushed commit within 1 minute
      When automated sync of application "rollouts-demo-bluegreen" is turned off
      And application "rollouts-demo-bluegreen" is rolled back through the Argo CD API to its first deployment
      Then application "rollouts-demo-bluegreen" is "OutOfSync" and "Healthy" at its first deployment within 2 minutes
      And every pod of rollout "rollouts-demo-bluegreen" runs "argoproj/rollouts-demo:blue" within 2 minutes
