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
