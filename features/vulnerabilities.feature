@epic:security @feature:vulnerabilities
Feature: Known vulnerabilities in what cutover deploys and runs
  Two scans, both against published advisory data, both able to fail a release:
  - Container images: every Debian package installed in an image (its own dpkg
    database, read without running it) against the security archive of its
    Debian release, whose index is verified as apt verifies it (InRelease signed
    by Debian's archive key, the index's SHA-256). A package the archive has a
    newer version of is a security fix the image lacks: the scan counts every
    such fix, of any severity, since the archive carries only fixes.
  - Go programs: govulncheck reads the modules and the Go version a program was
    built with, and the functions it contains, against the Go vulnerability
    database (golang.org/x/vulndb, pinned, indexed here). A vulnerability whose
    vulnerable function is in the program fails the check; one only in a module
    it requires is reported in the evidence.
  The services' npm dependencies are not scanned here: npm audit needs npm's
  advisory service, which CI cannot reach. `npm run sbom` writes their list
  (CycloneDX) for a scanner that can.

  @prd=canary-readme-tasks/tasks/container-image-scanning-c367
  @prd=helm-blue-green-production/phase-3-performance-security-validation-10-minutes/security-scans-passed-with-zero-critical-f0f2
  Rule: Every image that ships has every security fix of its Debian release

    Scenario Outline: The <image> image lacks no Debian security fix
      Then the image "<image>" has every security update of its Debian release

      @docker
      Examples: The services' images, from services/Dockerfile, and their base
        | image                       |
        | node:20-bookworm-slim       |
        | cutover/tinyurl:v1          |
        | cutover/newsfeed:v1         |
        | cutover/docs:v1             |
        | cutover/metrics:v1          |
        | argoproj/rollouts-demo:blue |

      # ci/cluster/up.sh builds them from ci/cluster/argocd/Dockerfile on the same base (Debian's git, gpg, redis-server added).
      @kubernetes
      Examples: Argo CD's images in the CI cluster
        | image                       |
        | cutover/argocd:v3.6.2       |
        | cutover/argocd-redis:v3.6.2 |

  @prd=canary-readme-tasks/tasks/dependency-vulnerability-scanning-9ece
  @prd=comprehensive-deployment-system/phase-13-comprehensive-testing/run-dependency-vulnerability-checks-5278
  @prd=helm-blue-green-production/phase-3-performance-security-validation-10-minutes/security-scans-passed-with-zero-critical-f0f2
  Rule: No Go program cutover runs contains a function with a known vulnerability

    Scenario: Helm and the image registry call no known vulnerability
      Then the Go programs "helm, registry" contain no function with a known vulnerability

    @kubernetes
    Scenario: The CI cluster's Kubernetes, etcd, Argo Rollouts and Argo CD call no known vulnerability
      # A vulnerability with no fixed version, or one only a newer Kubernetes brings, is accepted there for a reason, until a date.
      Then the Go programs of the CI cluster contain no function with a known vulnerability, but those accepted in "ci/cluster/accepted-vulnerabilities.yaml"
