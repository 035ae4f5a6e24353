/**
 * Errors of the `qna-streaming` CLI. A `CliError` carries the exit code and a message that says
 * what to do; `UsageError` (exit 2) is a wrong command line.
 */
import { QnaStreamingError } from '../functions/protocol/errors';

/** Exit codes of every command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends QnaStreamingError {
  readonly exitCode: ExitCode;

  constructor(message: string, options?: { cause?: unknown; exitCode?: ExitCode }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = options?.exitCode ?? EXIT.failure;
  }
}

/** The command line is wrong (unknown flag, missing value): exit code 2 and the command's usage. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: EXIT.usage });
    this.name = 'UsageError';
  }
}

/** Name of an AWS SDK (or other) error, for matching specific failures. */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** True when the SDK could not find credentials anywhere in its default chain. */
export function isMissingCredentials(error: unknown): boolean {
  const name = errorName(error);
  return (
    name === 'CredentialsProviderError' ||
    (error instanceof Error && /Could not load credentials|Unable to locate credentials/i.test(error.message))
  );
}

/** What to do when no credentials are found (shared by publish, ask and doctor). */
export const MISSING_CREDENTIALS_HELP =
  'no AWS credentials found: set AWS_PROFILE (after `aws configure` or `aws sso login`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary credentials)';
