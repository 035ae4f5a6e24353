/**
 * Load on the local stack, as browsers cause it, shared by the CI test (test/load/) and
 * `npm run load:full` (main.ts):
 *
 * - `runConcurrentAnswers`: N Cognito visitors, each with a presigned json socket, ask Lex at the
 *   same moment; every session's frames are checked against its own Lex answer (delivery.ts).
 * - `holdIdleConnections`: M authenticated sockets opened with bounded concurrency and held open;
 *   connect rate and memory per connection.
 *
 * The stack runs in this process (the gateway, dynalite, the doubles; the Lambdas in worker threads),
 * and so do the clients, so `process.memoryUsage()` covers both sides: the memory figures are upper
 * bounds for the gateway alone.
 */

import type { ConnectionsRequest } from '../../cli/local-stack/execute-api';
import { KNOWLEDGE_BASE_ENTRIES } from '../../cli/local-stack/knowledge-base/entries';
import type { LocalStack } from '../../cli/local-stack/stack';
import { percentile, round } from '../bench/measure';
import { newVisitor, openRecordingSocket, type RecordingSocket, type Visitor } from '../bench/visitor';
import { checkDelivery, parseFrames } from './delivery';
import { LoadError } from './errors';
import { askThroughLex, type LexAnswer } from './lex-ask';

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
  return {
    p50: round(percentile(values, 50)),
    p99: round(percentile(values, 99)),
    max: round(Math.max(...values)),
  };
}

export interface MemorySnapshot {
  rssMb: number;
  heapUsedMb: number;
  /** True when a full GC ran first (node --expose-gc); without it heap figures include garbage. */
  afterGc: boolean;
}

export function memorySnapshot(): MemorySnapshot {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssMb: round(rss / 2 ** 20), heapUsedMb: round(heapUsed / 2 ** 20), afterGc: gc !== undefined };
}

/**
 * Records when the gateway receives each `@connections` POST, per connection (one post is in flight
 * per connection, so the i-th post is the i-th frame). Pass `latencyMs` as the stack's
 * `connectionsLatencyMs`: it records and adds no delay.
 */
export interface PostClock {
  latencyMs(request: ConnectionsRequest): number;
  arrivals(connectionId: string): readonly number[];
}

export function createPostClock(clock: () => number = () => performance.now()): PostClock {
  const arrivals = new Map<string, number[]>();
  return {
    latencyMs(request) {
      if (request.method === 'POST') {
        const list = arrivals.get(request.connectionId) ?? [];
        list.push(clock());
        arrivals.set(request.connectionId, list);
      }
      return 0;
    },
    arrivals: (connectionId) => arrivals.get(connectionId) ?? [],
  };
}

/** `items` through `work`, at most `concurrency` at once, results in input order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

export interface SessionOutcome {
  sessionId: string;
  question: string;
  /** Empty when every frame arrived in order and the deltas equal the Lex answer. */
  problems: string[];
  frames: number;
  answerChars: number;
}

export interface ConcurrentAnswersReport {
  sessions: number;
  /** Sessions whose socket got the whole answer, in order, equal to the Lex answer. */
  complete: number;
  /** Sessions with problems (all of them; empty on a good run). */
  failed: SessionOutcome[];
  frames: number;
  /** Question sent → first delta on the socket, per session. */
  firstTextMs: Percentiles;
  /** The publisher's own time to the model's first token (`ttftMs` of the end frame), per session. */
  modelFirstTokenMs: Percentiles;
  /** Gateway received the POST → the browser had the frame, per frame. */
  frameDeliveryMs: Percentiles;
  /** Question sent → Lex answer received, per session. */
  lexAnswerMs: Percentiles;
  /** First question sent → last session checked. */
  wallMs: number;
  memoryBefore: MemorySnapshot;
  memoryAfter: MemorySnapshot;
}

export interface ConcurrentAnswersOptions {
  stack: LocalStack;
  /** The clock passed to the stack as `connectionsLatencyMs`. */
  postClock: PostClock;
  sessions: number;
  /** How long a session may take after Lex answered to show its end frame. @default 10000 */
  endFrameTimeoutMs?: number;
}

interface Participant {
  visitor: Visitor;
  socket: RecordingSocket;
  connectionId: string;
  question: string;
}

