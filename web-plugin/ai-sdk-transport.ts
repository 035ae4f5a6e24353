/**
 * A `ChatTransport` for the Vercel AI SDK's `useChat` (React; the Vue and Svelte bindings take the
 * same transport): the question goes to the bot through the page's `ask` (Lex RecognizeText, or the
 * direct-ask route), and the answer streams back as UI message chunks built from the
 * StreamingClient's events of that turn:
 *
 * | client event            | UI message chunks                                                       |
 * |-------------------------|-------------------------------------------------------------------------|
 * | (the question is sent)  | `start`                                                                 |
 * | `start` frame           | `text-start` (the part's id is the turn id)                             |
 * | `status` frame          | a transient `data-status` part (`useChat`'s `onData`; never in `messages`) |
 * | `delta` frame           | `text-delta`                                                            |
 * | `citation` frame        | `source-url`, one per source with a `uri` (title when given)            |
 * | `end` frame + `ask` result | the rest of the bot's final answer, `text-end`, `finish` (metadata: `usage`, `ttftMs`, `totalMs`, `stopReason`) |
 * | `error` frame of the turn | an `error` chunk after the final answer (so the partial answer and the bot's note stay) |
 * | `ask` rejects           | an `error` chunk with its message                                       |
 * | `abortSignal` (`stop()`)| `client.cancel()`, the stream closes                                    |
 *
 * The bot's final answer (what `ask` resolves with) is the answer of record, as in the chat widget:
 * when it extends the streamed text (the usual case, or a note after a failed model stream) the rest
 * is appended; when nothing streamed (streaming off, socket down) it is the whole text; when it
 * differs (the bot reformatted it) a `reset-step` chunk drops the streamed parts and it replaces them.
 *
 * Only types come from the SDK (the check at the end of this file), so the module pulls none of
 * the SDK into a bundle; its public types are the subset of the SDK's it uses, declared here, so
 * its declarations need no `ai` package either.
 */
import type { ChatTransport, UIMessage } from 'ai';
import type {
  CitationFrame,
  DeltaFrame,
  EndFrame,
  StartFrame,
  StatusFrame,
  StatusPhase,
  Usage,
} from '../functions/protocol/frames';
import type { StreamingClient } from './client';
import { WebPluginError } from './errors';

/** How long after the bot answered the transport waits for the turn's `end` frame. */
export const DEFAULT_END_GRACE_MS = 2000;

/** What `finish` carries as `messageMetadata` (read it as `message.metadata`). */
export interface QnaMessageMetadata {
  turnId?: string;
  /** Bedrock stop reason (`end_turn`, `max_tokens`, …) or `cancelled` / `error`. */
  stopReason?: string;
  usage?: Usage;
  /** Milliseconds from the start of the turn to the first text (timed in the publishing Lambda). */
  ttftMs?: number;
  totalMs?: number;
}

/**
 * A `data-status` part's data: what the answer is doing while no text arrives (frames.ts). Show
 * `message` while the answer's text is still `textLength` long: new text means it is over.
 */
export interface QnaStatusData {
  phase: StatusPhase;
  /** A short English sentence to show as is ("Searching the knowledge base…"). */
  message: string;
  /** For `retrying`: milliseconds until the model is called again. */
  retryInMs?: number;
  /** How much answer text had streamed when the status came. */
  textLength: number;
}

/** The AI SDK's finish reasons this transport sends. */
export type QnaFinishReason = 'stop' | 'length' | 'content-filter' | 'error' | 'other';

/** The subset of the AI SDK's `UIMessageChunk` this transport sends. */
export type QnaUIMessageChunk =
  | { type: 'start'; messageMetadata?: QnaMessageMetadata }
  | { type: 'text-start'; id: string }
  | { type: 'text-delta'; id: string; delta: string }
  | { type: 'text-end'; id: string }
  | { type: 'source-url'; sourceId: string; url: string; title?: string }
  | { type: 'data-status'; id: string; data: QnaStatusData; transient: true }
  | { type: 'reset-step' }
  | { type: 'error'; errorText: string }
  | { type: 'finish'; finishReason?: QnaFinishReason; messageMetadata?: QnaMessageMetadata };

/** What the transport reads of a chat message (an AI SDK `UIMessage` fits). */
export interface QnaChatMessage {
  role: string;
  parts: readonly { type: string; text?: string }[];
}

