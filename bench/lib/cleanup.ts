/** Things to undo however the run ends (normal end, error, Ctrl-C, the deadline). */
type Task = () => Promise<void>;
const tasks: Task[] = [];
let running: Promise<void> | undefined;

/** Registers `task`; returns it wrapped so it runs at most once whoever calls first. */
export function onCleanup(task: Task): Task {
  let done: Promise<void> | undefined;
  const once: Task = () => {
    done ??= task().catch(() => {});
    return done;
  };
  tasks.push(once);
  return once;
}

/** Runs every registered task, newest first, once. */
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    for (const task of tasks.toReversed()) await task();
  })();
  return running;
}
