@epic:platforms @feature:router
Feature: The cutover router: the blue-green system's traffic switch
  The blue-green system PRD plans a reverse proxy that switches traffic
  between environments, proxies WebSockets and drains connections. In cutover
  that is the router in front of every Service (support/traffic/router.ts):
  the same one on the local and docker platforms. Its tests run real HTTP and
  WebSocket servers on 127.0.0.1; each scenario runs the ones that prove an
  item of the PRD.

  Rule: Reverse proxy (PRD task 4.1)

    @prd=blue-green-system-tasks/task-4-1-basic-http-proxy/create-reverse-proxy-with-header-preservation-aaf3
    @prd=blue-green-system-tasks/task-4-1-basic-http-proxy/add-x-forwarded-header-injection-e7c4
    Scenario: The client's headers reach the backend, with X-Forwarded-* added
      Then the tests in "support/traffic/test" named like "forwarded headers are added and the client headers preserved" pass, at least 1 of them

    @prd=blue-green-system-tasks/task-4-1-basic-http-proxy/implement-backend-routing-logic-1c6c
    Scenario: Traffic is split by weight between environments, and in turn among a group's replicas
      Then the tests in "support/traffic/test" named like "^(weights are exact|replicas of a group share)" pass, at least 2 of them

    @prd=blue-green-system-tasks/task-4-1-basic-http-proxy/add-proxy-error-handling-and-fallbacks-c44d
    Scenario: A refused or dropped connection is retried on another backend when that is safe; otherwise a 502 or 503 that names the service
      Then the tests in "support/traffic/test" named like "^(no backend: a 503|a refused connection is retried|a backend that accepts and closes)" pass, at least 3 of them

    @prd=blue-green-system-tasks/task-4-1-basic-http-proxy/create-connection-tracking-system-a83b
    Scenario: Requests in flight and bytes each way are tracked per backend
      Then the tests in "support/traffic/test" named like "^bytes to and from each backend and requests in flight" pass, at least 1 of them

    @prd=blue-green-system-tasks/task-4-1-basic-http-proxy/implement-multi-port-http-server-management-bb31
    Scenario: A router per Service, each on its own port: a NodePort Service on its nodePort, a port already allocated or held by another program refused by name, every port freed at close
      Then the tests in "support/platform/local/test" named like "^NodePort Services listen on their own nodePorts" pass, at least 1 of them

  Rule: WebSockets (PRD task 4.2)

    @prd=blue-green-system-tasks/task-4-2-websocket-support/implement-websocket-upgrade-detection-f664
    @prd=blue-green-system-tasks/task-4-2-websocket-support/create-bidirectional-websocket-proxying-4bee
    @prd=blue-green-system-tasks/task-4-2-websocket-support/add-websocket-connection-tracking-f14d
    @prd=blue-green-system-tasks/task-4-2-websocket-support/implement-websocket-connection-draining-138d
    @prd=blue-green-system-tasks/task-4-2-websocket-support/write-websocket-integration-tests-61a6
    Scenario: An upgrade is proxied both ways, counted as open, and cut at the drain timeout
      Then the tests in "support/traffic/test" named like "^WebSocket upgrades are proxied and count against draining" pass, at least 1 of them

    @prd=blue-green-system-tasks/task-4-2-websocket-support/handle-websocket-specific-errors-1bf7
    Scenario: WebSocket errors get answers: no backend, a refused upgrade, a dead or mute backend (bounded), a backend gone mid-conversation
      Then the tests in "support/traffic/test" named like "^WebSocket errors" pass, at least 1 of them

  Rule: Connection draining (PRD task 4.3)

    @prd=blue-green-system-tasks/task-4-3-connection-draining/implement-graceful-connection-draining-410a
    @prd=blue-green-system-tasks/task-4-3-connection-draining/add-hard-timeout-for-forced-connection-147d
    @prd=blue-green-system-tasks/task-4-3-connection-draining/write-draining-scenario-tests-5c70
    Scenario: A switch under 200 requests per second loses none; requests in flight finish, past the hard timeout they are cut
      Then the tests in "support/traffic/test" named like "^(switching groups under 200 req/s loses no request|a backend removed with requests in flight)" pass, at least 2 of them

    @prd=blue-green-system-tasks/task-4-3-connection-draining/create-drain-status-monitoring-7182
    @prd=blue-green-system-tasks/task-4-3-connection-draining/implement-drain-progress-reporting-d6d4
    @prd=blue-green-system-tasks/task-4-3-connection-draining/add-drain-cancellation-capabilities-fc6e
    Scenario: A drain is watched in the router's stats, reported as it goes by the platform, and cancelled when the backend is listed again
      Then the tests in "support/traffic/test" named like "^a drain is watched in the stats" pass, at least 1 of them
      And the tests in "support/platform/local/test" named like "^a scale-down drains what is in flight" pass, at least 1 of them

  Rule: Resilience (PRD task 8.1)

    @prd=blue-green-system-tasks/task-8-1-error-handling-resilience/add-circuit-breaker-patterns-4c1b
    Scenario: A backend failing again and again is ejected by the router's circuit breaker, tried once after a while, and let back when it answers; a Service's annotation turns it on
      Then the tests in "support/traffic/test" named like "^circuit breaker" pass, at least 3 of them
      And the tests in "support/manifests/test" named like "outlier detection by annotation" pass, at least 1 of them
      And the tests in "support/platform/local/test" named like "outlier-detection annotation becomes" pass, at least 1 of them
