/**
 * Shared set-up of the local Bedrock tests: a double on a free port with a captured logger, and
 * SDK clients pointed at it with the local stack's static dev credentials.
 */
import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import {
  type LocalBedrock,
  type LocalBedrockOptions,
  startLocalBedrock,
} from '../../cli/local-stack/bedrock/server';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { createLogger, type Logger } from '../../functions/shared/logger';

export interface CapturedLogs {
  logger: Logger;
  lines: Record<string, unknown>[];
}

export function captureLogs(): CapturedLogs {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'local-bedrock',
    level: 'debug',
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

export async function startDouble(
  options: LocalBedrockOptions = {},
): Promise<{ bedrock: LocalBedrock; logs: CapturedLogs }> {
  const logs = captureLogs();
  const bedrock = await startLocalBedrock({ logger: logs.logger, ...options });
  return { bedrock, logs };
}

type ClientExtras = Omit<ConstructorParameters<typeof BedrockRuntimeClient>[0], 'endpoint' | 'region'>;

export function runtimeClient(bedrock: LocalBedrock, extras: ClientExtras = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: bedrock.runtimeEndpoint,
    region: bedrock.region,
    credentials: { ...DEV_CREDENTIALS },
    ...extras,
  });
}

export function agentRuntimeClient(
  bedrock: LocalBedrock,
  extras: ClientExtras = {},
): BedrockAgentRuntimeClient {
  return new BedrockAgentRuntimeClient({
    endpoint: bedrock.agentRuntimeEndpoint,
    region: bedrock.region,
    credentials: { ...DEV_CREDENTIALS },
    ...extras,
  });
}

/** Polls `predicate` every 20 ms until it holds or `timeoutMs` passes. */
export async function waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
