@epic:services @feature:tinyurl @prd=comprehensive-deployment-system/phase-3
Feature: TinyURL through the router
  The service's API as a client sees it, behind the cutover router.

  Background:
    Given the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"

  Scenario: A short link is created, followed and counted
    When I send POST "/shorten" to "tinyurl" with:
      """
      {"url": "http://127.0.0.1/cutover-docs/page"}
      """
    Then the response status is 201
    When I remember the response field "code" as "code"
    And I send GET "/{code}" to "tinyurl"
    Then the response status is 302
    And the response header "location" is "http://127.0.0.1/cutover-docs/page"
    And the response header "x-app-version" is "v1"
    When I send GET "/api/analytics/{code}" to "tinyurl"
    Then the response status is 200
    And the response field "clicks" is "1"

  Scenario: An unknown code is a 404, not a redirect
    When I send GET "/no-such-code" to "tinyurl"
    Then the response status is 404

  Scenario: TinyURL meets its PRD latency target through the router
    When 100 requests per second are sent to "tinyurl" for 30 seconds with these requests:
      | method | path    | status |
      | GET    | /       | 200    |
    Then the traffic met "http_req_duration: p(95)<50" and "http_req_failed: rate<0.001"