/** Opens one presigned json socket and finds the gateway's id for it (sockets open one at a time). */
async function join(stack: LocalStack, visitor: Visitor, question: string): Promise<Participant> {
  const before = new Set(stack.gateway.connectionIds());
  const socket = await openRecordingSocket({ endpoints: stack.endpoints, visitor, protocol: 'json' });
  const connectionId = stack.gateway.connectionIds().find((id) => !before.has(id));
  if (!connectionId) {
    await socket.close();
    throw new LoadError('the gateway has no new connection after a socket opened');
  }
  return { visitor, socket, connectionId, question };
}

export async function runConcurrentAnswers(
  options: ConcurrentAnswersOptions,
): Promise<ConcurrentAnswersReport> {
  const { stack, postClock } = options;
  const endFrameTimeoutMs = options.endFrameTimeoutMs ?? 10_000;
  const visitors = await mapWithConcurrency(
    Array.from({ length: options.sessions }, (_, index) => index),
    20,
    () => newVisitor(stack.endpoints),
  );
  const participants: Participant[] = [];
  try {
    for (const [index, visitor] of visitors.entries()) {
      const entry = KNOWLEDGE_BASE_ENTRIES[index % KNOWLEDGE_BASE_ENTRIES.length];
      participants.push(await join(stack, visitor, entry?.question ?? 'What is QnABot?'));
    }
    const memoryBefore = memorySnapshot();
    const startedAt = performance.now();
    // Everyone asks at once; each session is checked as soon as its Lex answer is back.
    const outcomes = await Promise.all(
      participants.map(async (participant) => {
        let answer: LexAnswer;
        try {
          answer = await askThroughLex(stack.endpoints, participant.visitor, participant.question);
        } catch (error) {
          return { participant, answer: undefined, error: error as Error };
        }
        await waitFor(
          () => participant.socket.frames.some((message) => message.text.includes('"type":"end"')),
          endFrameTimeoutMs,
        );
        return { participant, answer, error: undefined };
      }),
    );
    const wallMs = round(performance.now() - startedAt);
    const memoryAfter = memorySnapshot();

    const failed: SessionOutcome[] = [];
    const firstText: number[] = [];
    const delivery: number[] = [];
    const lexAnswer: number[] = [];
    const modelFirstToken: number[] = [];
    let frameCount = 0;
    for (const { participant, answer, error } of outcomes) {
      const { frames, problems } = parseFrames(participant.socket.frames);
      frameCount += frames.length;
      const outcome: SessionOutcome = {
        sessionId: participant.visitor.sessionId,
        question: participant.question,
        problems,
        frames: frames.length,
        answerChars: answer?.text.length ?? 0,
      };
      if (!answer) {
        outcome.problems.push(`Lex did not answer: ${error?.name}: ${error?.message}`);
        failed.push(outcome);
        continue;
      }
      outcome.problems.push(
        ...checkDelivery(
          frames.map(({ frame }) => frame),
          answer.text,
        ),
      );
      if (outcome.problems.length > 0) failed.push(outcome);
      lexAnswer.push(answer.answeredAt - answer.sentAt);
      const firstDelta = frames.find(({ frame }) => frame.type === 'delta');
      if (firstDelta) firstText.push(firstDelta.at - answer.sentAt);
      const end = frames.at(-1)?.frame;
      if (end?.type === 'end' && end.ttftMs !== undefined) modelFirstToken.push(end.ttftMs);
      const arrivals = postClock.arrivals(participant.connectionId);
      for (const [index, { at }] of frames.entries()) {
        const postedAt = arrivals[index];
        if (postedAt !== undefined) delivery.push(at - postedAt);
      }
    }
    return {
      sessions: participants.length,
      complete: participants.length - failed.length,
      failed,
      frames: frameCount,
      firstTextMs: percentiles(firstText),
      modelFirstTokenMs: percentiles(modelFirstToken),
      frameDeliveryMs: percentiles(delivery),
      lexAnswerMs: percentiles(lexAnswer),
      wallMs,
      memoryBefore,
      memoryAfter,
    };
  } finally {
    await Promise.all(participants.map(({ socket }) => socket.close()));
  }
}

export interface IdleConnectionsReport {
  requested: number;
  opened: number;
  /** Open connections the gateway counted while they were held. */
  heldOpen: number;
  refused: string[];
  connectMs: number;
  connectsPerSecond: number;
  memoryBefore: MemorySnapshot;
  memoryAfter: MemorySnapshot;
  /** (after − before) / opened, in KB. */
  rssKbPerConnection: number;
  heapKbPerConnection: number;
}

