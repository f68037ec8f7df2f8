@epic:resilience @feature:backup
Feature: The services' data is backed up while they run, and the restore is tested
  Each rollout's databases (SQLite, in the data folder every version of the
  rollout shares, like a persistent volume) are backed up online through
  SQLite's backup API while writes go on, and each backup is checked with
  PRAGMA integrity_check. A backup counts only once a restore from it has
  been tried: the restore drill starts the service on a copy of the backup
  and reads back every write acknowledged before the backup began.

  @on-cluster
  @prd=comprehensive-deployment-system/phase-14-production-readiness/configure-backup-strategy-for-databases-9c76
  @prd=comprehensive-deployment-system/phase-14-production-readiness/test-database-restore-procedures-1516
  Scenario: TinyURL is backed up under load, and a TinyURL restored from the backup resolves every link acknowledged before it
    # Its prePromotionAnalysis names the smoke template: a cluster refuses the Rollout without it.
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And short links are created in "tinyurl" at 20 requests per second for the whole scenario
    When the traffic runs on for 3 seconds
    And the data of rollout "tinyurl" is backed up
    And the traffic runs on for 2 seconds
    Then a "tinyurl" started on a restore of the backup resolves every short link acknowledged before the backup
    And every short link created during the scenario still resolves
