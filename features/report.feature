@epic:evidence @feature:report
Feature: The report a release manager reads
  A run's evidence is only as good as what its readers can see: the Allure
  report, opened in a real browser, shows each scenario's verdict, what was
  measured, and charts that draw.

  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/generate-comprehensive-test-report-b0dd
  @prd=blue-green-system-tasks/task-8-2-observability-monitoring/create-debugging-tools-94c5
  Scenario: A breached SLO is shown with its measurement and charts
    When the feature "support/world/test/fixtures/impossible.feature" is run and its Allure report is built
    Then the report shows scenario "A latency no server can meet, on the built-in generator" as "failed" with "BREACHED: http_req_duration: p(95)<0.001 measured", and draws its charts
    And the failed scenario "A latency no server can meet, on the built-in generator" carries the diagnostics:
      | diagnostics: rollouts                     |
      | diagnostics: analysis runs                |
      | diagnostics: platform events and routers  |
      | diagnostics: replica logs                 |
