export { type MaintenanceResult, maintainPartitions } from './maintenance.ts';
export { createSchedulerRuntime, type SchedulerRuntime } from './scheduler-runtime.ts';
export {
  type RotationResult,
  rotateSnapshots,
  rotationSnapshotName,
  type SnapshotPolicy,
} from './snapshot-rotation.ts';
export { runTick, type TickDependencies, type TickResult } from './tick.ts';
export { startSchedulerTimer } from './timer.ts';
