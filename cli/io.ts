/** Where a command writes: stdout for results, stderr for progress and problems. Tests capture both. */
export interface CliIo {
  /** Writes to stdout as is (no newline added). */
  out(text: string): void;
  /** Writes to stderr as is (no newline added). */
  err(text: string): void;
  /** Environment the command reads (AWS_REGION, credentials for the SDK chain). */
  readonly env: NodeJS.ProcessEnv;
}

export function nodeIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
  };
}

/** Writes a line to stdout. */
export function line(io: CliIo, text = ''): void {
  io.out(`${text}\n`);
}

/** Writes a line to stderr. */
export function note(io: CliIo, text: string): void {
  io.err(`${text}\n`);
}
