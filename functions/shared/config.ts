/**
 * The one place that reads the environment. Each reader fails with "X is required" (or names the
 * bad value) so a misconfigured Lambda fails at cold start, not in the middle of an answer.
 */

import { MAX_CONNECTION_SECONDS, MAX_FRAME_BYTES } from '../protocol/websocket';
import {
  BINDING_DEFAULTS,
  DEFAULT_SESSION_TTL_SECONDS,
  DIRECT_ASK_DEFAULTS,
  ENV,
  IDENTITY_BINDINGS,
  type IdentityBinding,
} from './constants';
import { ConfigurationError } from './errors';

type Env = Record<string, string | undefined>;

export function requireString(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(`${name} is required`);
  return value;
}

export function optionalString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function optionalInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optionalString(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function optionalChoice<T extends string>(
  env: Env,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = optionalString(env, name);
  if (raw === undefined) return fallback;
  const match = choices.find((choice) => choice === raw.toUpperCase() || choice === raw);
  if (!match) throw new ConfigurationError(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  return match;
}

/** Shortest STREAMING_LOG_HASH_KEY accepted: shorter keys are guessable. */
export const MIN_LOG_HASH_KEY_LENGTH = 16;

/**
 * The key of the hashes that stand for session and identity ids in logs (log-safe.ts), or
 * undefined when unset (log-safe.ts then uses a random key per container).
 */
export function readLogHashKey(env: Env = process.env): string | undefined {
  const key = optionalString(env, ENV.logHashKey);
  if (key !== undefined && key.length < MIN_LOG_HASH_KEY_LENGTH) {
    throw new ConfigurationError(
      `${ENV.logHashKey} must be at least ${MIN_LOG_HASH_KEY_LENGTH} characters, got ${key.length}`,
    );
  }
  return key;
}

/** Log levels of Powertools' Logger, in the case its variables use. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/**
 * The variables a Lambda's log level comes from, strongest first, as Powertools' Logger reads them:
 * Lambda's advanced logging controls (`AWS_LAMBDA_LOG_LEVEL`, set with the function's LoggingConfig;
 * `FATAL` there is Powertools' `CRITICAL`), then `POWERTOOLS_LOG_LEVEL`, then `LOG_LEVEL` (what the
 * templates set). The Logger applies the first one on its own as well, even over a level a caller
 * chose (shared/logger.ts); Lambda drops lines below it anyway.
 */
export const LOG_LEVEL_VARIABLES = ['AWS_LAMBDA_LOG_LEVEL', 'POWERTOOLS_LOG_LEVEL', ENV.logLevel] as const;

/**
 * The configured log level, or undefined when none of LOG_LEVEL_VARIABLES is set (the logger then
 * logs from INFO). Any case is accepted (`info`, `INFO`); another value fails at cold start.
 */
export function readLogLevel(env: Env = process.env): LogLevelName | undefined {
  for (const name of LOG_LEVEL_VARIABLES) {
    const raw = optionalString(env, name);
    if (raw === undefined) continue;
    if (name === 'AWS_LAMBDA_LOG_LEVEL' && raw.toUpperCase() === 'FATAL') return 'CRITICAL';
    return optionalChoice(env, name, LOG_LEVELS, 'INFO');
  }
  return undefined;
}

/** Settings of the connection Lambda. */
export interface ConnectionConfig {
  tableName: string;
  identityBinding: IdentityBinding;
  maxSessionsPerIdentity: number;
  maxTabsPerSession: number;
  claimGraceSeconds: number;
  sessionTtlSeconds: number;
}

export function readConnectionConfig(env: Env = process.env): ConnectionConfig {
  return {
    tableName: requireString(env, ENV.tableName),
    identityBinding: optionalChoice(
      env,
      ENV.identityBinding,
      IDENTITY_BINDINGS,
      BINDING_DEFAULTS.identityBinding,
    ),
    maxSessionsPerIdentity: optionalInteger(
      env,
      ENV.maxSessionsPerIdentity,
      BINDING_DEFAULTS.maxSessionsPerIdentity,
      1,
      1000,
    ),
    maxTabsPerSession: optionalInteger(
      env,
      ENV.maxTabsPerSession,
      BINDING_DEFAULTS.maxTabsPerSession,
      1,
      100,
    ),
    claimGraceSeconds: optionalInteger(
      env,
      ENV.claimGraceSeconds,
      BINDING_DEFAULTS.claimGraceSeconds,
      0,
      3600,
    ),
    sessionTtlSeconds: optionalInteger(
      env,
      ENV.sessionTtlSeconds,
      DEFAULT_SESSION_TTL_SECONDS,
      MAX_CONNECTION_SECONDS,
      7 * 24 * 60 * 60,
    ),
  };
}

/** Settings of a publisher (a fulfillment Lambda or QnABot hook that streams answers). */
export interface PublisherConfig {
  /**
   * False when the template turned streaming off (`EnableStreaming=FALSE` gives an empty callback
   * URL and table): answers are still generated and returned through Lex, nothing is posted.
   */
  streamingEnabled: boolean;
  /** Session table name; '' when streaming is off. */
  tableName: string;
  /** `https://…/Prod`, the `@connections` endpoint; '' when streaming is off. */
  callbackUrl: string;
  /** `wss://…/Prod`, when set: a session attribute naming this endpoint is accepted for compatibility. */
  webSocketEndpoint?: string;
  coalesceWindowMs: number;
  coalesceMaxBytes: number;
  /** See ENV.textHoldMs. */
  textHoldMs: number;
  /** See ENV.allowLocalEndpoints. */
  allowLocalEndpoints: boolean;
  sessionPollMs: number;
  /** Model settings of the example Lambdas (hook arguments override them). */
  modelId?: string;
  systemPrompt?: string;
  maxTokens: number;
}

/** Defaults of the publisher; the reasoning behind the coalescing values is in functions/streaming/pipeline/coalescer.ts. */
export const PUBLISHER_DEFAULTS = {
  coalesceWindowMs: 250,
  coalesceMaxBytes: 4096,
  /** Lex Web UI shows a frame 500 ms after the next one arrives; see functions/streaming/pipeline/text-protocol.ts. */
  textHoldMs: 550,
  sessionPollMs: 350,
  maxTokens: 1024,
} as const;

function optionalUrl(env: Env, name: string, schemes: readonly string[]): string | undefined {
  const raw = optionalString(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new ConfigurationError(`${name} must be a URL, got "${raw}"`, { cause: error });
  }
  if (!schemes.includes(url.protocol)) {
    throw new ConfigurationError(`${name} must start with ${schemes.join(' or ')}, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

/**
 * Streaming is on when both the callback URL and the table are set, off when both are empty (or
 * unset); one without the other is a half-wired template and fails at cold start naming both.
 */
export function readPublisherConfig(env: Env = process.env): PublisherConfig {
  const callbackUrl = optionalUrl(env, ENV.callbackUrl, ['https:', 'http:']);
  const tableName = optionalString(env, ENV.tableName);
  if (Boolean(callbackUrl) !== Boolean(tableName)) {
    const missing = callbackUrl ? ENV.tableName : ENV.callbackUrl;
    throw new ConfigurationError(
      `${ENV.callbackUrl} and ${ENV.tableName} must both be set (streaming on) or both be empty (streaming off); ${missing} is empty`,
    );
  }
  const config: PublisherConfig = {
    streamingEnabled: Boolean(callbackUrl),
    tableName: tableName ?? '',
    callbackUrl: callbackUrl ?? '',
    coalesceWindowMs: optionalInteger(
      env,
      ENV.coalesceWindowMs,
      PUBLISHER_DEFAULTS.coalesceWindowMs,
      0,
      5000,
    ),
    coalesceMaxBytes: optionalInteger(
      env,
      ENV.coalesceMaxBytes,
      PUBLISHER_DEFAULTS.coalesceMaxBytes,
      1,
      MAX_FRAME_BYTES,
    ),
    textHoldMs: optionalInteger(env, ENV.textHoldMs, PUBLISHER_DEFAULTS.textHoldMs, 0, 5000),
    allowLocalEndpoints: optionalChoice(env, ENV.allowLocalEndpoints, ['true', 'false'], 'false') === 'true',
    sessionPollMs: optionalInteger(env, ENV.sessionPollMs, PUBLISHER_DEFAULTS.sessionPollMs, 50, 700),
    maxTokens: optionalInteger(env, ENV.maxTokens, PUBLISHER_DEFAULTS.maxTokens, 1, 200_000),
  };
  const webSocketEndpoint = optionalUrl(env, ENV.webSocketEndpoint, ['wss:', 'ws:']);
  if (webSocketEndpoint && config.streamingEnabled) config.webSocketEndpoint = webSocketEndpoint;
  const modelId = optionalString(env, ENV.modelId);
  if (modelId) config.modelId = modelId;
  const systemPrompt = optionalString(env, ENV.systemPrompt);
  if (systemPrompt) config.systemPrompt = systemPrompt;
  return config;
}

/** Limits of the direct-ask Lambda (functions/ask/ask-limits.ts applies them). */
export interface DirectAskLimits {
  /** Answers one session may have running at once (1 to 10). */
  answersInFlight: number;
  /** Questions per minute of one identity, or of one session without an owner (0 = no limit). */
  questionsPerMinute: number;
}

/** Ranges the template parameters and this reader accept. */
export const DIRECT_ASK_LIMIT_RANGES = {
  answersInFlight: { min: 1, max: 10 },
  questionsPerMinute: { min: 0, max: 600 },
} as const;

export function readDirectAskLimits(env: Env = process.env): DirectAskLimits {
  const { answersInFlight, questionsPerMinute } = DIRECT_ASK_LIMIT_RANGES;
  return {
    answersInFlight: optionalInteger(
      env,
      ENV.askAnswersInFlight,
      DIRECT_ASK_DEFAULTS.answersInFlight,
      answersInFlight.min,
      answersInFlight.max,
    ),
    questionsPerMinute: optionalInteger(
      env,
      ENV.askQuestionsPerMinute,
      DIRECT_ASK_DEFAULTS.questionsPerMinute,
      questionsPerMinute.min,
      questionsPerMinute.max,
    ),
  };
}
