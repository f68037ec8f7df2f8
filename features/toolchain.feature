@epic:environment @feature:toolchain
Feature: The machine a verification runs on
  The PRD's environment checks ("verify Python 3.11+", "install Redis locally")
  mean, for this project, the tools cutover itself runs on: Node for the
  framework and services, Java for Allure, Debian's Chromium for the browser
  steps, Redis for TinyURL's cache, Prometheus for analysis. Docker, kind,
  kubectl and Terraform belong to the Docker and Kubernetes platforms and are
  checked there.

  @prd=comprehensive-deployment-system/phase-1-development-environment-setup/verify-python-3-11-installation-ccc7
  @prd=comprehensive-deployment-system/phase-1-development-environment-setup/install-redis-server-locally-2b17
  @prd=comprehensive-deployment-system/phase-1-development-environment-setup/verify-all-prerequisite-tools-are-working-4651
  @prd=canary-readme-tasks/tasks/execute-phase-1-development-environment-setup-5a11
  Scenario: The tools of the local platform are installed and answer their versions
    Then these tools are installed:
      | tool         | at least |
      | node         | 20.0     |
      | npm          | 10.0     |
      | java         | 11       |
      | chromium     | 120      |
      | redis-server | 6.0      |
      | prometheus   | 2.30     |
      | git          | 2.30     |

  @prd=comprehensive-deployment-system/phase-1-development-environment-setup/clone-repository-and-verify-directory-structure-6d8e
  Scenario: A checkout has the project's layout
    Then the project has these files and folders:
      | package.json  |
      | tsconfig.json |
      | cucumber.mjs  |
      | features/     |
      | steps/        |
      | support/      |
      | services/     |
      | k8s/          |
      | bench/        |
      | docs/steps.md |

  Rule: The project's own setup (the blue-green system PRD's task 1.1, in TypeScript rather than Go)
    What a Python virtual environment and `make install` give the PRD's
    project, npm gives this one: every dependency installed by `npm ci` into
    the project's own node_modules, exactly as package-lock.json pins it,
    apart from whatever else the machine has.

    @prd=blue-green-system-tasks/task-1-1-project-setup/initialize-go-module-and-project-structure-9a9d
    @prd=blue-green-system-tasks/task-1-1-project-setup/set-up-dependency-management-go-mod-e17a
    @prd=comprehensive-deployment-system/phase-1-development-environment-setup/create-python-virtual-environment-f461
    @prd=comprehensive-deployment-system/phase-1-development-environment-setup/install-all-project-dependencies-via-make-0a7e
    Scenario: One npm package with every dependency locked: what is installed is exactly what package-lock.json pins
      Then every dependency is locked with its checksum, and what is installed is what the lockfile says

    @prd=blue-green-system-tasks/task-1-1-project-setup/create-directory-structure-according-to-design-3d06
    Scenario: The blue-green system's parts are where the design puts them: one folder per capability
      Then the project has these files and folders:
        | support/platform/docker/engine.ts  |
        | support/platform/docker/runtime.ts |
        | support/platform/local/supervisor.ts |
        | support/rollout/controller.ts      |
        | support/rollout/state-store.ts     |
        | support/traffic/router.ts          |
        | support/cli/main.ts                |
        | support/cli/control.ts             |
        | services/Dockerfile                |
        | docs/control-api.md                |

    @prd=blue-green-system-tasks/task-1-1-project-setup/create-makefile-for-build-test-run-e087
    Scenario: npm scripts build, check, test and run it (what the Makefile's targets were)
      Then package.json has the scripts:
        | images        |
        | typecheck     |
        | test          |
        | features      |
        | features:fast |
        | report        |
        | coverage      |
        | service       |
