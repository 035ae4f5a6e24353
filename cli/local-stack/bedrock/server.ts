/**
 * The local Bedrock doubles on one cleartext port speaking HTTP/2 (prior knowledge, what the SDK's
 * NodeHttp2Handler does) and HTTP/1.1 (NodeHttpHandler, curl): the Bedrock
 * runtime (`POST /model/{modelId}/converse-stream`, `/model/{modelId}/converse`) and the Bedrock agent
 * runtime (`POST /retrieveAndGenerateStream`). Every request is SigV4-checked (service `bedrock`)
 * against the CredentialStore, so the real SDK clients pointed at `runtimeEndpoint` /
 * `agentRuntimeEndpoint` work unchanged, and a wrongly signed one fails like on AWS.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createLogger, type Logger } from '../../../functions/shared/logger';
import { CredentialStore } from '../credentials';
import {
  LocalAwsError,
  type LocalRequest,
  listenHttp1AndHttp2,
  parseJsonObject,
  readBody,
  sendJson,
  sendRestJsonError,
  splitUrl,
} from '../http';
import { KnowledgeBase } from '../knowledge-base/knowledge-base';
import { SignatureError, verifySignedRequest } from '../sigv4';
import { DEFAULT_BEHAVIOUR, type LocalBedrockBehaviour, mergeBehaviour } from './behaviour';
import { converse, converseStream } from './converse';
import { DEFAULT_MODEL_IDS } from './models';
import {
  emptyStats,
  type LocalBedrockStats,
  type OperationContext,
  type StreamingResponse,
} from './operation-context';
import { retrieveAndGenerateStream } from './retrieve-and-generate';

export interface LocalBedrockOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Region requests must be signed for. @default 'us-east-1' */
  readonly region?: string;
  /** Who may call; requests signed by anyone else get 403. @default a store with the dev credentials */
  readonly credentials?: CredentialStore;
  /** Initial behaviour (timing, answer length, faults). @default DEFAULT_BEHAVIOUR */
  readonly behaviour?: Partial<LocalBedrockBehaviour>;
  /** Model ids accepted (profiles and ARNs of these are accepted too). @default DEFAULT_MODEL_IDS */
  readonly modelIds?: readonly string[];
  /** @default the bundled knowledge base */
  readonly knowledgeBase?: KnowledgeBase;
  /** @default a JSON logger with service `local-bedrock` */
  readonly logger?: Logger;
}

export interface LocalBedrock {
  /** `endpoint` for BedrockRuntimeClient (also `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`). */
  readonly runtimeEndpoint: string;
  /** `endpoint` for BedrockAgentRuntimeClient (also `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME`). */
  readonly agentRuntimeEndpoint: string;
  readonly port: number;
  readonly region: string;
  /** Changes the behaviour for requests arriving from now on; returns the new behaviour. */
  setBehaviour(changes: Partial<LocalBedrockBehaviour>): LocalBedrockBehaviour;
  behaviour(): LocalBedrockBehaviour;
  /** Counters since start (a copy). */
  stats(): LocalBedrockStats;
  /** Aborts running generations, closes every connection and the server. */
  stop(): Promise<void>;
}

/** Signing name of both runtimes. */
export const BEDROCK_SIGNING_SERVICE = 'bedrock';

const MODEL_PATH = /^\/model\/([^/]+)\/(converse|converse-stream)$/;
const RETRIEVE_AND_GENERATE_STREAM_PATH = '/retrieveAndGenerateStream';

/**
 * What the handlers use of a response; both `http2.Http2ServerResponse` and `http.ServerResponse`
 * (their union's overloads do not combine, so the server narrows to this).
 */
