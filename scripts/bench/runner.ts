/**
 * Runs the same question through the naive baseline and the publisher, configuration by
 * configuration, against one local stack: the real SDK clients talk to the local Bedrock model
 * (seeded, so both publishers see the same chunks), the local execute-api (`@connections` with the
 * configured latency) and dynalite; a real `ws` client, presigned with a Cognito visitor's
 * credentials, timestamps every message it receives.
 *
 * Both publishers run in this process (as a Lambda would run them), one after the other, each with
 * its own visitor and socket, so the measurements share one clock and do not disturb each other.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../cli/local-stack/stack';
import { PUBLISHER_DEFAULTS } from '../../functions/shared/config';
import { DEFAULT_SESSION_TTL_SECONDS } from '../../functions/shared/constants';
import { createLogger } from '../../functions/shared/logger';
import { SessionTable } from '../../functions/shared/session-table';
import { publishAnswer } from '../../functions/streaming/pipeline/publisher';
import { END_OF_TEXT_MARKER } from '../../functions/streaming/pipeline/text-protocol';
import { converseInputForQuestion, converseStreamSource } from '../../functions/streaming/sources/converse';
import type { StreamSource } from '../../functions/streaming/sources/events';
import { BenchError } from './errors';
import { type PublisherFigures, percentile, publisherFigures, round } from './measure';
import { publishNaively } from './naive-publisher';
import { timedSource } from './timed-source';
import { newVisitor, openRecordingSocket } from './visitor';

export const PUBLISHERS = ['naive', 'publisher'] as const;
export type PublisherName = (typeof PUBLISHERS)[number];

export interface BenchConfiguration {
  tokensPerSecond: number;
  answerTokens: number;
  /** Latency the local `@connections` API adds to every call. */
  postLatencyMs: number;
}

export interface BenchRow extends BenchConfiguration {
  /** Text chunks the model sent (the same sequence for both publishers). */
  modelChunks: number;
  /**
   * "One post latency" as measured in this configuration: the median duration of one awaited
   * PostToConnection (injected latency plus local HTTP, SigV4 and WebSocket work).
   */
  postRoundTripMs: number;
  naive: PublisherFigures;
  publisher: PublisherFigures;
}

/** What the model said and what one client received, to check that nothing was lost or reordered. */
export interface AnswerTranscript {
  /** The model's text (its chunks joined). */
  answer: string;
  /** What the publisher returned as the final answer. */
  returned: string;
  /** Every message the client received, joined in arrival order. */
  received: string;
}

export interface BenchTranscript {
  configuration: BenchConfiguration;
  naive: AnswerTranscript;
  publisher: AnswerTranscript;
}

export interface BenchSettings {
  question: string;
  timeToFirstTokenMs: number;
  coalesceWindowMs: number;
  seed: number;
}

export interface BenchResult {
  settings: BenchSettings;
  rows: BenchRow[];
  transcripts: BenchTranscript[];
}

export interface BenchOptions {
  configurations: readonly BenchConfiguration[];
  /** @default 'How does coalescing reduce the number of posts?' */
  question?: string;
  /** @default 300 */
  timeToFirstTokenMs?: number;
  /** The publisher's window. @default PUBLISHER_DEFAULTS.coalesceWindowMs */
  coalesceWindowMs?: number;
  /** Seed of the local model's chunking. @default 7 */
  seed?: number;
  /** One line per finished configuration. */
  onProgress?: (line: string) => void;
  /** Warnings and errors of the publishers and the stack. @default stderr */
  onLog?: (line: string) => void;
}

const clock = () => performance.now();

interface Clients {
  stack: LocalStack;
  bedrock: BedrockRuntimeClient;
  managementApi: ApiGatewayManagementApiClient;
  table: SessionTable;
}

interface OneAnswer {
  figures: PublisherFigures;
  transcript: AnswerTranscript;
  chunkTexts: string[];
  postDurationsMs: number[];
}

