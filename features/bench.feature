@epic:quality @feature:benchmarks
Feature: The benchmarks run and record their figures
  Speed is measured, not asserted: `npm run bench` measures side by side in
  one run and writes ratios and counts to bench/results.json (README,
  Benchmarks). These scenarios run two of them with short loads, to prove
  they work end to end and record what the schema asks; the figures are
  attached, and judged by people, not by a threshold here.

  @prd=blue-green-system-tasks/task-4-1-basic-http-proxy/write-proxy-performance-tests-fa8a
  Scenario: The router's cost against the same load straight to the service
    Then the benchmark "router" runs with 2-second loads and records its figures

  @prd=blue-green-system-tasks/task-7-2-system-integration-testing/create-load-testing-suite-5ba5
  Scenario: The load generator's accuracy at 500, 1000 and 2000 req/s, next to k6 when it is installed
    Then the benchmark "loadgen" runs with 2-second loads and records its figures
