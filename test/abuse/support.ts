/**
 * What the abuse tests need on the local stack: Cognito visitors' tabs that record their frames,
 * connect attempts that report the refusal, a bounded-concurrency runner, and a file the measured
 * figures go to (build/abuse/figures.json) so a report can quote them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type WebSocket from 'ws';
import type { LocalStack } from '../../cli/local-stack/stack';
import type { Frame } from '../../functions/protocol/frames';
import type { Protocol } from '../../functions/protocol/websocket';
import type { Visitor } from '../../scripts/bench/visitor';
import { presignWebSocketUrl } from '../../web-plugin/signer';
import { openTab as openRecordedTab } from '../faults/support';
import { type UpgradeAnswer, upgrade } from '../support/sockets';

export interface Tab {
  socket: WebSocket;
  connectionId: string;
  messages: string[];
  frames(): Frame[];
  /** Frames that are not JSON frames (API Gateway's own messages, e.g. "Too Many Requests"). */
  gatewayMessages(): string[];
  send(message: unknown): void;
  close(): void;
}

/** A recorded tab (test/faults/support.ts) that also tells the gateway's own messages from frames. */
export async function openTab(
  stack: LocalStack,
  visitor: Visitor,
  options: { sessionId?: string; protocol?: Protocol } = {},
): Promise<Tab> {
  const tab = await openRecordedTab(stack, visitor, options);
  const isFrame = (message: string) => message.startsWith('{"v":');
  return {
    socket: tab.socket,
    connectionId: tab.connectionId,
    messages: tab.messages,
    frames: () => tab.messages.filter(isFrame).map((message) => JSON.parse(message) as Frame),
    gatewayMessages: () => tab.messages.filter((message) => !isFrame(message)),
    send: (message) => tab.socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    close: () => tab.socket.terminate(),
  };
}

export type ConnectAttempt = UpgradeAnswer;

/** One `$connect`: the upgraded socket (kept open) or the refusal's status and body. */
export async function attemptConnect(
  stack: LocalStack,
  visitor: Visitor,
  sessionId: string,
): Promise<ConnectAttempt> {
  const url = await presignWebSocketUrl({
    endpoint: stack.endpoints.webSocketUrl,
    sessionId,
    protocol: 'json',
    credentials: visitor.credentials,
    region: stack.endpoints.region,
  });
  return upgrade(url);
}

/** Runs `work` over `items` with at most `concurrency` at once; results in order. */
export async function runLimited<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}

export async function waitUntil(check: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts values (e.g. error codes). */
export function tally(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

const FIGURES_FILE = path.join(__dirname, '../../build/abuse/figures.json');

/** Adds one scenario's measured figures to build/abuse/figures.json and prints them. */
export function recordFigures(scenario: string, figures: Record<string, unknown>): void {
  mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(FIGURES_FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    all = {};
  }
  all[scenario] = { ...figures, measuredAt: new Date().toISOString() };
  writeFileSync(FIGURES_FILE, `${JSON.stringify(all, null, 2)}\n`);
  console.info(`${scenario}: ${JSON.stringify(figures)}`);
}
