@epic:traceability @feature:prd
Feature: Requirements read from the PRDs
  The PRDs' task-manager phase asks for a parser that reads every requirement
  document and tracks its tasks. In cutover, that is the PRD reader behind
  `npx cutover prd`: every checklist item, task line and requirement-table row
  becomes an item with an id that scenarios name in @prd= tags.

  Background:
    When the PRDs are read

  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/verify-all-prds-parse-correctly-ccc7
  @prd=canary-readme-tasks/tasks/all-5-prds-parseable-by-task-17fc
  Scenario Outline: <document> is read into items with ids of their own, stable under unrelated edits
    Then "<document>" has at least <items> requirement items, each with its own id
    And "<document>"'s ids survive an unrelated edit of the document

    Examples:
      | document                        | items |
      | comprehensive-deployment-system | 280   |
      | canary-readme-tasks             | 600   |
      | blue-green-system-tasks         | 120   |
      | deployment-engineering-guide    | 20    |
      | helm-blue-green-production      | 25    |

  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/verify-task-manager-can-load-and-846a
  Scenario: All 335 tasks of the canary README are read, and those that repeat the comprehensive PRD are counted once
    Then "canary-readme-tasks" has 335 task lines, 273 of them naming a checklist item
    And every checklist item "canary-readme-tasks" copies from "comprehensive-deployment-system" is linked to its original

  @not-applicable
  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/test-task-status-updates-680a
  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/test-dependency-checking-with-canstarttask-2873
  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/initialize-task-manager-with-master-tasks-4da0
  Scenario: Task status and dependencies are not tracked by a task manager
    Then it does not apply here, because:
      """
      cutover has no task manager to initialise or update: an item's status is the verdict of the
      scenarios that name it (reports/run-summary.json, prd section), and the order between items
      is the order of a scenario's steps, not a dependency graph.
      """

  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/generate-master-tasks-json-from-all-4290
  @prd=canary-readme-tasks/tasks/335-tasks-tracked-in-master-tasks-368c
  Scenario: One tasks file holds every item of the PRDs, the canary README's 335 tasks among them
    When the CLI writes every item of the PRDs to one tasks file
    Then the tasks file lists every item the reader found, each id once
    And the tasks file tracks the 335 task lines of "canary-readme-tasks"

  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/test-command-execution-with-dry-run-c8ac
  Scenario: A dry run of every feature finds one step definition for every step, without running anything
    Then a dry run of "features" matches every step to exactly one definition

  @not-applicable
  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/navigate-to-task-manager-directory-bea6
  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/create-virtual-environment-for-task-manager-ca2d
  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/install-task-manager-dependencies-requirements-txt-7b08
  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/test-prdparser-py-with-prd-md-9d65
  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/test-prdparser-py-with-setup-guide-75ea
  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/test-prdparser-py-with-blue-green-54bc
  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/test-prdparser-py-with-canary-guide-296a
  @prd=comprehensive-deployment-system/phase-2-task-management-system-setup/test-prdparser-py-with-troubleshooting-md-f4b8
  Scenario: The Python task manager and its own guide documents are not part of this project
    Then it does not apply here, because:
      """
      The PRD reader is TypeScript (support/prd, `npx cutover prd`), installed with everything else
      by `npm ci`: there is no Python task_manager directory, virtual environment or requirements.txt.
      The documents prd_parser.py was to be tried on (PRD.md, SETUP_GUIDE.md, the blue-green and
      canary guides, troubleshooting.md) are not among the requirement documents this project is
      given; the reader is tested on the five that are, one Example each in "is read into items with
      ids of their own", and on a dry run of every feature.
      """

  @not-applicable
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/navigate-to-task-master-directory-71d8
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/create-virtual-environment-for-task-master-fc2b
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/install-task-master-dependencies-requirements-txt-7481
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/configure-executor-py-with-execution-context-73dd
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/verify-terraform-command-mapping-abd0
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/verify-kubectl-command-mapping-12df
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/verify-argocd-command-mapping-e4e7
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/verify-helm-command-mapping-3904
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/test-retry-logic-with-exponential-backoff-71e8
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/test-async-execution-capabilities-fe52
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/test-variable-substitution-in-commands-9447
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/configure-working-directory-paths-a8b0
  @prd=comprehensive-deployment-system/phase-3-task-master-execution-engine/set-up-execution-logging-71f3
  Scenario: No task executor turns PRD text into shell commands here
    Then it does not apply here, because:
      """
      The Task Master maps task text to terraform, kubectl, argocd and helm commands and runs them
      with retries, in parallel, with variables substituted in a working directory. cutover has no
      such executor: each requirement is a Gherkin scenario whose steps call a platform through its
      API (the local platform's controller; @kubernetes/client-node on a cluster), so there are no
      command mappings, command retries or shell variables to test. What an executor's dry run was
      for, checking that every task maps to something that can run, is "A dry run of every feature
      finds one step definition for every step"; what it logged is the Allure report and
      reports/run-summary.json.
      """

  @not-applicable
  @prd=canary-readme-tasks/tasks/task-manager-prd-parsing-and-task-8700
  @prd=canary-readme-tasks/tasks/task-master-automated-task-execution-engine-5ee6
  @prd=comprehensive-deployment-system/success-criteria/complete-task-automation-through-task-master-8c78
  @prd=canary-readme-tasks/tasks/execute-phase-2-task-management-system-6ac1
  @prd=canary-readme-tasks/tasks/execute-phase-3-task-master-execution-8f05
  @prd=canary-readme-tasks/tasks/continue-through-all-15-phases-systematically-8e3b
  Scenario: The canary README's plan for its own task manager and executor is not this project's
    Then it does not apply here, because:
      """
      These lines plan the Python originals' work: build a task manager and a Task Master that
      executes the PRDs' tasks phase after phase. cutover replaces both: each requirement is a
      scenario traced by its @prd tag, the tasks file comes from "npx cutover prd items", and the
      order of the work is the order of this project's issues, not an executor's queue.
      """
