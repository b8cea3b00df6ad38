// The one workflow bundle entry: every workflow the worker runs is exported here.
export { hostFactsWorkflow } from './hostFacts';
export { patchBatchWorkflow, rollbackHostsWorkflow } from './patchBatch';
export { patchRolloutWorkflow } from './patchRollout';
export { previewRolloutWorkflow } from './previewRollout';
export { maintenanceWindowWorkflow } from './maintenanceWindow';
export { windowLaunchWorkflow } from './windowLaunch';
export { dependencyUpdatesWorkflow, dependencyScanWorkflow } from './dependencyUpdates';
export { serviceProbesWorkflow } from './serviceProbe';
export { hostLeasesWorkflow } from './hostLeases';
export { complianceScanWorkflow } from './complianceScan';
export { baselinePlanWorkflow } from './baselinePlan';
