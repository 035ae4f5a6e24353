/**
 * Structured logs: one JSON object per line with fixed keys (`level`, `time`, `service`, `message`)
 * plus whatever context the caller adds. Errors are flattened so `cause` chains survive JSON.
 *
 * The lines are written by Powertools for AWS Lambda's Logger: it decides which levels are written
 * (functions/shared/config.ts `readLogLevel`; Lambda's advanced logging controls win over everything,
 * POWERTOOLS_LOGGER_SAMPLE_RATE turns on DEBUG for that share of containers) and serializes the line
 * (an Error anywhere in the context, BigInts, circular references). This module keeps the project's
 * line format (ProjectLogFormatter), one line per call on stdout or the caller's `write`, and the
 * small `Logger` interface the modules receive as a parameter, so tests inject their own.
 *
 * Session ids and identities are bearer secrets (log-safe.ts): callers log `sessionRef`/`identityRef`
 * themselves, and as a second line of defence this logger never writes the context keys of
 * LOG_REF_KEYS raw: `sessionId: 'x'` (in a line's context or a child's) is written as
 * `sessionRef: logRef('x')`, an identity as `identityRef`, a non-string value under those keys as
 * "[redacted]". Only top-level context keys are checked; message texts and nested objects are the
 * caller's responsibility (no log message of this project contains an id). The keys Powertools
 * reserves for itself (`level`, `message`, `service`, `timestamp`, `sampling_rate`) are dropped from a
 * context, with a warning line.
 */
import { LogFormatter, LogItem, Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { readLogLevel } from './config';
import { logSafeEntry } from './log-safe';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
  /** A logger that adds `context` to every line (e.g. the session id of one request). */
  child(context: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** Name of the component writing the line. */
  service: string;
  /** Lines below this level are dropped. @default readLogLevel() (LOG_LEVEL and friends), else 'info' */
  level?: LogLevel;
  /** Where lines go. @default process.stdout */
  write?: (line: string) => void;
}

export function serializeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return error;
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  const statusCode = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (statusCode !== undefined) out.statusCode = statusCode;
  if (error.cause !== undefined && depth < 5) out.cause = serializeError(error.cause, depth + 1);
  return out;
}

/** `level`, `time`, `service`, `message`, then the context, in the order the caller gave it. */
class ProjectLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, context: LogAttributes): LogItem {
    // Built directly (not addAttributes, which deep-merges): Error values must reach the JSON
    // replacer as Errors, so formatError can keep their cause chain.
    return new LogItem({
      attributes: {
        level: attributes.logLevel.toLowerCase(),
        time: attributes.timestamp.toISOString(),
        service: attributes.serviceName,
        message: attributes.message,
        ...context,
      },
    });
  }

  override formatError(error: Error): LogAttributes {
    return serializeError(error) as LogAttributes;
  }
}

const writeStdout = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Powertools' Logger writing each line through `write` (Powertools' own printing drops '' and null values and splits stdout/stderr by level; the project's lines did neither). */
class LineLogger extends PowertoolsLogger {
  /** Unset while Powertools' constructor runs (a warning it prints then goes to stdout). */
  write: ((line: string) => void) | undefined;

  protected override printLog(_level: number, log: LogItem): void {
    (this.write ?? writeStdout)(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}

function logSafeContext(context: Record<string, unknown> | undefined): Record<string, unknown> {
  const safe: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context ?? {})) {
    const [safeKey, safeValue] = logSafeEntry(key, value);
    safe[safeKey] = safeValue;
  }
  return safe;
}

function contextLogger(powertools: PowertoolsLogger, base: Record<string, unknown>): Logger {
  const line = (context: Record<string, unknown> | undefined) =>
    context === undefined ? base : { ...base, ...logSafeContext(context) };
  return {
    debug: (message, context) => powertools.debug(message, line(context)),
    info: (message, context) => powertools.info(message, line(context)),
    warn: (message, context) => powertools.warn(message, line(context)),
    error: (message, context) => powertools.error(message, line(context)),
    child: (context) => contextLogger(powertools, line(context)),
  };
}

export function createLogger(options: LoggerOptions, baseContext: Record<string, unknown> = {}): Logger {
  const powertools = new LineLogger({
    serviceName: options.service,
    logLevel: options.level ?? readLogLevel() ?? 'INFO',
    logFormatter: new ProjectLogFormatter(),
  });
  powertools.write = options.write;
  return contextLogger(powertools, logSafeContext(baseContext));
}
