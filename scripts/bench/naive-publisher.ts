/**
 * The baseline the publisher is measured against: what QnABot 7.x does when it streams an LLM
 * answer. It starts the model, looks the session's connections up only once the first chunk is
 * there, and then makes one awaited PostToConnection per model chunk and connection, one after the
 * other, with the raw text (the `text` protocol). No coalescing, no pipelining: while a post is in
 * flight the model stream is not read, so when posts are slower than chunks the backlog (and the
 * lag behind the model) grows with the answer.
 *
 * Benchmark code only: nothing in functions/ uses it.
 */
import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { SessionTable } from '../../functions/shared/session-table';
import type { StreamSource } from '../../functions/streaming/sources/events';

export interface NaivePublishOptions {
  sessionId: string;
  source: StreamSource;
  table: Pick<SessionTable, 'listConnections'>;
  managementApi: ApiGatewayManagementApiClient;
  /** @default () => performance.now() */
  clock?: () => number;
}

export interface NaivePublishResult {
  /** The whole answer (what would return through Lex). */
  text: string;
  /** Text chunks the model produced. */
  chunks: number;
  /** PostToConnection calls made. */
  posts: number;
  /** Posts that failed (the baseline logs and carries on, as QnABot does). */
  failedPosts: number;
  /** How long each awaited post took, as the caller saw it (ms). */
  postDurationsMs: number[];
  connections: number;
}

export async function publishNaively(options: NaivePublishOptions): Promise<NaivePublishResult> {
  const clock = options.clock ?? (() => performance.now());
  const encoder = new TextEncoder();
  const result: NaivePublishResult = {
    text: '',
    chunks: 0,
    posts: 0,
    failedPosts: 0,
    postDurationsMs: [],
    connections: 0,
  };
  let connectionIds: string[] | undefined;
  for await (const event of options.source(new AbortController().signal)) {
    if (event.type !== 'text' || !event.text) continue;
    result.text += event.text;
    result.chunks += 1;
    if (connectionIds === undefined) {
      const records = await options.table.listConnections(options.sessionId);
      connectionIds = records.map((record) => record.connectionId);
      result.connections = connectionIds.length;
    }
    for (const connectionId of connectionIds) {
      const startedAt = clock();
      result.posts += 1;
      try {
        await options.managementApi.send(
          new PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(event.text) }),
        );
      } catch {
        result.failedPosts += 1;
      }
      result.postDurationsMs.push(clock() - startedAt);
    }
  }
  return result;
}
