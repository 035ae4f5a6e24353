/**
 * `ask`: asks a question over the direct-ask route (`{"action":"ask","question":…}`) of a streaming
 * WebSocket API and prints the answer as it streams, then the time to first token. The socket is
 * opened with the browser plugin's StreamingClient (json protocol), presigned with the default AWS
 * credential chain, so it checks the same path a chat page uses. When the socket does not open,
 * the gateway's answer is read (status, error type, reason) and the message says which it was:
 * unreachable, a refused signature, or a refused session, each with what to change on the command
 * line (local fixes for a 127.0.0.1/localhost endpoint).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import WsWebSocket from 'ws';
import type { EndFrame } from '../functions/protocol/frames';
import { SESSION_ID_PATTERN } from '../functions/protocol/websocket';
import { type ClientCredentials, StreamingClient } from '../web-plugin/client';
import { WebPluginError, type WebPluginErrorCode } from '../web-plugin/errors';
import { parseStreamingEndpoint } from '../web-plugin/signer';
import { defaultCredentials } from './aws-credentials';
import { type Command, stringFlag } from './command';
import { CliError, EXIT, UsageError } from './errors';
import { type CliIo, note } from './io';

/** What `ask` says when the endpoint has no `ask` route. */
export const NO_ASK_ROUTE_MESSAGE =
  'this endpoint has no direct-ask route: deploy with EnableDirectAsk=TRUE, or ask through your bot';

/** The same for the local stack (`npm start`), which serves the route only when told to. */
export const LOCAL_NO_ASK_ROUTE_MESSAGE =
  'this local stack has no direct-ask route: restart it with `npm start -- --direct-ask`, or ask through its demo page';

/** Host names of a local stack (the CLI then gives local fixes: `npm start` flags, dev credentials). */
const LOCAL_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** What to change on the `ask` command line for each way a connect fails (after the plugin's reason). */
const CONNECT_HINTS: Partial<Record<WebPluginErrorCode, { aws: string; local: string }>> = {
  ENDPOINT_UNREACHABLE: {
    aws: 'pass --endpoint with the StreamingWebSocketEndpoint output of the stack (aws cloudformation describe-stacks --stack-name <stack> --query "Stacks[0].Outputs"); ask connects directly, not through HTTPS_PROXY',
    local: 'is the local stack running? `npm start` prints its endpoint (ws://127.0.0.1:<port>/Prod)',
  },
  SIGNATURE_REJECTED: {
    aws: "pass --region with the API's region, check this computer's clock, and refresh the credentials (AWS_PROFILE, aws sso login)",
    local:
      'sign with the dev credentials and the region `npm start` prints (--region us-east-1 unless it says otherwise)',
  },
  CONNECTION_REFUSED: {
    aws: "pass another --session-id (or none, for a new one) if another identity owns this one; the credentials need execute-api:Invoke on the API's $connect route",
    local: 'pass another --session-id (or none, for a new one) if another identity owns this one',
  },
};

/** Seconds without any frame of the answer before `ask` gives up. */
export const DEFAULT_ASK_TIMEOUT_SECONDS = 30;

export interface AskOptions {
  /** `wss://…/Prod` (the StreamingWebSocketEndpoint output), or `ws://127.0.0.1:<port>/Prod` locally. */
  readonly endpoint: string;
  readonly question: string;
  /** @default `cli-<random>` */
  readonly sessionId?: string;
  /** @default the region of an execute-api host, else AWS_REGION */
  readonly region?: string;
  /** Print every frame as received (one JSON per line) instead of the answer text. */
  readonly raw?: boolean;
  /** Longest silence (no frame of the answer) before giving up. @default 30 s */
  readonly timeoutMs?: number;
}

export interface AskDeps {
  /** @default the AWS SDK default credential chain */
  readonly credentials?: (region: string) => Promise<ClientCredentials>;
  /** The clock the connection is signed with and the answer timed by. @default Date.now */
  readonly now?: () => number;
}

export interface AskResult {
  readonly sessionId: string;
  readonly turnId: string;
  readonly text: string;
  /** From sending the question to the first text, measured here. */
  readonly timeToFirstTokenMs?: number;
  readonly totalMs: number;
  readonly end: EndFrame;
}

function parseEndpoint(endpoint: string): ReturnType<typeof parseStreamingEndpoint> {
  try {
    return parseStreamingEndpoint(endpoint);
  } catch (error) {
    throw new UsageError(`--endpoint: ${(error as Error).message}`);
  }
}

function resolveRegion(endpoint: string, region: string | undefined, io: CliIo): string {
  const parsedRegion = parseEndpoint(endpoint).region;
  const resolved = region ?? parsedRegion ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  if (!resolved) {
    throw new UsageError(
      `--region is required: it cannot be read from ${endpoint} (not an execute-api host) and AWS_REGION is not set`,
    );
  }
  return resolved;
}

/**
 * Reads the gateway's answer to a refused upgrade, at most 4 KB of it: the error type
 * (x-amzn-ErrorType, as API Gateway sends it) and the message of a JSON body, else the body's text.
 */
function refusalReason(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      const body = Buffer.concat(chunks).toString('utf8').trim();
      let message = body;
      try {
        const parsed = JSON.parse(body) as { message?: unknown; Message?: unknown };
        const field = parsed?.message ?? parsed?.Message;
        if (typeof field === 'string') message = field;
      } catch {
        // Not JSON: the connection Lambda's reason is plain text.
      }
      const type = String(response.headers['x-amzn-errortype'] ?? '').split(':')[0];
      resolve([type, message].filter(Boolean).join(': '));
    };
    response.on('data', (chunk: Buffer) => {
      if (size >= 4096) return;
      chunks.push(chunk);
      size += chunk.length;
    });
    response.once('end', done);
    response.once('error', done);
    response.once('close', done);
  });
}

