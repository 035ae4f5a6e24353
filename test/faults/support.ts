/**
 * What the fault and fuzz tests need beyond the bench's recording socket: a browser tab they can
 * steer (send, stop reading, drop the connection) and the log lines of the stack's Lambdas and
 * doubles, so a test can check that what happened was said, not silently dropped.
 */
import WebSocket from 'ws';
import type { LocalStack } from '../../cli/local-stack/stack';
import type { Frame } from '../../functions/protocol/frames';
import { MAX_FRAME_BYTES, type Protocol } from '../../functions/protocol/websocket';
import { END_OF_TEXT_MARKER } from '../../functions/streaming/pipeline/text-protocol';
import type { Visitor } from '../../scripts/bench/visitor';
import { presignWebSocketUrl } from '../../web-plugin/signer';
import { whenOpen } from '../support/sockets';

export interface Tab {
  socket: WebSocket;
  connectionId: string;
  messages: string[];
  frames(): Frame[];
  /** Concatenated delta text (json) or all messages (text). */
  text(): string;
  ended(): boolean;
  /** Sends one message, in ≤ 32 KB frames as browsers fragment long messages. */
  send(data: string | Buffer, binary?: boolean): void;
  /** Resolves with the close code once the socket has closed. */
  closed: Promise<number>;
  close(): Promise<void>;
}

export async function openTab(
  stack: LocalStack,
  visitor: Visitor,
  options: { protocol?: Protocol; sessionId?: string } = {},
): Promise<Tab> {
  const protocol = options.protocol ?? 'json';
  const url = await presignWebSocketUrl({
    endpoint: stack.endpoints.webSocketUrl,
    sessionId: options.sessionId ?? visitor.sessionId,
    protocol,
    credentials: visitor.credentials,
    region: stack.endpoints.region,
  });
  const before = new Set(stack.gateway.connectionIds());
  const socket = new WebSocket(url);
  const messages: string[] = [];
  socket.on('message', (data) => messages.push(String(data)));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await whenOpen(socket);
  const connectionId = stack.gateway.connectionIds().find((id) => !before.has(id)) ?? '';
  const frames = () => (protocol === 'json' ? messages.map((message) => JSON.parse(message) as Frame) : []);
  return {
    socket,
    connectionId,
    messages,
    frames,
    text: () =>
      protocol === 'json'
        ? frames()
            .map((frame) => (frame.type === 'delta' ? frame.text : ''))
            .join('')
        : // what a text reader shows: the messages joined, without the end-of-text marker
          (messages.at(-1) === END_OF_TEXT_MARKER ? messages.slice(0, -1) : messages).join(''),
    ended: () =>
      protocol === 'json'
        ? frames().some((frame) => frame.type === 'end')
        : messages.at(-1) === END_OF_TEXT_MARKER,
    send: (data, binary = false) => {
      // Like a browser, in frames the gateway accepts (≤ 32 KB each) however long the message.
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      if (bytes.length <= MAX_FRAME_BYTES) {
        socket.send(bytes, { binary });
        return;
      }
      for (let offset = 0; offset < bytes.length; offset += MAX_FRAME_BYTES) {
        const end = Math.min(bytes.length, offset + MAX_FRAME_BYTES);
        socket.send(bytes.subarray(offset, end), { binary, fin: end === bytes.length });
      }
    },
    closed,
    close: async () => {
      if (socket.readyState === WebSocket.CLOSED) return;
      if (socket.isPaused) socket.resume();
      socket.close();
      await closed;
    },
  };
}

export async function waitUntil(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface LogLine {
  source: string;
  level?: string;
  message?: string;
  [key: string]: unknown;
}

/** Collects the stack's log lines (pass `onLog` to startLocalStack). */
export class LogRecorder {
  readonly lines: LogLine[] = [];

  readonly onLog = (line: string, source: string): void => {
    try {
      this.lines.push({ ...(JSON.parse(line) as Record<string, unknown>), source });
    } catch {
      this.lines.push({ source, message: line });
    }
  };

  /** A position to search from (lines logged after it). */
  mark(): number {
    return this.lines.length;
  }

  find(message: string, since = 0, where: Partial<LogLine> = {}): LogLine[] {
    return this.lines
      .slice(since)
      .filter(
        (line) =>
          line.message === message && Object.entries(where).every(([key, value]) => line[key] === value),
      );
  }
}
