/**
 * A stand-in for stock Lex Web UI 0.24.1's streaming, written from reading its source (never
 * copied) so the tests judge us by what it does, not by what we would like it to do:
 *
 * - session id (lex-web-ui/src/lib/lex/client.js): `lex-web-ui-` + 4 hex digits, replaced by the
 *   Cognito identity id only when the credentials it is given carry `identityId`;
 * - socket (store/actions.js `InitWebSocketConnect`, store/sigv4-handlers.js `signUrl`):
 *   `endpoint + '?sessionId=' + userId`, SigV4-presigned for `execute-api` with the header
 *   `host` = the URL's hostname without the port, expiring in 3600 s; `{"action":"ping"}` on open
 *   (and every 9 minutes, not modelled: tests are shorter); never reconnects;
 * - a question (actions.js `lexPostText`, components/InputContainer.vue): session attributes
 *   `streamingEndpoint` (the endpoint with `wss://` replaced by `https://`) and
 *   `streamingDynamoDbTable` (its config value); while the Lex request is in flight each frame other
 *   than `/stop/` is pushed to a list, and each arrival schedules one append of the oldest
 *   not-yet-shown frame 500 ms later (store/mutations.js `pushWebSocketMessage`,
 *   `typingWsMessages`; actions.js `typingWsMessages`); frames outside a request are ignored;
 * - Lex's answer resets the typing bubble (`setIsStartingTypingWsMessages(false)`) and shows the
 *   final message instead.
 *
 * The bubble's text over time is recorded, so a test can say what a visitor saw.
 */

import { LexRuntimeV2Client, RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import WebSocket from 'ws';
import { lexWebUiSignUrl } from './lex-web-ui-sign-url';

export interface LexWebUiCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Present when the credential provider reports the Cognito identity (see the file comment). */
  identityId?: string;
}

export interface LexWebUiConfig {
  region: string;
  /** `lex.streamingWebSocketEndpoint` */
  streamingWebSocketEndpoint: string;
  /** `lex.streamingDynamoDbTable`; QnABot streams only when it is empty. */
  streamingDynamoDbTable: string;
  lexRuntime: string;
  botId: string;
  botAliasId: string;
  localeId: string;
}

export interface BubbleSnapshot {
  text: string;
  /** Milliseconds since the question was sent. */
  atMs: number;
}

export interface LexWebUiTurn {
  /** Every distinct bubble text shown while the request was in flight, in order. */
  bubble: BubbleSnapshot[];
  /** The message Lex returned. */
  finalMessage: string;
  /** Milliseconds from sending to Lex's answer. */
  lexAnsweredAtMs: number;
  /** Frames that arrived during the request (as received, `/stop/` included). */
  framesReceived: string[];
}

/** `lex-web-ui-` + 4 hex digits, the session id stock Lex Web UI uses without an identity. */
export function lexWebUiUserId(): string {
  return `lex-web-ui-${Math.floor(0x10000 + Math.random() * 0xffff)
    .toString(16)
    .slice(-4)}`;
}

export class LexWebUiClient {
  readonly userId: string;
  private socket?: WebSocket;
  /** Sent by the socket: `{"action":"ping"}` on open. */
  readonly sent: string[] = [];
  // The store's `streaming` state.
  private wsMessages: string[] = [];
  private wsMessagesCurrentIndex = 0;
  private wsMessagesString = '';
  private isStartingTypingWsMessages = false;
  private onFrame?: (data: string) => void;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly config: LexWebUiConfig,
    private readonly credentials: LexWebUiCredentials,
    userId?: string,
  ) {
    this.userId = credentials.identityId ?? userId ?? lexWebUiUserId();
  }

  /** Opens the streaming socket; resolves on open, rejects with the HTTP status on refusal. */
  async connect(): Promise<void> {
    const url = await lexWebUiSignUrl(
      `${this.config.streamingWebSocketEndpoint}?sessionId=${this.userId}`,
      this.credentials,
      { region: this.config.region },
    );
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.on('message', (data) => this.onFrame?.(String(data)));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => {
        const ping = JSON.stringify({ action: 'ping' });
        socket.send(ping);
        this.sent.push(ping);
        resolve();
      });
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`connect refused with HTTP ${response.statusCode}`)),
      );
      socket.once('error', reject);
    });
  }

  /** Asks through Lex as `lexPostText` does and records what the typing bubble showed. */
  async ask(text: string): Promise<LexWebUiTurn> {
    const started = Date.now();
    const bubble: BubbleSnapshot[] = [];
    const framesReceived: string[] = [];
    this.isStartingTypingWsMessages = true;
    this.onFrame = (data) => {
      framesReceived.push(data);
      if (data !== '/stop/' && this.isStartingTypingWsMessages) {
        this.wsMessages.push(data);
        this.scheduleTyping(() => {
          if (bubble.at(-1)?.text !== this.wsMessagesString) {
            bubble.push({ text: this.wsMessagesString, atMs: Date.now() - started });
          }
        });
      }
    };
    const lex = new LexRuntimeV2Client({
      endpoint: this.config.lexRuntime,
      region: this.config.region,
      credentials: this.credentials,
    });
    try {
      const response = await lex.send(
        new RecognizeTextCommand({
          botId: this.config.botId,
          botAliasId: this.config.botAliasId,
          localeId: this.config.localeId,
          sessionId: this.userId,
          text,
          sessionState: {
            sessionAttributes: {
              streamingEndpoint: this.config.streamingWebSocketEndpoint.replace('wss://', 'https://'),
              streamingDynamoDbTable: this.config.streamingDynamoDbTable,
            },
          },
        }),
      );
      const lexAnsweredAtMs = Date.now() - started;
      this.resetTyping();
      return {
        bubble,
        finalMessage: response.messages?.map((message) => message.content ?? '').join('\n') ?? '',
        lexAnsweredAtMs,
        framesReceived,
      };
    } finally {
      lex.destroy();
    }
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.socket?.terminate();
  }

  /** actions.js `typingWsMessages`: one append 500 ms after each arrival that has a successor frame. */
  private scheduleTyping(record: () => void): void {
    if (this.wsMessagesCurrentIndex >= this.wsMessages.length - 1) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.isStartingTypingWsMessages) return;
      this.wsMessagesString += this.wsMessages[this.wsMessagesCurrentIndex] ?? '';
      this.wsMessagesCurrentIndex += 1;
      record();
    }, 500);
    this.timers.add(timer);
  }

  /** mutations.js `setIsStartingTypingWsMessages(false)`: Lex answered, the bubble goes away. */
  private resetTyping(): void {
    this.isStartingTypingWsMessages = false;
    this.wsMessagesString = '';
    this.wsMessages = [];
    this.wsMessagesCurrentIndex = 0;
  }
}
