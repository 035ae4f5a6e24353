/**
 * What the parts of the local execute-api share (the `$connect` handshake, the message router and
 * the `@connections` API): the configuration, the open connections, the counters, route
 * throttling, Lambda invocation, the `$disconnect` call and the bookkeeping of running work, so
 * that `stop()` can wait for it.
 */
import { createLogger, type Logger } from '../../../functions/shared/logger';
import { DEV_ACCOUNT_ID } from '../credentials';
import { ConnectionRegistry } from './connections';
import {
  type ApiInfo,
  type ConnectionOrigin,
  disconnectEvent,
  lambdaContext,
  type WebSocketLambda,
  type WebSocketProxyEvent,
} from './events';
import type { GatewayConfig, GatewayRoute } from './gateway-config';
import { RouteThrottle } from './throttling';
import type { ExecuteApiOptions, ExecuteApiStats } from './types';

function emptyStats(): ExecuteApiStats {
  return {
    connects: 0,
    rejectedConnects: 0,
    disconnects: 0,
    messages: 0,
    posts: 0,
    postedBytes: 0,
    goneResponses: 0,
    injectedFaults: 0,
    lambdaInvocations: {},
    throttled: {},
  };
}

export class Gateway {
  readonly config: GatewayConfig;
  readonly options: ExecuteApiOptions;
  readonly logger: Logger;
  readonly now: () => number;
  readonly stats = emptyStats();
  readonly connections: ConnectionRegistry;
  readonly throttle: RouteThrottle;
  /** API id, stage and domain the Lambda events carry (the domain gets its port once listening). */
  api: ApiInfo;
  /** Set by `stop()`: upgrades are refused from then on. */
  stopping = false;
  private readonly lambdaTimeoutMs: number;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(options: ExecuteApiOptions, api: ApiInfo) {
    this.options = options;
    this.config = options.config;
    this.api = api;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? createLogger({ service: 'local-execute-api' });
    this.lambdaTimeoutMs = options.lambdaTimeoutMs ?? 29_000;
    this.connections = new ConnectionRegistry({
      idleTimeoutMs: options.idleTimeoutMs ?? 600_000,
      maxConnectionMs: options.maxConnectionMs ?? 7_200_000,
    });
    this.throttle = new RouteThrottle(
      this.config,
      this.stats.throttled,
      this.now,
      options.enforceThrottling ?? false,
    );
  }

  /** Remembers running work until it settles, so `settle()` can wait for it. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    promise.then(
      () => this.pending.delete(promise),
      () => this.pending.delete(promise),
    );
    return promise;
  }

  /** Resolves once no tracked work is running (work started meanwhile included). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * Invokes the route's Lambda with `payload` (a proxy event, or a rendered request template),
   * counted per route. `timeoutMs` is what the Lambda context reports.
   */
  async invoke(route: GatewayRoute, payload: unknown, timeoutMs = this.lambdaTimeoutMs): Promise<unknown> {
    this.stats.lambdaInvocations[route.routeKey] = (this.stats.lambdaInvocations[route.routeKey] ?? 0) + 1;
    const lambdaId = route.integration?.lambdaLogicalId as string;
    const lambda = this.options.lambdas[lambdaId] as WebSocketLambda;
    return lambda(
      payload as WebSocketProxyEvent,
      lambdaContext(lambdaId, this.options.region, DEV_ACCOUNT_ID, timeoutMs),
    );
  }

  /** A connection ended (whoever closed it): counted, and the `$disconnect` Lambda told. */
  disconnect(origin: ConnectionOrigin, code: number, reason: string): void {
    this.stats.disconnects += 1;
    this.logger.debug('disconnected', { connectionId: origin.connectionId, code, reason });
    const route = this.config.routes.$disconnect;
    if (route?.integration?.type !== 'AWS_PROXY') return;
    this.track(this.invoke(route, disconnectEvent(this.api, origin, code, reason, this.now()))).catch(
      (error: unknown) =>
        this.logger.warn('$disconnect Lambda failed', { connectionId: origin.connectionId, error }),
    );
  }
}
