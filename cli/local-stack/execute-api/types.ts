/**
 * The local execute-api's public types: what `startExecuteApi` takes (ExecuteApiOptions, with the
 * `@connections` latency and fault hooks) and what it returns (LocalExecuteApi, ExecuteApiStats).
 */
import type { Logger } from '../../../functions/shared/logger';
import type { CredentialStore } from '../credentials';
import type { WebSocketLambda } from './events';
import type { GatewayConfig } from './gateway-config';

/** One `@connections` call, as seen by the latency and fault hooks. */
export interface ConnectionsRequest {
  method: 'POST' | 'GET' | 'DELETE';
  connectionId: string;
  /** Size of the posted data (0 for GET/DELETE). */
  dataBytes: number;
}

/** An error the `@connections` API returns instead of doing the call. */
export interface ConnectionsFault {
  statusCode: number;
  /** `x-amzn-errortype`, e.g. `LimitExceededException`. */
  errorType: string;
  message?: string;
}

export interface ExecuteApiOptions {
  config: GatewayConfig;
  /** Lambdas by logical id (the template's AWS::Lambda::Function the integrations point at). */
  lambdas: Record<string, WebSocketLambda>;
  credentials: CredentialStore;
  region: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** @default 10 random lower-case letters and digits, like a real API id */
  apiId?: string;
  /** Close a connection after this long without a message from the client. @default 600000 (10 min) */
  idleTimeoutMs?: number;
  /** Close every connection after this long. @default 7200000 (2 h) */
  maxConnectionMs?: number;
  /** Delay added before each `@connections` answer (a number, or one per request). @default 0 */
  connectionsLatencyMs?: number | ((request: ConnectionsRequest) => number);
  /** Probability (0..1) that a POST fails with 429 LimitExceededException. @default 0 */
  connectionsFailureRate?: number;
  /** Decides a fault per `@connections` call (after auth); wins over `connectionsFailureRate`. */
  connectionsFault?: (request: ConnectionsRequest) => ConnectionsFault | undefined;
  /** Random source of `connectionsFailureRate`. @default Math.random */
  random?: () => number;
  /** Clock for SigV4 checks. @default Date.now */
  now?: () => number;
  /** Timeout reported by the Lambda context. @default 29000 (API Gateway's integration timeout) */
  lambdaTimeoutMs?: number;
  /** @default a JSON logger with service `local-execute-api` */
  logger?: Logger;
  /** Enforce the template's route throttling (see the file comment). @default false */
  enforceThrottling?: boolean;
}

export interface ExecuteApiStats {
  connects: number;
  rejectedConnects: number;
  disconnects: number;
  messages: number;
  posts: number;
  postedBytes: number;
  goneResponses: number;
  injectedFaults: number;
  /** Lambda invocations by route key (`$connect`, `$default`, `ask`, …), the MOCK routes' none. */
  lambdaInvocations: Record<string, number>;
  /** Requests refused by route throttling, by route key. */
  throttled: Record<string, number>;
}

export interface LocalExecuteApi {
  apiId: string;
  port: number;
  /** `ws://127.0.0.1:<port>/<stage>`, what a browser presigns and connects to. */
  webSocketUrl: string;
  /** `http://127.0.0.1:<port>/<stage>`, the ApiGatewayManagementApi endpoint. */
  callbackUrl: string;
  connectionIds(): string[];
  /** Closes a connection as DeleteConnection does; false when there is no such open connection. */
  closeConnection(connectionId: string): boolean;
  stats(): ExecuteApiStats;
  /** Turns route throttling on or off from now on (e.g. for a local stack started without it). */
  setThrottlingEnforced(enforced: boolean): void;
  stop(): Promise<void>;
}
