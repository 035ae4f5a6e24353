/**
 * A local double of an API Gateway WebSocket API (execute-api) on one HTTP server. This file
 * starts and stops it; the parts live next to it:
 *
 * - connect.ts: `GET /{stage}` upgrades to a WebSocket after the `$connect` handshake (AWS_IAM
 *   presigned SigV4, then the `$connect` Lambda decides); frames over 32 KB and messages over
 *   128 KB close the connection (1009).
 * - message-router.ts: messages routed by the route selection expression to MOCK, AWS_PROXY and
 *   asynchronous AWS Lambda routes.
 * - connections-api.ts: `/{stage}/@connections/{id}` POST / GET / DELETE, SigV4 header auth, typed
 *   errors, injectable latency and faults.
 * - connections.ts: the open connections, idle timeout and maximum connection duration (close
 *   1001 "Going away"), `$disconnect` once for every accepted connection, whoever closed it.
 * - throttling.ts: route throttling as the stage declares it, when enforced; a throttled message
 *   reaches no integration (the client gets `{"message":"Too Many Requests",…}`), a throttled
 *   `$connect` gets HTTP 429.
 * - gateway.ts: what they share (configuration, counters, Lambda invocation, running work).
 *
 * `stats()` counts Lambda invocations per route and throttled requests, for cost figures.
 *
 * Not reproduced: custom and JWT authorizers, synchronous non-proxy integrations and VTL beyond the
 * subset in request-template.ts (refused at start), the 29 s integration timeout, reserved
 * concurrency (the local Lambda host runs every invocation).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { listen } from '../http';
import { ConnectHandler, rejectUpgrade } from './connect';
import { CLOSE_GOING_AWAY, CLOSE_NORMAL } from './connections';
import { handleConnectionsRequest, sendError } from './connections-api';
import { ExecuteApiError } from './errors';
import { Gateway } from './gateway';
import { MessageRouter } from './message-router';
import type { ExecuteApiOptions, LocalExecuteApi } from './types';

export async function startExecuteApi(options: ExecuteApiOptions): Promise<LocalExecuteApi> {
  validateOptions(options);
  const host = options.host ?? '127.0.0.1';
  const apiId = options.apiId ?? randomApiId();
  const stage = options.config.stageName;
  const gateway = new Gateway(options, { apiId, stage, domainName: host });
  const { logger, connections } = gateway;
  const router = new MessageRouter(gateway);
  const upgrades = new ConnectHandler(gateway, (connection, data, isBinary) =>
    router.handleMessage(connection, data, isBinary),
  );

  const server = createServer((request, response) => {
    gateway.track(handleConnectionsRequest(gateway, request, response)).catch((error: unknown) => {
      logger.error('@connections request failed', { error });
      if (!response.headersSent)
        sendError(response, 500, 'InternalServerErrorException', 'Internal server error');
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    gateway.track(upgrades.handleUpgrade(request, socket, head)).catch((error: unknown) => {
      logger.error('WebSocket upgrade failed', { error });
      rejectUpgrade(socket, 500, { message: 'Internal server error' });
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  const { port } = await listen(server, options.port ?? 0, host);
  gateway.api = { apiId, stage, domainName: `${host}:${port}` };
  logger.info('local execute-api listening', { webSocketUrl: `ws://${host}:${port}/${stage}`, apiId });

  return {
    apiId,
    port,
    webSocketUrl: `ws://${host}:${port}/${stage}`,
    callbackUrl: `http://${host}:${port}/${stage}`,
    connectionIds: () => connections.ids(),
    closeConnection(connectionId) {
      const connection = connections.get(connectionId);
      if (!connection) return false;
      connections.closeWith(connection, CLOSE_NORMAL, '');
      return true;
    },
    stats: () => ({
      ...gateway.stats,
      lambdaInvocations: { ...gateway.stats.lambdaInvocations },
      throttled: { ...gateway.stats.throttled },
    }),
    setThrottlingEnforced: (enforced) => gateway.throttle.setEnforced(enforced),
    async stop() {
      gateway.stopping = true;
      for (const connection of connections.all())
        connections.closeWith(connection, CLOSE_GOING_AWAY, 'Going away');
      await upgrades.socketsClosed();
      await gateway.settle();
      upgrades.wss.close();
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
}

function validateOptions(options: ExecuteApiOptions): void {
  for (const route of Object.values(options.config.routes)) {
    if (route.authorizationType === 'CUSTOM' || route.authorizationType === 'JWT') {
      throw new ExecuteApiError(
        `route ${route.routeKey}: ${route.authorizationType} authorizers are not supported locally`,
      );
    }
    const lambdaId = route.integration?.lambdaLogicalId;
    const invokesLambda = route.integration?.type === 'AWS_PROXY' || route.integration?.type === 'AWS';
    if (invokesLambda && (!lambdaId || !options.lambdas[lambdaId])) {
      throw new ExecuteApiError(
        `route ${route.routeKey} invokes Lambda ${lambdaId ?? '(none)'}, which is not in lambdas (${Object.keys(options.lambdas).join(', ') || 'empty'})`,
      );
    }
    if (route.integration && !['AWS_PROXY', 'AWS', 'MOCK'].includes(route.integration.type)) {
      throw new ExecuteApiError(
        `route ${route.routeKey}: ${route.integration.type} integrations are not supported locally`,
      );
    }
  }
  const rate = options.connectionsFailureRate;
  if (rate !== undefined && !(rate >= 0 && rate <= 1)) {
    throw new ExecuteApiError(`connectionsFailureRate must be from 0 to 1, got ${rate}`);
  }
}

function randomApiId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(10), (byte) => alphabet[byte % alphabet.length]).join('');
}
