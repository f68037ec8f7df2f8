@epic:platforms @feature:control-plane
Feature: The control plane of cutover up: a state machine whose state survives restarts
  The blue-green system PRD plans a deployment state machine persisted in
  SQLite, configuration reloaded without a restart, and a CLI over a REST API.
  In cutover that is the rollout controller (support/rollout/controller.ts,
  Argo Rollouts' state machine), its state store (support/rollout/state-store.ts,
  .cutover/state.db: each rollout's state, the pods' lifecycle and the events,
  in WAL mode with migrations) and `cutover up` with its control API. Each
  scenario runs the tests that prove an item: real processes, real HTTP, a
  real SQLite file, a real crash (SIGKILL).

  Rule: The rollout state is kept in SQLite (PRD task 1.2)

    @prd=blue-green-system-tasks/task-1-2-sqlite-database-layer/implement-sqlite-database-connection-and-management-97dc
    @prd=blue-green-system-tasks/task-1-2-sqlite-database-layer/create-database-schema-with-all-required-d1c9
    @prd=blue-green-system-tasks/task-1-2-sqlite-database-layer/create-data-access-layer-dao-for-cebf
    @prd=blue-green-system-tasks/task-1-2-sqlite-database-layer/add-database-connection-pooling-and-wal-725b
    @prd=blue-green-system-tasks/task-1-2-sqlite-database-layer/write-unit-tests-for-database-operations-1292
    Scenario: The state store saves and reads back rollouts, pods and events, in WAL mode, and refuses damaged state with the file, rollout and field
      Then the tests in "support/rollout/test" named like "^(a snapshot is saved|a damaged or foreign snapshot|pods keep their last state)" pass, at least 3 of them

    @prd=blue-green-system-tasks/task-1-2-sqlite-database-layer/implement-database-migrations-system-ea7b
    Scenario: Migrations are applied once, additively, so an older and a newer version share one database
      Then the tests in "services/common/test" named like "^(WAL mode, migrations applied once|an old and a new version share one database|migrationsApplied)" pass, at least 3 of them

  Rule: The deployment state machine (PRD task 5.1)

    @prd=blue-green-system-tasks/task-5-1-state-machine-core/implement-deployment-state-machine-ffc0
    @prd=blue-green-system-tasks/task-5-1-state-machine-core/create-state-transition-logic-f42c
    @prd=blue-green-system-tasks/task-5-1-state-machine-core/create-deployment-rollback-logic-95af
    @prd=blue-green-system-tasks/task-5-1-state-machine-core/write-state-machine-tests-cc12
    @prd=blue-green-system-tasks/task-5-2-deployment-orchestration/add-deployment-timeout-handling-a1df
    Scenario: Every transition of the rollout state machine is tested: steps, pauses, analysis, abort, retry, undo, fast rollback, deadlines
      Then the unit tests in "support/rollout/test" all pass, at least 29 of them

    @prd=blue-green-system-tasks/task-5-1-state-machine-core/add-state-persistence-and-recovery-4d01
    Scenario: A rollout saved mid-update is picked up where it was: step, weight, active and preview, what is left of a timed pause
      Then the tests in "support/rollout/test" named like "^(a canary saved at its second pause|a timed pause resumes|blue-green saved at its pause|an aborted update and a healthy rollout resume|a snapshot names its rollout)" pass, at least 5 of them

    @prd=blue-green-system-tasks/task-5-1-state-machine-core/implement-concurrent-deployment-handling-3161
    @prd=blue-green-system-tasks/task-7-2-system-integration-testing/test-concurrent-deployment-scenarios-1440
    @prd=blue-green-system-tasks/task-7-2-system-integration-testing/create-multi-application-test-scenarios-758b
    Scenario: Three applications rolled out at once on one platform each go their own way; an image set again mid-update wins
      Then the tests in "support/platform/local/test" named like "^three applications rolled out at the same time" pass, at least 1 of them

  Rule: cutover up survives crashes and applies saved manifest changes (PRD tasks 1.3, 2.2, 5.1, 7.2)

    @prd=blue-green-system-tasks/task-7-2-system-integration-testing/test-system-restart-and-recovery-809f
    @prd=blue-green-system-tasks/task-7-2-system-integration-testing/validate-failure-recovery-mechanisms-4a7f
    @prd=blue-green-system-tasks/task-2-2-container-state-management/implement-container-state-tracking-in-database-1700
    @prd=blue-green-system-tasks/task-1-3-configuration-management/implement-file-system-watcher-for-config-872c
    @prd=blue-green-system-tasks/task-1-3-configuration-management/add-configuration-reload-without-restart-c526
    @prd=blue-green-system-tasks/task-1-3-configuration-management/handle-configuration-errors-gracefully-aa5e
    @prd=blue-green-system-tasks/task-7-2-system-integration-testing/test-configuration-reload-scenarios-ee8c
    @prd=blue-green-system-tasks/task-5-1-state-machine-core/add-deployment-locking-mechanisms-e1a2
    Scenario: A crashed cutover up resumes its canary with the data stored before; a saved manifest is applied live, a broken one refused; one cutover up per directory
      Then the tests in "support/cli/test" named like "^a crashed cutover up resumes its canary" pass, at least 1 of them

  Rule: Configuration files and the CLI (PRD tasks 1.3 and 6.2)

    @prd=blue-green-system-tasks/task-1-3-configuration-management/implement-yaml-configuration-parsing-3164
    @prd=blue-green-system-tasks/task-1-3-configuration-management/create-configuration-validation-logic-28a9
    @prd=blue-green-system-tasks/task-6-2-cli-interface/add-cli-configuration-file-support-a8e6
    Scenario: Manifests and cutover.config.yaml are parsed with Argo's defaults and refused with file, line and field when wrong
      Then the tests in "support/manifests/test, support/platform/local/test" named like "^(Argo's published canary example loads|blue-green defaults|user entries from cutover.config.yaml|a bad config names the file, line and field)" pass, at least 4 of them

    @prd=blue-green-system-tasks/task-6-2-cli-interface/implement-all-cli-commands-e402
    @prd=blue-green-system-tasks/task-6-2-cli-interface/implement-cli-command-validation-9a2d
    @prd=blue-green-system-tasks/task-6-2-cli-interface/write-cli-tests-1297
    @prd=blue-green-system-tasks/task-6-2-cli-interface/add-cli-output-formatting-tables-json-6e59
    @prd=blue-green-system-tasks/task-6-2-cli-interface/create-cli-help-and-usage-information-8e71
    @prd=blue-green-system-tasks/task-8-3-security-hardening/secure-configuration-file-handling-e1fd
    @prd=blue-green-system-tasks/task-5-2-deployment-orchestration/implement-deployment-progress-tracking-77a7
    @prd=blue-green-system-tasks/task-1-1-project-setup/add-basic-cli-framework-cobra-or-cd53
    Scenario: The CLI as a person uses it: up, set-image, status --watch and --json, promote, refusals, help, lint; its control file is its owner's only
      Then the tests in "support/cli/test" named like "^(up, set-image, status, promote|help: every command|lint: valid files pass)" pass, at least 3 of them

  Rule: The health of every pod (PRD tasks 3.1 and 3.2)

    @prd=blue-green-system-tasks/task-3-1-health-check-engine/create-http-based-health-check-client-9614
    @prd=blue-green-system-tasks/task-3-1-health-check-engine/write-comprehensive-tests-for-edge-cases-7f1f
    @prd=blue-green-system-tasks/task-3-2-health-check-integration/add-health-status-change-notifications-3753
    Scenario: Readiness probes over HTTP: a failing probe is told at once, then the pod is unready with the last result; a hang, a refusal, a slow start and an early exit each say what happened
      Then the tests in "support/platform/local/test" named like "^(a replica starts on a free port, becomes ready|an unready replica is noticed by its probe|a probe that gets no answer|not ready in time, or exiting before ready|a replica that dies is restarted)" pass, at least 5 of them

    @prd=blue-green-system-tasks/task-3-1-health-check-engine/add-health-check-metrics-and-timing-519e
    Scenario: Readiness and probe results are metrics: kube_pod_status_ready, probes by result and the time spent probing
      Then the tests in "support/platform/local/test" named like "^per-pod series under cAdvisor and kube-state-metrics names" pass, at least 1 of them

    @prd=blue-green-system-tasks/task-3-1-health-check-engine/implement-health-check-result-storage-e637
    @prd=blue-green-system-tasks/task-3-2-health-check-integration/create-health-check-dashboard-data-5bc6
    @prd=blue-green-system-tasks/task-3-2-health-check-integration/add-health-check-cli-commands-ea77
    Scenario: Probe results are stored with each pod's state, served as /api/pods and shown by cutover pods
      Then the tests in "support/rollout/test" named like "^pods keep their last state" pass, at least 1 of them
      And the tests in "support/cli/test" named like "^(up, set-image, status, promote|every route is served)" pass, at least 2 of them

    @prd=blue-green-system-tasks/task-3-1-health-check-engine/implement-concurrent-health-checking-framework-7df0
    Scenario: Every pod is probed on its own: one whose probe hangs holds back neither the probes nor the readiness of the others
      Then the tests in "support/platform/local/test" named like "^probes run on their own" pass, at least 1 of them

    @prd=blue-green-system-tasks/task-3-1-health-check-engine/add-configurable-retry-logic-with-exponential-5665
    Scenario: Failed probes are retried up to the probe's failureThreshold before a pod is unready, and a pod that keeps exiting is restarted after waits that double up to a cap
      Then the tests in "support/platform/local/test" named like "^(an unready replica is noticed by its probe|a replica that keeps exiting is restarted after waits that double)" pass, at least 2 of them

    @prd=blue-green-system-tasks/task-3-1-health-check-engine/create-health-check-status-aggregation-003c
    Scenario: Pod health is aggregated per rollout (Healthy, Degraded, Down, with what each unready pod's probe saw) and for the platform, served as /api/health and by cutover pods
      Then the tests in "support/platform/local/test" named like "^each rollout is Healthy, Degraded or Down" pass, at least 1 of them
      And the tests in "support/cli/test" named like "^every route is served" pass, at least 1 of them

  Rule: Error handling (PRD task 8.1)

    @prd=blue-green-system-tasks/task-8-1-error-handling-resilience/implement-comprehensive-error-handling-545d
    Scenario: Every failure a user or a component can cause gets an answer that says what and where, and leaves nothing half done
      # The control API: 400 naming the field, 409 saying why, 404 listing what there is, a 500 with an id whose details are in the log; the CLI turns them into messages.
      Then the tests in "support/cli/test" named like "^(bad input is a 400|an unexpected failure is a 500|the client sends the token and turns errors into messages|help: every command)" pass, at least 4 of them
      # The state machine refuses what it cannot do, and a damaged saved state is refused with file, rollout and field.
      And the tests in "support/rollout/test" named like "^(a user abort sends all traffic to stable|a damaged or foreign snapshot is refused|a snapshot names its rollout)" pass, at least 3 of them
      # Manifests: file, line, document, path and what was expected; every problem of every file at once.
      And the tests in "support/manifests/test" named like "^(a bad field names the file|several files: every problem)" pass, at least 2 of them
      # The platform: unknown Services, images and templates named; a replica that never becomes ready leaves nothing running.
      And the tests in "support/platform/local/test" named like "^(bad input: a Rollout naming a Service|not ready in time, or exiting before ready)" pass, at least 2 of them
      # The router: no backend is a 503 naming the service, a refused connection is retried elsewhere, a dead backend a 502 naming it.
      And the tests in "support/traffic/test" named like "^(no backend: a 503|a refused connection is retried)" pass, at least 2 of them

  Rule: Resource limits (PRD task 8.1)

    @prd=blue-green-system-tasks/task-8-1-error-handling-resilience/add-resource-limit-handling-ab39
    Scenario: A pod over its memory limit is OOM-killed and restarted, one within it is left alone
      Then the tests in "support/platform/local/test" named like "^a replica over its memory limit is OOM-killed" pass, at least 1 of them

  Rule: Logs are kept bounded (PRD task 8.2)

    @prd=blue-green-system-tasks/task-8-2-observability-monitoring/implement-log-rotation-cd60
    Scenario: The platform's aggregated logs keep the newest lines, and the archive on disk rotates its segments: past the age or the size the oldest go first, and queries still work
      Then the tests in "support/logs/test" named like "^(queries by rollout, time, level and trace id; the oldest lines go first past the bound|past its age a segment is deleted|over its size the oldest segments are deleted|read: by rollout, level and time)" pass, at least 4 of them

  Rule: The REST control API (PRD task 6.1)

    @prd=blue-green-system-tasks/task-6-1-http-api-server/implement-rest-api-endpoints-e6d0
    @prd=blue-green-system-tasks/task-6-1-http-api-server/add-api-request-validation-df04
    @prd=blue-green-system-tasks/task-6-1-http-api-server/create-api-response-formatting-ac56
    @prd=blue-green-system-tasks/task-6-1-http-api-server/implement-api-error-handling-381b
    @prd=blue-green-system-tasks/task-6-1-http-api-server/add-api-authentication-if-needed-45f8
    @prd=blue-green-system-tasks/task-6-1-http-api-server/create-api-documentation-d4ae
    @prd=blue-green-system-tasks/task-6-1-http-api-server/write-api-integration-tests-9bdb
    @prd=blue-green-system-tasks/task-8-3-security-hardening/implement-input-validation-and-sanitization-44bd
    @prd=blue-green-system-tasks/task-8-3-security-hardening/add-security-headers-363b
    @prd=blue-green-system-tasks/task-7-1-s3dock-integration/validate-deployment-trigger-flow-7532
    @prd=blue-green-system-tasks/task-7-1-s3dock-integration/create-integration-documentation-4591
    @prd=blue-green-system-tasks/task-7-1-s3dock-integration/test-failure-scenarios-f159
    Scenario: Every route is served and documented, only with the run's token; bad input is a 400 naming the field, a refused transition a 409 saying why
      Then the tests in "support/cli/test" named like "^(nothing is served without the token|every answer is JSON|every route is served|bad input is a 400|the client sends the token|docs/control-api.md documents)" pass, at least 6 of them

    @prd=blue-green-system-tasks/task-8-3-security-hardening/add-rate-limiting-for-api-endpoints-2f55
    @prd=blue-green-system-tasks/task-8-3-security-hardening/implement-proper-error-message-sanitization-c189
    Scenario: The control API limits its callers (429 with Retry-After, wrong tokens counted) and tells an unexpected failure only by an id, its details in the log
      Then the tests in "support/cli/test" named like "^(past its limits a caller gets 429|an unexpected failure is a 500)" pass, at least 2 of them

  Rule: Notifications (PRD task 5.2)

    @prd=blue-green-system-tasks/task-5-2-deployment-orchestration/add-deployment-notification-system-7510
    Scenario: Rollout events reach webhooks by Argo's trigger names, in order, retried with backoff, never holding a rollout back
      Then the unit tests in "support/notifications/test" all pass, at least 5 of them

  Rule: The PRD's deployment trigger (s3dock)

    @not-applicable
    @prd=blue-green-system-tasks/task-7-1-s3dock-integration/test-api-endpoints-with-s3dock-be9c
    @prd=blue-green-system-tasks/task-7-1-s3dock-integration/add-s3dock-specific-error-handling-9755
    Scenario: s3dock itself is not run here
      Then it does not apply here, because:
        """
        s3dock, the tool that triggers deployments in the PRD's design, is not part of this project
        and is not published in the package registries these machines reach, so it cannot be run
        against cutover here. What it would call is the control API: its trigger flow (set-image
        starting an update), its documentation (docs/control-api.md) and every failure a client
        meets (401, 400 naming the field, 404, 409, 413, cutover up gone) are tested above,
        with a real client over HTTP. Nothing in cutover is specific to one client.
        """
