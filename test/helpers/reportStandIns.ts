// What the monthly report reads from Temporal, as workers leave it, for a test worker of its own
// (Worker.create({ workflowsPath: this file })): window runs, the rollouts they started and
// dependency runs under their real workflow type names and ids, each returning the result it is
// given. The report's gatherer lists and reads them exactly as it reads real ones.
import type { DependencyRunSummary } from '../../policies/deps/run';
import type { RolloutReport } from '../../policies/rollout/types';

export { maintenanceWindowWorkflow } from './windowRunStandIn';

export async function patchRolloutWorkflow(input: { report: RolloutReport }): Promise<RolloutReport> {
  return input.report;
}

export async function dependencyUpdatesWorkflow(input: { summary: DependencyRunSummary }): Promise<DependencyRunSummary> {
  return input.summary;
}