export interface QnaStreamingTransportOptions {
  /** The streaming connection; `connect()` is the page's job (without a socket the bot's answer still arrives). */
  client: Pick<StreamingClient, 'on' | 'cancel' | 'state'>;
  /**
   * Sends the question to the bot in the streaming session and resolves with its final answer
   * (Lex RecognizeText through `recognizeText` + `answerText`, or the direct-ask route): the same
   * `ask` the chat widget takes.
   */
  ask: (question: string) => Promise<string>;
  /** @default DEFAULT_END_GRACE_MS */
  endGraceMs?: number;
}

/** The AI SDK's finish reason for a Bedrock stop reason. */
export function finishReasonOf(stopReason: string | undefined): QnaFinishReason {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
    case undefined:
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content-filter';
    case 'error':
      return 'error';
    default:
      return 'other';
  }
}

/** The text of the last user message: its text parts, joined. */
export function lastUserText(messages: readonly QnaChatMessage[]): string {
  const last = [...messages].reverse().find((message) => message.role === 'user');
  const text = (last?.parts ?? [])
    .filter((part) => part.type === 'text')
    .map((part) => part.text ?? '')
    .join('\n')
    .trim();
  if (!text) throw new WebPluginError('BAD_OPTION', 'the last user message has no text to ask');
  return text;
}

export class QnaStreamingTransport {
  private readonly client: QnaStreamingTransportOptions['client'];
  private readonly ask: QnaStreamingTransportOptions['ask'];
  private readonly endGraceMs: number;

  constructor(options: QnaStreamingTransportOptions) {
    if (typeof options?.ask !== 'function') {
      throw new WebPluginError('BAD_OPTION', 'ask must be a function returning a Promise of the answer');
    }
    if (!options.client || typeof options.client.on !== 'function') {
      throw new WebPluginError('BAD_OPTION', 'client must be a StreamingClient');
    }
    this.client = options.client;
    this.ask = options.ask;
    this.endGraceMs = options.endGraceMs ?? DEFAULT_END_GRACE_MS;
  }

  /** Asks the last user message's text and streams the answer of that turn. */
  async sendMessages(options: {
    messages: readonly QnaChatMessage[];
    abortSignal: AbortSignal | undefined;
  }): Promise<ReadableStream<QnaUIMessageChunk>> {
    const question = lastUserText(options.messages);
    let stop: (() => void) | undefined;
    return new ReadableStream<QnaUIMessageChunk>({
      start: (controller) => {
        stop = this.runTurn(question, controller, options.abortSignal);
      },
      cancel: () => stop?.(),
    });
  }

  /**
   * Always null: API Gateway pushes a turn's frames only to the sockets open while it runs and
   * nothing keeps them, so there is no stream to resume after a reload or a lost socket (the bot's
   * final answer is in the Lex session, not in a stream).
   */
  async reconnectToStream(): Promise<null> {
    return null;
  }

