@epic:quality @feature:testing
Feature: Comprehensive testing: unit tests, a static security scan, rate limits and input validation
  What the PRD's testing phase asks of the services beyond their features:
  each system's own unit tests run and pass (Node's test runner, as pytest
  was for the Python originals), the code passes a static security scan (ESLint
  with eslint-plugin-security, as Bandit was: a finding is fixed or suppressed in
  the code with its reason), a client past its rate limit is refused, and
  malformed or hostile input is refused with a 400 naming the field.

  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/run-all-unit-tests-across-systems-e1f4
  Rule: Every system's unit tests pass

    Scenario Outline: The unit tests of <system> pass
      Then the unit tests in "<folder>" all pass, at least <at least> of them

      @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/run-unit-tests-with-pytest-6bc2
      Examples: TinyURL
        | system  | folder                | at least |
        | TinyURL | services/tinyurl/test | 16       |

      @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/run-unit-tests-with-pytest-6bc2
      Examples: Newsfeed
        | system   | folder                 | at least |
        | Newsfeed | services/newsfeed/test | 12       |

      @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/run-unit-tests-with-pytest-6bc2
      Examples: Docs
        | system | folder             | at least |
        | Docs   | services/docs/test | 18       |

      Examples: The shared service base and the demo
        | system                  | folder               | at least |
        | the shared service base | services/common/test | 35       |
        | the demo service        | services/demo/test   | 6        |

  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/run-security-vulnerability-scans-9cc8
  @prd=deployment-engineering-guide/pre-deployment-checklist/security-scans-passed-7656
  Rule: The code of every service passes a static security scan

    Scenario Outline: The code of <system> passes the static security scan
      Then a static security scan of "<paths>" finds no issue without a stated reason

      @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/run-security-scans-with-bandit-e8de
      Examples: TinyURL
        | system  | paths                            |
        | TinyURL | services/tinyurl, services/common |

      @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/run-security-scans-with-bandit-e8de
      Examples: Newsfeed
        | system   | paths                             |
        | Newsfeed | services/newsfeed, services/common |

      @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/run-security-scans-with-bandit-e8de
      Examples: Docs
        | system | paths                         |
        | Docs   | services/docs, services/common |

  @feature:tinyurl
  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/test-rate-limiting-enforcement-58e7
  @prd=canary-readme-tasks/tasks/rate-limiting-100-req-min-per-7693
  Scenario: A client past TinyURL's limit of 100 requests a minute is refused with 429 and Retry-After; probes are never limited
    Given the rollout "tinyurl" from "k8s/security/tinyurl-rate-limited.yaml" is healthy at "cutover/tinyurl:v1"
    When I send GET "/" to "tinyurl" 105 times
    Then the first 100 of those responses have status 200, and the other 5 status 429
    And the response header "retry-after" matches "^[1-9][0-9]*$"
    And the response header "x-ratelimit-remaining" is "0"
    When I send GET "/health" to "tinyurl"
    Then the response status is 200

  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/test-input-validation-and-sanitization-11f8
  @prd=canary-readme-tasks/tasks/input-validation-and-sanitization-5bf6
  Scenario Outline: <service> refuses <what> with a 400 that names the field
    Given the rollout "<service>" from "k8s/blue-green/<service>.yaml" is healthy at "cutover/<service>:v1"
    And every request carries the header "x-user-id": "ann"
    When I send POST "<path>" to "<service>" with:
      """
      <body>
      """
    Then the response status is 400
    And the response says the field "<field>" is invalid

    Examples:
      | service  | what                               | path                     | body                                                                | field          |
      | tinyurl  | a javascript: URL                  | /shorten                 | {"url": "javascript:alert(1)"}                                      | body.url       |
      | tinyurl  | an alias that climbs out of a path | /shorten                 | {"url": "http://127.0.0.1/a", "alias": "../admin"}                  | body.alias     |
      | tinyurl  | an expiry in the past              | /shorten                 | {"url": "http://127.0.0.1/a", "expiresAt": "2000-01-01T00:00:00Z"}  | body.expiresAt |
      | newsfeed | a user id carrying markup          | /api/like/a1             | {"user": "<script>alert(1)</script>"}                               | body.user      |
      | docs     | a blank title                      | /api/documents           | {"title": "   "}                                                    | body.title     |
      | docs     | a share with an unknown role       | /api/documents/d1/share  | {"user": "bob", "role": "admin"}                                    | body.role      |

  @feature:security
  Rule: The web security measures the PRD lists hold on the running services

    @prd=canary-readme-tasks/tasks/xss-protection-output-encoding-9f2c
    Scenario: Markup in a shortened URL is shown as text on TinyURL's answer page, and never runs
      Given the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
      When a browser submits the form on "/" of "tinyurl" with:
        | url | http://127.0.0.1/a?<img src=x onerror=window.__cutoverInjected=1> |
      Then the answer page has status 201 and shows "http://127.0.0.1/a?<img src=x onerror=window.__cutoverInjected=1>" as text
      And no script carried by the input ran in the page

    @prd=canary-readme-tasks/tasks/csrf-tokens-for-state-changing-operations-ab3f
    Scenario: A form post without the page's CSRF token is refused; the same form sent from the page is accepted
      Given the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
      When I send POST "/shorten" to "tinyurl" as a form with:
        | url | http://127.0.0.1/csrf-target |
      Then the response status is 403
      And the response field "error" is "missing or invalid CSRF token"
      When a browser submits the form on "/" of "tinyurl" with:
        | url | http://127.0.0.1/csrf-target |
      Then the answer page has status 201 and shows "http://127.0.0.1/csrf-target" as text

    @prd=canary-readme-tasks/tasks/sql-injection-prevention-parameterized-queries-eaf7
    Scenario: Text that would be SQL is stored and read back as text, and the table is still there
      Given the rollout "docs" from "k8s/blue-green/docs.yaml" is healthy at "cutover/docs:v1"
      And every request carries the header "x-user-id": "ann"
      When I send POST "/api/documents" to "docs" with:
        """
        {"title": "x'); DROP TABLE documents; --", "content": "' OR '1'='1"}
        """
      Then the response status is 201
      When I remember the response field "id" as "doc"
      And I send GET "/api/documents/{doc}" to "docs"
      Then the response status is 200
      And the response field "title" is "x'); DROP TABLE documents; --"
      And the response field "content" is "' OR '1'='1"
      When I send POST "/api/documents" to "docs" with:
        """
        {"title": "still here"}
        """
      Then the response status is 201

    @prd=canary-readme-tasks/tasks/secure-http-headers-hsts-csp-x-172a
    Scenario Outline: <service> answers with HSTS, a same-origin CSP, X-Frame-Options and nosniff
      Given the rollout "<service>" from "k8s/blue-green/<service>.yaml" is healthy at "cutover/<service>:v1"
      When I send GET "<path>" to "<service>"
      Then the response status is 200
      And the response header "strict-transport-security" matches "^max-age=[1-9][0-9]{6,}; includeSubDomains"
      And the response header "content-security-policy" matches "default-src 'self'"
      And the response header "content-security-policy" matches "frame-ancestors 'none'"
      And the response header "x-frame-options" is "DENY"
      And the response header "x-content-type-options" is "nosniff"

      Examples:
        | service  | path         |
        | tinyurl  | /            |
        | newsfeed | /api/sources |
        | docs     | /            |
