/**
 * Structured logs: one JSON object per line with fixed keys (`level`, `time`, `service`, `message`)
 * plus whatever context the caller adds. Errors are flattened so `cause` chains survive JSON.
 *
 * Session ids and identities are bearer secrets (log-safe.ts): callers log `sessionRef`/`identityRef`
 * themselves, and as a second line of defence this logger never writes the context keys of
 * LOG_REF_KEYS raw: `sessionId: 'x'` (in a line's context or a child's) is written as
 * `sessionRef: logRef('x')`, an identity as `identityRef`, a non-string value under those keys as
 * "[redacted]". Only top-level context keys are checked; message texts and nested objects are the
 * caller's responsibility (no log message of this project contains an id).
 */
import { logSafeEntry } from './log-safe';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

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
  /** Lines below this level are dropped. @default from LOG_LEVEL, else 'info' */
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

function parseLevel(value: string | undefined): LogLevel | undefined {
  const lower = value?.toLowerCase();
  return lower === 'debug' || lower === 'info' || lower === 'warn' || lower === 'error' ? lower : undefined;
}

export function createLogger(options: LoggerOptions, baseContext: Record<string, unknown> = {}): Logger {
  const threshold = LEVEL_ORDER[options.level ?? parseLevel(process.env.LOG_LEVEL) ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emit = (level: LogLevel, message: string, context?: Record<string, unknown>): void => {
    if (LEVEL_ORDER[level] < threshold) return;
    const entry: Record<string, unknown> = {
      level,
      time: new Date().toISOString(),
      service: options.service,
      message,
    };
    for (const [key, value] of [...Object.entries(baseContext), ...Object.entries(context ?? {})]) {
      const [safeKey, safeValue] = logSafeEntry(key, value);
      entry[safeKey] = safeValue instanceof Error ? serializeError(safeValue) : safeValue;
    }
    write(JSON.stringify(entry));
  };
  return {
    debug: (message, context) => emit('debug', message, context),
    info: (message, context) => emit('info', message, context),
    warn: (message, context) => emit('warn', message, context),
    error: (message, context) => emit('error', message, context),
    child: (context) => createLogger(options, { ...baseContext, ...context }),
  };
}
