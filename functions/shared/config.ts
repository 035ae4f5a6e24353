/**
 * The one place that reads the environment. Each reader fails with "X is required" (or names the
 * bad value) so a misconfigured Lambda fails at cold start, not in the middle of an answer.
 */

import {
  DEFAULT_SESSION_TTL_SECONDS,
  ENV,
  IDENTITY_BINDINGS,
  type IdentityBinding,
  MAX_CONNECTION_SECONDS,
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

/** Settings of the connection Lambda. */
export interface ConnectionConfig {
  tableName: string;
  identityBinding: IdentityBinding;
  sessionTtlSeconds: number;
}

export function readConnectionConfig(env: Env = process.env): ConnectionConfig {
  return {
    tableName: requireString(env, ENV.tableName),
    identityBinding: optionalChoice(env, ENV.identityBinding, IDENTITY_BINDINGS, 'WHEN_PRESENT'),
    sessionTtlSeconds: optionalInteger(
      env,
      ENV.sessionTtlSeconds,
      DEFAULT_SESSION_TTL_SECONDS,
      MAX_CONNECTION_SECONDS,
      7 * 24 * 60 * 60,
    ),
  };
}
