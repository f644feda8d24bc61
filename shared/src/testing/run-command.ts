/** Runs a command to its end and collects what it printed: for tests that drive CLIs. */
export type CommandResult = { stdout: string; stderr: string; code: number };

export type CommandOptions = {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Text for standard input; none (ignored) when omitted. */
  stdin?: string;
  /** Its own process group, as a terminal job would have. */
  detached?: boolean;
  /** Milliseconds before `killSignal` is sent. */
  timeout?: number;
  killSignal?: NodeJS.Signals;
};

export async function runCommand(
  cmd: string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const child = Bun.spawn(cmd, {
    cwd: options.cwd,
    // Unset: the child inherits this process's environment (Bun.spawn's default).
    env: options.env,
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
    ...(options.detached ? { detached: true } : {}),
    ...(options.timeout
      ? { timeout: options.timeout, killSignal: options.killSignal ?? "SIGTERM" }
      : {}),
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}