async function answerOnce(
  clients: Clients,
  publisher: PublisherName,
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<OneAnswer> {
  const { stack } = clients;
  const visitor = await newVisitor(stack.endpoints);
  const socket = await openRecordingSocket({ endpoints: stack.endpoints, visitor, clock });
  try {
    const model: StreamSource = converseStreamSource(
      clients.bedrock,
      converseInputForQuestion({ modelId: stack.endpoints.modelId, question: settings.question }),
    );
    const timed = timedSource(model, clock);
    const postsBefore = stack.gateway.stats().posts;
    const startedAt = clock();
    let returned: string;
    let postDurationsMs: number[] = [];
    if (publisher === 'naive') {
      const result = await publishNaively({
        sessionId: visitor.sessionId,
        source: timed.source,
        table: clients.table,
        managementApi: clients.managementApi,
        clock,
      });
      returned = result.text;
      postDurationsMs = result.postDurationsMs;
    } else {
      const result = await publishAnswer({
        sessionId: visitor.sessionId,
        source: timed.source,
        table: clients.table,
        managementApi: clients.managementApi,
        coalesceWindowMs: settings.coalesceWindowMs,
        // The 550 ms hold before returning to Lex exists for Lex Web UI's display
        // (functions/streaming/pipeline/text-protocol.ts); it is not part of the publisher's streaming, which
        // is what this bench compares, so it is off here and the hook time stays comparable.
        textHoldMs: 0,
        metrics: false,
        logger: createLogger({ service: 'bench-publisher', level: 'warn', write: log }),
      });
      returned = result.text;
    }
    const hookMs = clock() - startedAt;
    const answer = timed.chunks.map((chunk) => chunk.text).join('');
    // The publisher ends a text-protocol answer with the end-of-text marker frame (text-protocol.ts).
    const marker = publisher === 'publisher' && answer ? END_OF_TEXT_MARKER : '';
    await socket.waitForLength(answer.length + marker.length, 10_000);
    const posts = stack.gateway.stats().posts - postsBefore;
    const frames =
      marker && socket.frames.at(-1)?.text === marker ? socket.frames.slice(0, -1) : socket.frames;
    return {
      figures: publisherFigures({ chunks: timed.chunks, frames, posts, hookMs }),
      transcript: { answer, returned, received: frames.map((frame) => frame.text).join('') },
      chunkTexts: timed.chunks.map((chunk) => chunk.text),
      postDurationsMs,
    };
  } finally {
    await socket.close();
    // Let the gateway run $disconnect (a Lambda and a table write) before the next answer is timed.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function sameChunks(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((text, index) => text === b[index]);
}

function validate(configuration: BenchConfiguration): void {
  for (const [name, value] of Object.entries(configuration)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new BenchError(`${name} must be a non-negative number, got ${String(value)}`);
    }
  }
  if (configuration.tokensPerSecond <= 0 || !Number.isInteger(configuration.answerTokens)) {
    throw new BenchError(
      `tokensPerSecond must be > 0 and answerTokens an integer, got ${JSON.stringify(configuration)}`,
    );
  }
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  options.configurations.forEach(validate);
  const settings: BenchSettings = {
    question: options.question ?? 'How does coalescing reduce the number of posts?',
    timeToFirstTokenMs: options.timeToFirstTokenMs ?? 300,
    coalesceWindowMs: options.coalesceWindowMs ?? PUBLISHER_DEFAULTS.coalesceWindowMs,
    seed: options.seed ?? 7,
  };
  const log = options.onLog ?? ((line: string) => process.stderr.write(`${line}\n`));
  let postLatencyMs = 0;
  // `demo` is an option of newer stacks; the benchmark needs no page.
  const stackOptions: LocalStackOptions & { demo?: boolean } = {
    demo: false,
    connectionsLatencyMs: () => postLatencyMs,
    modelBehaviour: { seed: settings.seed, timeToFirstTokenMs: settings.timeToFirstTokenMs },
    onLog: (line) => {
      if (line.includes('"level":"error"')) log(line);
    },
  };
  const stack = await startLocalStack(stackOptions);
  const { region } = stack.endpoints;
  const credentials = { ...DEV_CREDENTIALS };
  const dynamoDb = stack.dynamodb.client();
  const clients: Clients = {
    stack,
    bedrock: new BedrockRuntimeClient({ endpoint: stack.endpoints.bedrockRuntime, region, credentials }),
    // As the publisher runtime creates it: the poster has its own retry policy.
    managementApi: new ApiGatewayManagementApiClient({
      endpoint: stack.endpoints.callbackUrl,
      region,
      credentials,
      maxAttempts: 1,
    }),
    table: new SessionTable({
      client: dynamoDb,
      tableName: stack.endpoints.tableName,
      ttlSeconds: DEFAULT_SESSION_TTL_SECONDS,
    }),
  };
  const setModel = (configuration: BenchConfiguration) => {
    if (!stack.bedrock) throw new BenchError('the benchmark needs the local model');
    stack.bedrock.setBehaviour({
      tokensPerSecond: configuration.tokensPerSecond,
      answerTokens: configuration.answerTokens,
      minTokensPerChunk: 1,
      maxTokensPerChunk: 5,
    });
    postLatencyMs = configuration.postLatencyMs;
  };
  try {
    // Warm-up (not measured): the first HTTP/2 session, SDK middleware and table reads are slow once.
    setModel({ tokensPerSecond: 1000, answerTokens: 20, postLatencyMs: 0 });
    for (const publisher of PUBLISHERS) await answerOnce(clients, publisher, settings, log);

    const rows: BenchRow[] = [];
    const transcripts: BenchTranscript[] = [];
    for (const configuration of options.configurations) {
      setModel(configuration);
      const naive = await answerOnce(clients, 'naive', settings, log);
      const publisher = await answerOnce(clients, 'publisher', settings, log);
      if (!sameChunks(naive.chunkTexts, publisher.chunkTexts)) {
        throw new BenchError(
          `the model sent different chunks to the two publishers (${naive.chunkTexts.length} vs ${publisher.chunkTexts.length}); the comparison would be unfair`,
        );
      }
      const row: BenchRow = {
        ...configuration,
        modelChunks: naive.chunkTexts.length,
        postRoundTripMs: round(percentile(naive.postDurationsMs, 50)),
        naive: naive.figures,
        publisher: publisher.figures,
      };
      rows.push(row);
      transcripts.push({ configuration, naive: naive.transcript, publisher: publisher.transcript });
      options.onProgress?.(
        `${configuration.tokensPerSecond} tok/s × ${configuration.answerTokens} tokens × ${configuration.postLatencyMs} ms: ` +
          `posts ${row.naive.posts} → ${row.publisher.posts}, end lag ${row.naive.endLagMs} → ${row.publisher.endLagMs} ms`,
      );
    }
    return { settings, rows, transcripts };
  } finally {
    clients.bedrock.destroy();
    clients.managementApi.destroy();
    dynamoDb.destroy();
    await stack.stop();
  }
}