/** The connect failure in words: the plugin's reason, then what to change on this command line. */
function connectFailure(error: unknown, endpoint: string): CliError {
  const failure =
    error instanceof WebPluginError && error.code === 'GAVE_UP' && error.cause instanceof WebPluginError
      ? error.cause
      : error;
  const reason = failure instanceof Error ? failure.message : String(failure);
  const hints = failure instanceof WebPluginError ? CONNECT_HINTS[failure.code] : undefined;
  const local = LOCAL_HOSTNAMES.has(parseStreamingEndpoint(endpoint).hostname);
  const hint = hints ? `\n${local ? hints.local : hints.aws}` : '';
  return new CliError(`could not connect to ${endpoint}: ${reason}${hint}`, { cause: error });
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export async function ask(options: AskOptions, io: CliIo, deps: AskDeps = {}): Promise<AskResult> {
  const question = options.question.trim();
  if (question === '') throw new UsageError('give the question as the last argument, in quotes');
  const region = resolveRegion(options.endpoint, options.region, io);
  const sessionId = options.sessionId ?? `cli-${randomUUID()}`;
  if (!SESSION_ID_PATTERN.test(sessionId)) {
    throw new UsageError(`--session-id must be 2-100 characters of [0-9a-zA-Z._:-], got "${sessionId}"`);
  }
  const turnId = `cli-${randomUUID().slice(0, 8)}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_ASK_TIMEOUT_SECONDS * 1000;
  const now = deps.now ?? Date.now;
  const credentials = await (deps.credentials ?? defaultCredentials)(region);
  const noAskRoute = LOCAL_HOSTNAMES.has(parseEndpoint(options.endpoint).hostname)
    ? LOCAL_NO_ASK_ROUTE_MESSAGE
    : NO_ASK_ROUTE_MESSAGE;

  const sockets: WsWebSocket[] = [];
  // Captures the socket, so the question can be sent on it and --raw can print what arrives.
  class CliWebSocket extends WsWebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
      if (options.raw) this.on('message', (data) => io.out(`${String(data)}\n`));
      // A refused upgrade: read why before closing, and hand status and reason to the client as
      // the socket's first error (the plugin's connectError reads statusCode and reason).
      this.once('unexpected-response', (_request, response) => {
        void refusalReason(response).then((reason) => {
          const status = response.statusCode ?? 0;
          this.emit(
            'error',
            Object.assign(new Error(`Unexpected server response: ${status}`), { statusCode: status, reason }),
          );
          this.terminate();
        });
      });
    }
  }

  const client = new StreamingClient({
    endpoint: options.endpoint,
    sessionId,
    region,
    protocol: 'json',
    credentials: async () => credentials,
    WebSocket: CliWebSocket,
    now,
    maxConsecutiveFailures: 1,
  });

  try {
    try {
      await client.connect();
    } catch (error) {
      throw connectFailure(error, options.endpoint);
    }
    note(io, `connected as session ${sessionId}; asking …`);

    return await new Promise<AskResult>((resolve, reject) => {
      const sentAt = now();
      let text = '';
      let firstTokenAt: number | undefined;
      let answered = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: () => void) => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        outcome();
      };
      const arm = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          const waited = seconds(timeoutMs);
          finish(() =>
            reject(
              new CliError(
                answered
                  ? `the answer stalled: no frame for ${waited}`
                  : `${noAskRoute} (no answer within ${waited})`,
              ),
            ),
          );
        }, timeoutMs);
      };
      const ours = (frameTurnId: string) => frameTurnId === turnId;

      client.on('start', (frame) => {
        if (!ours(frame.turnId)) return;
        answered = true;
        arm();
      });
      // Progress (thinking, retrieving, retrying with its wait, still working) goes to stderr while
      // no text has come; a status is a frame, so a long silent phase does not read as a stall.
      client.on('status', (frame) => {
        if (!ours(frame.turnId)) return;
        answered = true;
        if (!options.raw && text === '') note(io, frame.message);
        arm();
      });
      client.on('delta', (frame) => {
        if (!ours(frame.turnId)) return;
        answered = true;
        firstTokenAt ??= now();
        text += frame.text;
        if (!options.raw) io.out(frame.text);
        arm();
      });
      client.on('end', (frame) => {
        if (!ours(frame.turnId)) return;
        const totalMs = now() - sentAt;
        const timeToFirstTokenMs = firstTokenAt === undefined ? undefined : firstTokenAt - sentAt;
        finish(() => {
          if (!options.raw && text !== '' && !text.endsWith('\n')) io.out('\n');
          const server = frame.ttftMs === undefined ? '' : ` (server: ${seconds(frame.ttftMs)})`;
          note(
            io,
            `time to first token: ${timeToFirstTokenMs === undefined ? 'no text' : seconds(timeToFirstTokenMs)}${server} · total ${seconds(totalMs)} · stop reason ${frame.stopReason}`,
          );
          if (frame.stopReason === 'error') {
            reject(new CliError('the answer ended with an error (see the error frame above)'));
            return;
          }
          resolve({
            sessionId,
            turnId,
            text,
            totalMs,
            end: frame,
            ...(timeToFirstTokenMs === undefined ? {} : { timeToFirstTokenMs }),
          });
        });
      });
      client.on('error', (error: WebPluginError) => {
        if (error.code !== 'SERVER_ERROR') return;
        if (error.serverCode === 'UnknownAction') {
          finish(() => reject(new CliError(noAskRoute, { cause: error })));
          return;
        }
        if (error.turnId && !ours(error.turnId)) return;
        finish(() =>
          reject(new CliError(`the endpoint answered with an error: ${error.serverCode}: ${error.message}`)),
        );
      });
      client.on('close', (event) => {
        finish(() =>
          reject(
            new CliError(`the socket closed before the answer ended (code ${event.code} ${event.reason})`),
          ),
        );
      });

      arm();
      const socket = sockets.at(-1);
      if (!socket) {
        finish(() => reject(new CliError('no socket to send the question on')));
        return;
      }
      socket.send(JSON.stringify({ action: 'ask', question, turnId }));
    });
  } finally {
    client.close();
    for (const socket of sockets) socket.terminate();
  }
}

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const secondsValue = Number(value);
  if (!Number.isFinite(secondsValue) || secondsValue <= 0) {
    throw new UsageError(`--timeout must be a positive number of seconds, got "${value}"`);
  }
  return secondsValue * 1000;
}

export const askCommand: Command = {
  name: 'ask',
  summary: 'Ask a question over the direct-ask route and print the answer as it streams.',
  synopsis:
    'ask --endpoint WSS_URL [--session-id ID] [--region REGION] [--raw] [--timeout SECONDS] "question"',
  flags: {
    endpoint: {
      type: 'string',
      placeholder: 'WSS_URL',
      description: 'the StreamingWebSocketEndpoint output (wss://…/Prod)',
      required: true,
    },
    'session-id': {
      type: 'string',
      placeholder: 'ID',
      description: 'session to join (default: a new cli-… id); with Cognito credentials, the identity id',
    },
    region: {
      type: 'string',
      placeholder: 'REGION',
      description: "the API's region (default: from the execute-api host, else AWS_REGION)",
    },
    raw: { type: 'boolean', description: 'print every frame (JSON, one per line) instead of the text' },
    timeout: {
      type: 'string',
      placeholder: 'SECONDS',
      description: `give up after this long without a frame (default: ${DEFAULT_ASK_TIMEOUT_SECONDS})`,
    },
  },
  details:
    'Signs the connection with the AWS SDK default credential chain (AWS_PROFILE, SSO, or\nAWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY). The stack needs EnableDirectAsk=TRUE (the local stack:\nnpm start -- --direct-ask); without it the command says so and exits 1. The answer goes to stdout, timing and progress to stderr.',
  async run(args, io) {
    const question = args.positionals.join(' ');
    if (question.trim() === '') throw new UsageError('give the question as the last argument, in quotes');
    const sessionId = stringFlag(args, 'session-id');
    const region = stringFlag(args, 'region');
    const timeoutMs = parseTimeout(stringFlag(args, 'timeout'));
    await ask(
      {
        endpoint: stringFlag(args, 'endpoint') ?? '',
        question,
        raw: args.flags.raw === true,
        ...(sessionId ? { sessionId } : {}),
        ...(region ? { region } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
      },
      io,
    );
    return EXIT.ok;
  },
};