interface Response {
  readonly headersSent: boolean;
  writeHead(statusCode: number, headers: Record<string, string>): unknown;
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  end(chunk: Uint8Array): unknown;
  destroy(): unknown;
  once(event: 'close', listener: () => void): unknown;
  on(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

interface Settings {
  region: string;
  credentials: CredentialStore;
  knowledgeBase: KnowledgeBase;
  knownModels: ReadonlySet<string>;
  logger: Logger;
}

export async function startLocalBedrock(options: LocalBedrockOptions = {}): Promise<LocalBedrock> {
  const settings: Settings = {
    region: options.region ?? 'us-east-1',
    credentials: options.credentials ?? new CredentialStore(),
    knowledgeBase: options.knowledgeBase ?? new KnowledgeBase(),
    knownModels: new Set(options.modelIds ?? DEFAULT_MODEL_IDS),
    logger: options.logger ?? createLogger({ service: 'local-bedrock' }),
  };
  let behaviour = mergeBehaviour(DEFAULT_BEHAVIOUR, options.behaviour);
  let throttlesLeft = behaviour.throttleRequests;
  const stats = emptyStats();
  const running = new Set<AbortController>();

  const onRequest = (request: LocalRequest, response: Response): void => {
    const controller = new AbortController();
    running.add(controller);
    stats.requests += 1;
    const context = (requestId: string): OperationContext => ({
      requestId,
      startedAt: Date.now(),
      behaviour,
      knowledgeBase: settings.knowledgeBase,
      knownModels: settings.knownModels,
      stats,
      logger: settings.logger,
      response: streamingResponse(response, requestId, controller),
      takeThrottle: () => {
        if (throttlesLeft <= 0) return false;
        throttlesLeft -= 1;
        stats.throttled += 1;
        return true;
      },
    });
    handle(request, response, settings, context)
      .catch((error: unknown) => {
        settings.logger.error('request failed', { error });
        if (!response.headersSent) sendRestJsonError(response, randomUUID(), internalError(error));
        else response.destroy();
      })
      .finally(() => running.delete(controller));
  };
  const server = await listenHttp1AndHttp2(
    (request, response) => onRequest(request, response as unknown as Response),
    options.host ?? '127.0.0.1',
    options.port ?? 0,
  );
  const { endpoint } = server;
  settings.logger.debug('listening', { endpoint });

  return {
    runtimeEndpoint: endpoint,
    agentRuntimeEndpoint: endpoint,
    port: server.port,
    region: settings.region,
    setBehaviour(changes) {
      behaviour = mergeBehaviour(behaviour, changes);
      if (changes.throttleRequests !== undefined) throttlesLeft = behaviour.throttleRequests;
      return behaviour;
    },
    behaviour: () => ({ ...behaviour, throttleRequests: throttlesLeft }),
    stats: () => ({ ...stats }),
    stop: async () => {
      for (const controller of running) controller.abort();
      await server.close();
    },
  };
}

async function handle(
  request: LocalRequest,
  response: Response,
  settings: Settings,
  makeContext: (requestId: string) => OperationContext,
): Promise<void> {
  const requestId = randomUUID();
  try {
    const { path, query } = splitUrl(request.url);
    const model = MODEL_PATH.exec(path);
    if (request.method !== 'POST' || (!model && path !== RETRIEVE_AND_GENERATE_STREAM_PATH)) {
      throw new LocalAwsError(404, 'UnknownOperationException', `No operation for ${request.method} ${path}`);
    }
    const body = await readBody(request, { tooLargeCode: 'ValidationException' });
    await authenticate(request, path, query, body, settings);
    const json = parseJsonObject(body, 'SerializationException');
    const context = makeContext(requestId);
    if (model) {
      let modelId: string;
      try {
        modelId = decodeURIComponent(model[1] as string);
      } catch {
        throw new LocalAwsError(400, 'ValidationException', 'The provided model identifier is invalid.');
      }
      if (model[2] === 'converse-stream') await converseStream(context, modelId, json);
      else await converse(context, modelId, json);
    } else {
      await retrieveAndGenerateStream(context, json);
    }
  } catch (error) {
    const failure = error instanceof LocalAwsError ? error : internalError(error);
    if (response.headersSent) {
      settings.logger.error('request failed after the response started', { requestId, error });
      response.destroy();
      return;
    }
    if (failure.statusCode >= 500) settings.logger.error('request failed', { requestId, error });
    else settings.logger.debug('request refused', { requestId, code: failure.code, reason: failure.message });
    sendRestJsonError(response, requestId, failure);
  }
}

/** Headers as signed: HTTP/1.1 `host` or HTTP/2 `:authority` (other pseudo-headers dropped). */
function signedHeaders(headers: IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(':') || name === ':authority') out[name] = value;
  }
  return out;
}

/**
 * SigV4 header auth, service `bedrock`. A wrong signature is AccessDeniedException (403), as the
 * brief of this double asks; an unknown key or expired token keep their AWS error codes.
 */
async function authenticate(
  request: LocalRequest,
  path: string,
  query: URLSearchParams,
  body: Uint8Array,
  settings: Settings,
): Promise<void> {
  const headers = signedHeaders(request.headers);
  try {
    await verifySignedRequest(
      {
        method: request.method ?? 'POST',
        host: String(headers.host ?? headers[':authority'] ?? ''),
        path,
        query,
        headers,
        body,
      },
      { credentials: settings.credentials, service: BEDROCK_SIGNING_SERVICE, region: settings.region },
    );
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    const code =
      error.code === 'UnrecognizedClientException'
        ? 'UnrecognizedClientException'
        : error.code === 'ExpiredToken'
          ? 'ExpiredTokenException'
          : 'AccessDeniedException';
    throw new LocalAwsError(403, code, error.message, { cause: error });
  }
}

function internalError(error: unknown): LocalAwsError {
  return new LocalAwsError(500, 'InternalServerException', 'The local Bedrock double failed.', {
    cause: error,
  });
}

/**
 * Writes with flow control (waits for `drain` when the peer's window or the socket buffer is
 * full, so a slow reader slows generation instead of growing memory) and turns an early close of
 * the stream or connection into an abort signal.
 */
function streamingResponse(
  response: Response,
  requestId: string,
  controller: AbortController,
): StreamingResponse {
  const { signal } = controller;
  let ended = false;
  response.once('close', () => {
    if (!ended) controller.abort();
  });
  return {
    signal,
    open(headers) {
      response.writeHead(200, { ...headers, 'x-amzn-requestid': requestId });
    },
    async send(bytes) {
      if (signal.aborted) return;
      if (response.write(bytes)) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          response.off('drain', done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        response.on('drain', done);
        signal.addEventListener('abort', done, { once: true });
      });
    },
    end() {
      ended = true;
      if (!signal.aborted) response.end();
    },
    json(body, headers = {}) {
      ended = true;
      if (signal.aborted) return;
      sendJson(response, 200, body, { 'x-amzn-requestid': requestId, ...headers });
    },
  };
}
