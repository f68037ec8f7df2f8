@epic:services
Feature: The services under test, through the router
  TinyURL, Newsfeed and Docs as their clients see them, behind the cutover
  router, with the PRD's latency targets (p95 under 50, 100 and 200 ms), and
  Docs collaboration in real browser pages.

  @feature:tinyurl
  @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/test-service-endpoint-locally-72bf
  @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/run-integration-tests-against-deployed-service-e9c2
  @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/verify-pods-are-running-and-healthy-c686
  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/run-integration-tests-for-tinyurl-f623
  @prd=canary-readme-tasks/tasks/tinyurl-service-url-shortening-service-with-d710
  Rule: TinyURL shortens, redirects and counts

    Background:
      Given the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"

    @prd=canary-readme-tasks/tasks/post-shorten-create-short-url-ff82
    @prd=canary-readme-tasks/tasks/get-shortcode-redirect-to-original-url-5650
    @prd=canary-readme-tasks/tasks/get-api-analytics-shortcode-get-usage-bc4a
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

    # The PRD's 1000 req/s goes straight to one pod (the throughput rule below; also `npm run bench -- services`):
    # through the router, with generator, router and freshly started replicas sharing 2 cores, p95 was
    # 1.8 s at 1000 and 64 ms at 500 over 3 seconds. Scaled profiles measure these 30 seconds
    # over 10 (never less): over 3, the first second of a cold replica decided the p95.
    @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/verify-response-time-50ms-c8b7
    @prd=comprehensive-deployment-system/performance-targets/tinyurl-response-time-50ms-8ce3
    @prd=comprehensive-deployment-system/success-criteria/response-time-200ms-for-all-services-d39f
    @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/run-performance-tests-with-load-generator-e492
    Scenario: TinyURL meets its PRD latency target at 200 requests per second through the router
      When 200 requests per second are sent to "tinyurl" for 30 seconds with these requests:
        | method | path    | status |
        | GET    | /health | 200    |
        | GET    | /       | 200    |
      Then the traffic met "http_req_duration: p(95)<50" and "http_req_failed: rate<0.001"

  @feature:tinyurl
  @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/configure-redis-cache-connection-b25d
  Rule: TinyURL reads its links through a Redis cache when REDIS_URL is set

    Scenario: A followed short link is cached in Redis, for the URL it was created for
      Given a Redis server is running, its URL remembered as "redis"
      And the rollout "tinyurl" from "k8s/blue-green/tinyurl.yaml" is healthy at "cutover/tinyurl:v1", with the environment:
        | REDIS_URL | {redis} |
      When I send POST "/shorten" to "tinyurl" with:
        """
        {"url": "http://127.0.0.1/cutover-docs/cached"}
        """
      And I remember the response field "code" as "code"
      And I send GET "/{code}" to "tinyurl"
      Then the response status is 302
      And the Redis "redis" caches the short link "{code}" for "http://127.0.0.1/cutover-docs/cached"
      When I send GET "/api/cache" to "tinyurl"
      Then the response field "enabled" is "true"

  @feature:newsfeed
  @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/test-service-endpoint-locally-72bf
  @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/run-integration-tests-against-deployed-service-e9c2
  @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/verify-pods-are-running-and-healthy-c686
  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/run-integration-tests-for-newsfeed-2a35
  @prd=canary-readme-tasks/tasks/newsfeed-service-real-time-news-aggregation-fef3
  Rule: Newsfeed ranks articles, counts likes and recommends

    Background:
      Given the rollout "newsfeed" from "k8s/blue-green/newsfeed.yaml" is healthy at "cutover/newsfeed:v1"

    @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/configure-rss-feed-sources-a62b
    @prd=canary-readme-tasks/tasks/get-api-newsfeed-get-personalized-newsfeed-0710
    @prd=canary-readme-tasks/tasks/post-api-like-articleid-like-an-4068
    @prd=canary-readme-tasks/tasks/get-api-recommendations-userid-get-recommendations-782d
    Scenario: The feed has the configured source's articles, a like is counted, recommendations leave it out
      When I send POST "/api/sources/poll" to "newsfeed"
      Then the response status is 200
      And the response field "articles" is "20"
      When I send GET "/api/newsfeed?user=ann&limit=5" to "newsfeed"
      Then the response status is 200
      When I remember the response field "items.0.id" as "article"
      And I send POST "/api/like/{article}" to "newsfeed" with:
        """
        {"user": "ann"}
        """
      Then the response status is 200
      And the response field "likes" is "1"
      When I send GET "/api/newsfeed?user=ann&limit=5" to "newsfeed"
      Then the response field "items.0.likedByUser" is "true"
      When I send GET "/api/recommendations/ann" to "newsfeed"
      Then the response status is 200
      And the response field "user" is "ann"

    @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/verify-response-time-100ms-3754
    @prd=comprehensive-deployment-system/performance-targets/newsfeed-response-time-100ms-1b85
    @prd=comprehensive-deployment-system/success-criteria/response-time-200ms-for-all-services-d39f
    @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/run-performance-tests-with-load-generator-e492
    Scenario: Newsfeed meets its PRD latency target at 500 requests per second through the router
      When 500 requests per second are sent to "newsfeed" for 30 seconds with these requests:
        | method | path                                | status |
        | GET    | /api/newsfeed?user=reader&limit=20  | 200    |
      Then the traffic met "http_req_duration: p(95)<100" and "http_req_failed: rate<0.001"

  @feature:newsfeed
  @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/test-websocket-real-time-updates-9fcd
  Rule: Newsfeed pushes new articles live over WebSocket

    Scenario: An article published to a source reaches a subscriber through the router, once
      Given an RSS feed with 5 articles is served as "wire"
      And the rollout "newsfeed" from "k8s/blue-green/newsfeed.yaml" is healthy at "cutover/newsfeed:v1", with the environment:
        | FEED_SOURCES | {wire} |
      When a client subscribes to "/ws" of "newsfeed"
      And the feed "wire" publishes 3 new articles
      And I send POST "/api/sources/poll" to "newsfeed"
      Then the response status is 200
      And the subscriber is pushed exactly the new articles of "wire" within 5 seconds

  @feature:docs
  @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/test-service-endpoint-locally-72bf
  @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/run-integration-tests-against-deployed-service-e9c2
  @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/verify-pods-are-running-and-healthy-c686
  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/run-integration-tests-for-google-docs-1d19
  @prd=canary-readme-tasks/tasks/google-docs-clone-collaborative-document-editing-51be
  Rule: Docs keeps every edit, across a blue-green switch too

    Background:
      Given the manifests "k8s/analysis" are applied
      And the rollout "docs" from "k8s/blue-green/docs.yaml" is healthy at "cutover/docs:v1"

    @prd=canary-readme-tasks/tasks/post-api-documents-create-new-document-51c0
    @prd=canary-readme-tasks/tasks/post-api-documents-id-update-update-1f0c
    @prd=canary-readme-tasks/tasks/post-api-documents-id-share-share-b54d
    Scenario: A document is edited by its owner, shared read-only, and the reader may read but not edit
      Given every request carries the header "x-user-id": "ann"
      When I send POST "/api/documents" to "docs" with:
        """
        {"title": "Runbook", "content": "step"}
        """
      Then the response status is 201
      When I remember the response field "id" as "doc"
      And I send POST "/api/documents/{doc}/update" to "docs" with:
        """
        {"baseVersion": 0, "ops": [4, " one"]}
        """
      Then the response status is 200
      And I send POST "/api/documents/{doc}/share" to "docs" with:
        """
        {"user": "rita", "role": "viewer"}
        """
      Then the response status is 200
      Given every request carries the header "x-user-id": "rita"
      When I send GET "/api/documents/{doc}" to "docs"
      Then the response status is 200
      And the response field "content" is "step one"
      And the response field "role" is "viewer"
      When I send POST "/api/documents/{doc}/update" to "docs" with:
        """
        {"baseVersion": 0, "ops": [" and two"]}
        """
      Then the response status is 403

    @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/verify-response-time-200ms-1480
    @prd=comprehensive-deployment-system/performance-targets/google-docs-response-time-200ms-e4f8
    @prd=comprehensive-deployment-system/success-criteria/response-time-200ms-for-all-services-d39f
    @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/run-performance-tests-with-load-generator-e492
    Scenario: Docs meets its PRD latency target at 100 requests per second through the router
      When 100 requests per second are sent to "docs" for 30 seconds with these requests:
        | method | path    | status |
        | GET    | /health | 200    |
        | GET    | /       | 200    |
      Then the traffic met "http_req_duration: p(95)<200" and "http_req_failed: rate<0.001"

    @severity:critical
    @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/test-websocket-collaboration-features-dca6
    @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/test-operational-transforms-correctness-37c1
    @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/execute-end-to-end-test-suite-5bfd
    Scenario: Two people edit in real browsers across a blue-green switch, and no edit is lost
      Given "ann" and "bob" edit one document in the Docs editor of "docs"
      When they keep typing
      And the image of rollout "docs" is set to "cutover/docs:v2"
      Then rollout "docs" is "Paused" within 1 minute
      When rollout "docs" is promoted
      Then rollout "docs" is "Healthy" within 1 minute
      And the previous stack of rollout "docs" was scaled down 30 seconds after the switch
      When they type on for 2 seconds
      And they stop typing
      Then both editors show the document's text within 15 seconds, with every typed word in it exactly once
      And each editor reconnected at least once
      And every edit acknowledged to the editors is in the document's history as it was acknowledged

  @epic:quality @feature:coverage
  @prd=comprehensive-deployment-system/success-criteria/100-test-coverage-across-all-services-72e3
  @prd=comprehensive-deployment-system/performance-targets/test-coverage-100-fd73
  @prd=canary-readme-tasks/tasks/100-test-coverage-achieved-2660
  Rule: Each service's own tests cover every line and branch

    Scenario Outline: The tests of <service> cover every line and branch
      Then the test coverage of service "<service>" is at least 100% of lines and branches

      @prd=comprehensive-deployment-system/phase-5-tinyurl-service-deployment/verify-100-test-coverage-4f06
      @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/verify-100-coverage-for-tinyurl-073b
      Examples: TinyURL
        | service |
        | tinyurl |

      @prd=comprehensive-deployment-system/phase-6-newsfeed-service-deployment/verify-100-test-coverage-4f06
      @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/verify-100-coverage-for-newsfeed-1485
      Examples: Newsfeed
        | service  |
        | newsfeed |

      @prd=comprehensive-deployment-system/phase-7-google-docs-service-deployment/verify-100-test-coverage-4f06
      @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/verify-100-coverage-for-google-docs-a7d5
      Examples: Docs
        | service |
        | docs    |

  @epic:documentation @feature:api-docs
  @prd=comprehensive-deployment-system/phase-15-documentation-and-knowledge-transfer/create-api-documentation-for-all-services-5e0f
  Rule: The API documentation is what the services serve

    Scenario Outline: docs/api.md documents every route of <service>, and nothing it does not serve
      Then "docs/api.md" documents every route of "<service>", and no route it does not serve

      Examples:
        | service  |
        | tinyurl  |
        | newsfeed |
        | docs     |
        | metrics  |

  @feature:performance @local-only
  @prd=canary-readme-tasks/tasks/all-services-meeting-performance-targets-8ea7
  Rule: Each service sustains its PRD throughput on one pod, within its latency target
    The PRD's rate of the service's workload (support/traffic/workloads.ts: TinyURL
    redirects and new links, Newsfeed pages and likes, Docs reads and edits) goes
    straight to one pod of the deployed rollout: the generator runs in the test's
    process, the pod in its own, about one core each of CI's two. Through the router
    the generator and the router would share one event loop, and that is what would
    be measured (`npm run bench -- router` compares the two); on docker the pod's
    port passes docker's proxy too. Every request is counted, and the step fails if
    the generator could not keep the rate. Scaled profiles send for 10 seconds, the
    nightly for the minute written.

    Scenario Outline: One <service> pod sustains <rate> requests per second of its PRD workload, none failed, p95 under <p95> ms
      Given the rollout "<service>" from "k8s/blue-green/<service>.yaml" is healthy at "cutover/<service>:v1"
      When <rate> requests per second of its PRD workload are sent straight to a pod of rollout "<service>" for 1 minute
      Then the traffic met "http_reqs: rate>=<at least>" and "http_req_failed: rate==0"
      And the traffic met "http_req_duration: p(95)<<p95>"

      @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/verify-tinyurl-throughput-1000-req-s-e71d
      @prd=comprehensive-deployment-system/performance-targets/tinyurl-throughput-1000-req-s-3c1a
      Examples: TinyURL
        | service | rate | at least | p95 |
        | tinyurl | 1000 | 980      | 50  |

      @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/verify-newsfeed-throughput-500-req-s-ea1a
      @prd=comprehensive-deployment-system/performance-targets/newsfeed-throughput-500-req-s-77b1
      Examples: Newsfeed
        | service  | rate | at least | p95 |
        | newsfeed | 500  | 490      | 100 |

      @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/verify-google-docs-throughput-100-req-3644
      @prd=comprehensive-deployment-system/performance-targets/google-docs-throughput-100-req-s-c2bf
      Examples: Docs
        | service | rate | at least | p95 |
        | docs    | 100  | 98       | 200 |
