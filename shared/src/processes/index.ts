/**
 * `@trainer2/shared/processes`: the one process supervisor, for `bun dev`, the bench and the
 * test kit. A later restart policy builds on a child's `spec` and `exit`.
 */
export {
  type Child,
  type ChildExit,
  type ChildSpec,
  describeExit,
  killAllChildrenNow,
  killChild,
  startChild,
  stopAllChildren,
  stopChild,
} from "./child.ts";
export { type HealthWait, type Healthy, waitForHealth } from "./health.ts";
export { type Keeper, type KeeperOptions, keepRunning } from "./keeper.ts";
export { prefixedPrinter } from "./output.ts";
export { freePort, portIsFree } from "./ports.ts";
export { cpuSeconds, descendantsOf, isRunning, rssMb } from "./proc.ts";