  /** Streams one turn into `controller`; returns what forgets it when the reader cancels. */
  private runTurn(
    question: string,
    controller: ReadableStreamDefaultController<QnaUIMessageChunk>,
    abortSignal: AbortSignal | undefined,
  ): () => void {
    let turnId: string | undefined;
    let textId: string | undefined;
    let streamed = '';
    let end: EndFrame | undefined;
    let serverError: WebPluginError | undefined;
    let finalText: string | undefined;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    const sources = new Map<string, { type: 'source-url'; sourceId: string; url: string; title?: string }>();

    const send = (chunk: QnaUIMessageChunk) => {
      if (!closed) controller.enqueue(chunk);
    };
    const ours = (frame: { turnId: string }) =>
      frame.turnId === turnId || (turnId === undefined && frame.turnId === '');
    const openText = () => {
      if (textId === undefined) {
        textId = turnId || 'answer';
        send({ type: 'text-start', id: textId });
      }
      return textId;
    };
    const forget = () => {
      closed = true;
      for (const off of unsubscribe) off();
      if (graceTimer !== undefined) clearTimeout(graceTimer);
      abortSignal?.removeEventListener('abort', onAbort);
    };
    const close = () => {
      if (closed) return;
      forget();
      try {
        controller.close();
      } catch {
        // The reader cancelled the stream already.
      }
    };
    /** Ends the turn once the bot answered and the socket's part of the turn is over (or late). */
    const settle = () => {
      if (closed || finalText === undefined) return;
      const final = finalText;
      if (final.startsWith(streamed)) {
        const rest = final.slice(streamed.length);
        if (rest || textId === undefined) send({ type: 'text-delta', id: openText(), delta: rest });
      } else {
        // The bot reformatted its answer: it replaces what streamed (sources are sent again).
        send({ type: 'reset-step' });
        textId = `${turnId || 'answer'}-final`;
        send({ type: 'text-start', id: textId });
        send({ type: 'text-delta', id: textId, delta: final });
        for (const source of sources.values()) send(source);
      }
      send({ type: 'text-end', id: openText() });
      send({
        type: 'finish',
        finishReason: serverError ? 'error' : finishReasonOf(end?.stopReason),
        messageMetadata: {
          ...(turnId ? { turnId } : {}),
          ...(end
            ? {
                stopReason: end.stopReason,
                totalMs: end.totalMs,
                ...(end.usage ? { usage: end.usage } : {}),
                ...(end.ttftMs !== undefined ? { ttftMs: end.ttftMs } : {}),
              }
            : {}),
        },
      });
      if (serverError) send({ type: 'error', errorText: serverError.message });
      close();
    };
    /** After the bot answered: the socket's frames get `endGraceMs` of quiet before the turn ends without them. */
    const armGrace = () => {
      if (finalText === undefined || closed) return;
      if (graceTimer !== undefined) clearTimeout(graceTimer);
      graceTimer = setTimeout(settle, this.endGraceMs);
    };
    const onAbort = () => {
      this.client.cancel();
      close();
    };

    const unsubscribe = [
      this.client.on('start', (frame: StartFrame) => {
        if (turnId !== undefined || closed) return;
        turnId = frame.turnId;
        openText();
        armGrace();
      }),
      this.client.on('status', (frame: StatusFrame) => {
        if (!ours(frame)) return;
        const { phase, message, retryInMs } = frame;
        send({
          type: 'data-status',
          id: `${frame.turnId}-status`,
          data: {
            phase,
            message,
            ...(retryInMs !== undefined ? { retryInMs } : {}),
            textLength: streamed.length,
          },
          transient: true,
        });
        armGrace();
      }),
      this.client.on('delta', (frame: DeltaFrame) => {
        if (!ours(frame) || !frame.text) return;
        streamed += frame.text;
        send({ type: 'text-delta', id: openText(), delta: frame.text });
        armGrace();
      }),
      this.client.on('citation', (frame: CitationFrame) => {
        if (!ours(frame)) return;
        for (const citation of frame.citations) {
          for (const source of citation.sources) {
            if (!source.uri || sources.has(source.uri)) continue;
            const chunk = {
              type: 'source-url' as const,
              sourceId: `${frame.turnId}-source-${sources.size + 1}`,
              url: source.uri,
              ...(source.title ? { title: source.title } : {}),
            };
            sources.set(source.uri, chunk);
            send(chunk);
          }
        }
      }),
      this.client.on('end', (frame: EndFrame) => {
        if (!ours(frame) || turnId === undefined) return;
        end = frame;
        settle();
      }),
      this.client.on('error', (error: WebPluginError) => {
        if (error.code === 'SERVER_ERROR' && turnId !== undefined && error.turnId === turnId) {
          serverError = error;
        }
      }),
    ];
    if (abortSignal?.aborted) {
      onAbort();
      return forget;
    }
    abortSignal?.addEventListener('abort', onAbort);
    send({ type: 'start' });

    this.ask(question).then(
      (answer) => {
        finalText = answer;
        // Nothing more comes after `end`, nor without an open socket before the turn started;
        // otherwise the frames have a little longer (the bot's answer may overtake them).
        if (end !== undefined || (turnId === undefined && this.client.state !== 'open')) settle();
        else armGrace();
      },
      (error: unknown) => {
        if (closed) return;
        send({ type: 'error', errorText: String((error as Error)?.message || error) });
        close();
      },
    );
    return forget;
  }
}

/** Compile-time check that the class is the AI SDK's ChatTransport (types only: no SDK code). */
type Implements<T extends ChatTransport<UIMessage>> = T;
type _IsChatTransport = Implements<QnaStreamingTransport>;
