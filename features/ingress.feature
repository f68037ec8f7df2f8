@feature:ingress @not-kubernetes
Feature: Ingress in front of the services, as ingress-nginx serves it
  On the local and docker platforms each main Ingress is a router on an address of
  its own (what the test reaches, under the Ingress's name) sending its host's
  requests to its backend Service; an ingress-nginx canary Ingress for the same
  host (`nginx.ingress.kubernetes.io/canary: "true"`) takes `canary-weight` of every
  `canary-weight-total` requests to its own backend, exactly (smooth weighted
  round-robin). Routing is by the first rule's first path; what else an Ingress
  asks is logged as ignored. The kubernetes platform's router follows an
  Ingress's backend but not its canary annotations or TLS, so these scenarios
  run on the other two.

  @prd=comprehensive-deployment-system/phase-9-canary-deployment-setup/apply-ingress-configuration-with-weight-support-a769
  Scenario: A canary Ingress takes its canary-weight of the host's requests to the canary pods
    Given the manifests "k8s/analysis" are applied
    And the rollout "tinyurl" from "k8s/canary/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
    And the manifests "k8s/ingress/tinyurl.yaml" are applied
    When the image of rollout "tinyurl" is set to "cutover/tinyurl:v2"
    Then rollout "tinyurl" is paused at a canary weight of 10% within 1 minute
    When 100 requests per second are sent to "tinyurl-ingress" for 10 seconds
    Then "cutover/tinyurl:v2" served at least 19% of the requests during the whole scenario
    And "cutover/tinyurl:v2" served at most 21% of the requests during the whole scenario
    And the traffic met "http_req_failed: rate==0"

  Rule: TLS from certificates the platform manages, as cert-manager does
    k8s/ingress/certificates.yaml makes a CA (a self-signed Issuer, a CA Certificate,
    a CA Issuer) and TinyURL's certificate from it, into the Secret the HTTPS
    Ingress of k8s/ingress/tinyurl-tls.yaml serves. The test trusts only that CA.

    Background:
      Given the rollout "tinyurl" from "k8s/canary/tinyurl.yaml" is healthy at "cutover/tinyurl:v1"
      And the manifests "k8s/ingress/certificates.yaml" are applied
      And the manifests "k8s/ingress/tinyurl-tls.yaml" are applied

    @prd=comprehensive-deployment-system/phase-14-production-readiness/review-ingress-tls-configuration-e4ee
    Scenario: The Ingress's TLS passes review: every host covered, a certificate for it from the CA, HSTS, TLS 1.2+ only, HTTP redirected
      Then Ingress "tinyurl-secure" answers over HTTPS for its host with a certificate that the CA in Secret "cutover-ca" signs
      And the TLS configuration of Ingress "tinyurl-secure" passes review, trusting the CA in Secret "cutover-ca"

    @prd=comprehensive-deployment-system/phase-14-production-readiness/set-up-certificate-management-cb1a
    Scenario: A certificate is renewed before it ends, and HTTPS requests never fail across the renewal
      When the manifests "k8s/ingress/short-lived-certificate.yaml" are applied
      Then certificate "tinyurl-tls" is renewed within 5 minutes, while HTTPS requests to Ingress "tinyurl-secure" every 100 ms all succeed, trusting the CA in Secret "cutover-ca"
      And the TLS configuration of Ingress "tinyurl-secure" passes review, trusting the CA in Secret "cutover-ca"
