/** What a CLI command may touch. Tests pass fakes; main.ts passes the process's own. */
export interface CliIO {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  /** Read when a command is given `-` as a file (through readStdin in read-input.ts). */
  stdin: NodeJS.ReadableStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths on the command line are resolved against this. */
  cwd: string;
  /** Called by long-running commands (serve) to learn when to stop; defaults to SIGTERM/SIGINT. */
  onSignal?: (handler: (signal: NodeJS.Signals) => void) => void;
}

/** One `shroud <command>`: parse args, do the work, return the exit code. */
export type Command = (argv: string[], io: CliIO) => Promise<number>;

/** Exit codes shared by every command. */
export const EXIT = {
  OK: 0,
  VIOLATIONS: 1,
  USAGE: 2,
  FAILURE: 3,
} as const;