export interface IdleConnectionsOptions {
  stack: LocalStack;
  connections: number;
  /** Sockets being opened at once. @default 25 */
  concurrency?: number;
  /** Called while every connection is held open (e.g. to check the stack still serves). */
  whileHeld?: (report: IdleConnectionsReport) => Promise<void>;
}

/**
 * Opens `connections` presigned sockets, one Cognito visitor each (visitors are made before the
 * clock starts, so the rate is presign + upgrade + `$connect` Lambda + table write), holds them,
 * then closes them all and waits until the gateway has none of them left.
 */
export async function holdIdleConnections(options: IdleConnectionsOptions): Promise<IdleConnectionsReport> {
  const { stack } = options;
  const visitors = await mapWithConcurrency(
    Array.from({ length: options.connections }, (_, index) => index),
    20,
    () => newVisitor(stack.endpoints),
  );
  const openBefore = stack.gateway.connectionIds().length;
  const memoryBefore = memorySnapshot();
  const refused: string[] = [];
  const startedAt = performance.now();
  const sockets = await mapWithConcurrency(visitors, options.concurrency ?? 25, async (visitor) => {
    try {
      return await openRecordingSocket({ endpoints: stack.endpoints, visitor, protocol: 'json' });
    } catch (error) {
      refused.push((error as Error).message);
      return undefined;
    }
  });
  const connectMs = performance.now() - startedAt;
  const open = sockets.filter((socket): socket is RecordingSocket => socket !== undefined);
  try {
    const memoryAfter = memorySnapshot();
    const report: IdleConnectionsReport = {
      requested: options.connections,
      opened: open.length,
      heldOpen: stack.gateway.connectionIds().length - openBefore,
      refused,
      connectMs: round(connectMs),
      connectsPerSecond: round((open.length / connectMs) * 1000),
      memoryBefore,
      memoryAfter,
      rssKbPerConnection: round(((memoryAfter.rssMb - memoryBefore.rssMb) * 1024) / Math.max(1, open.length)),
      heapKbPerConnection: round(
        ((memoryAfter.heapUsedMb - memoryBefore.heapUsedMb) * 1024) / Math.max(1, open.length),
      ),
    };
    await options.whileHeld?.(report);
    return report;
  } finally {
    await Promise.all(open.map((socket) => socket.close()));
    await waitFor(() => stack.gateway.connectionIds().length <= openBefore, 10_000);
  }
}

function gcNote(snapshot: MemorySnapshot): string {
  return snapshot.afterGc ? ' (after full GC)' : ' (no --expose-gc: heap includes garbage)';
}

/** One line per figure, for the test log and `npm run load:full`. */
export function formatAnswersReport(report: ConcurrentAnswersReport): string {
  const ms = (p: Percentiles) => `p50 ${p.p50} ms, p99 ${p.p99} ms, max ${p.max} ms`;
  return [
    `concurrent answers: ${report.complete}/${report.sessions} sessions complete and in order, ${report.frames} frames, wall ${report.wallMs} ms`,
    `  first text after asking: ${ms(report.firstTextMs)}`,
    `  model first token (publisher start -> first token, end frame ttftMs): ${ms(report.modelFirstTokenMs)}`,
    `  frame delivery (gateway POST -> browser): ${ms(report.frameDeliveryMs)}`,
    `  Lex answer: ${ms(report.lexAnswerMs)}`,
    `  process memory: rss ${report.memoryBefore.rssMb} -> ${report.memoryAfter.rssMb} MB, heap ${report.memoryBefore.heapUsedMb} -> ${report.memoryAfter.heapUsedMb} MB${gcNote(report.memoryAfter)}`,
    ...report.failed
      .slice(0, 5)
      .map((outcome) => `  FAILED ${outcome.sessionId}: ${outcome.problems.join('; ')}`),
  ].join('\n');
}

export function formatIdleReport(report: IdleConnectionsReport): string {
  return [
    `idle connections: ${report.opened}/${report.requested} opened (${report.refused.length} refused), ${report.heldOpen} held open`,
    `  connect rate: ${report.connectsPerSecond} connections/s (${report.connectMs} ms for all)`,
    `  process memory: rss ${report.memoryBefore.rssMb} -> ${report.memoryAfter.rssMb} MB (${report.rssKbPerConnection} KB/connection), heap ${report.memoryBefore.heapUsedMb} -> ${report.memoryAfter.heapUsedMb} MB (${report.heapKbPerConnection} KB/connection)${gcNote(report.memoryAfter)}`,
    ...report.refused.slice(0, 3).map((reason) => `  refused: ${reason}`),
  ].join('\n');
}
