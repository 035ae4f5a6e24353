/**
 * Messages on an open connection of the local execute-api, routed as API Gateway routes them: by
 * the API's route selection expression (`$request.body.action`), non-JSON or unmatched messages to
 * `$default`, no route at all answered `Forbidden`, a throttled route `Too Many Requests`. MOCK
 * routes (`ping`) call nothing and answer nothing; AWS_PROXY routes invoke their Lambda, and a route
 * with a route response sends the Lambda's `body` back. AWS (non-proxy) Lambda routes with
 * `X-Amz-Invocation-Type: 'Event'` render their request template (the subset in
 * request-template.ts), invoke the Lambda without waiting for it, and reply nothing, as API Gateway
 * does for an asynchronous invocation.
 */
import type { Connection } from './connections';
import { ExecuteApiError } from './errors';
import { messageEvent, newRequestId, proxyResult, type WebSocketProxyEvent } from './events';
import type { Gateway } from './gateway';
import { type GatewayConfig, type GatewayRoute, INVOCATION_TYPE_PARAMETER } from './gateway-config';
import { compileRequestTemplate, type RequestTemplate } from './request-template';

/** Context timeout of an asynchronously invoked Lambda (not bound by the integration timeout). */
const ASYNC_LAMBDA_TIMEOUT_MS = 900_000;

export class MessageRouter {
  /** Request templates of the asynchronous AWS Lambda routes, by route key (compiled at start). */
  private readonly asyncTemplates: Map<string, RequestTemplate>;

  constructor(private readonly gateway: Gateway) {
    this.asyncTemplates = compileAsyncTemplates(gateway.config);
  }

  async handleMessage(connection: Connection, data: Buffer, isBinary: boolean): Promise<void> {
    const { config, stats, connections, logger, now } = this.gateway;
    stats.messages += 1;
    connections.touch(connection, now());
    const routeKey = selectRoute(config, isBinary ? undefined : data.toString('utf8'));
    const route = config.routes[routeKey];
    const { connectionId } = connection.origin;
    if (route && !this.gateway.throttle.admit(routeKey)) {
      connections.send(
        connection,
        JSON.stringify({ message: 'Too Many Requests', connectionId, requestId: newRequestId() }),
      );
      return;
    }
    if (!route) {
      connections.send(
        connection,
        JSON.stringify({ message: 'Forbidden', connectionId, requestId: newRequestId() }),
      );
      return;
    }
    const event = messageEvent(this.gateway.api, connection.origin, routeKey, data, isBinary, now());
    const asyncTemplate = this.asyncTemplates.get(routeKey);
    if (asyncTemplate) {
      this.invokeAsync(connection, route, asyncTemplate, event, data);
      return;
    }
    if (route.integration?.type !== 'AWS_PROXY') return; // MOCK (`ping`): nothing invoked, nothing sent
    let result: unknown;
    try {
      result = await this.gateway.invoke(route, event);
    } catch (error) {
      logger.warn('route Lambda failed', { connectionId, routeKey, error });
      this.sendInternalError(connection, event.requestContext.requestId);
      return;
    }
    if (route.routeResponseKeys.length === 0) return;
    const { body } = proxyResult(result);
    if (body) connections.send(connection, body);
  }

  /**
   * An asynchronous (Event) Lambda invocation: the payload is the rendered request template, which
   * must be JSON (Lambda refuses anything else, and API Gateway reports that as an internal error);
   * the Lambda runs on without the gateway waiting, and the client gets no reply.
   */
  private invokeAsync(
    connection: Connection,
    route: GatewayRoute,
    template: RequestTemplate,
    event: WebSocketProxyEvent,
    data: Buffer,
  ): void {
    const { logger } = this.gateway;
    const { connectionId } = connection.origin;
    const rendered = template.render({
      context: event.requestContext as unknown as Record<string, unknown>,
      body: data.toString('utf8'),
    });
    let payload: unknown;
    try {
      payload = JSON.parse(rendered);
    } catch (error) {
      logger.warn('request template did not render JSON; Lambda would refuse the payload', {
        connectionId,
        routeKey: route.routeKey,
        error,
      });
      this.sendInternalError(connection, event.requestContext.requestId);
      return;
    }
    this.gateway.track(this.gateway.invoke(route, payload, ASYNC_LAMBDA_TIMEOUT_MS)).catch((error: unknown) =>
      logger.warn('asynchronously invoked Lambda failed', {
        connectionId,
        routeKey: route.routeKey,
        error,
      }),
    );
  }

  /** What API Gateway sends a client when the route's integration failed; the socket stays open. */
  private sendInternalError(connection: Connection, requestId: string): void {
    const { connectionId } = connection.origin;
    this.gateway.connections.send(
      connection,
      JSON.stringify({ message: 'Internal server error', connectionId, requestId }),
    );
  }
}

/** Route key for a message: the selection expression's value when a route has it, else `$default`. */
export function selectRoute(config: GatewayConfig, text: string | undefined): string {
  const match = /^\$request\.body\.(.+)$/.exec(config.routeSelectionExpression);
  if (match?.[1] && text !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    for (const key of match[1].split('.')) {
      value =
        value && typeof value === 'object' && !Array.isArray(value)
          ? (value as Record<string, unknown>)[key]
          : undefined;
    }
    // Own keys only: an action named like an Object.prototype member ("constructor") is unknown.
    if (typeof value === 'string' && !value.startsWith('$') && Object.hasOwn(config.routes, value))
      return value;
  }
  return '$default';
}

/**
 * The request template of every AWS (non-proxy) Lambda route, compiled at start. Only asynchronous
 * invocations (`X-Amz-Invocation-Type: 'Event'`) with one `$default` template are supported; anything
 * else is refused here, naming the route, instead of behaving differently from API Gateway later.
 */
function compileAsyncTemplates(config: GatewayConfig): Map<string, RequestTemplate> {
  const compiled = new Map<string, RequestTemplate>();
  for (const route of Object.values(config.routes)) {
    const integration = route.integration;
    if (integration?.type !== 'AWS') continue;
    const where = `route ${route.routeKey} (integration ${integration.logicalId})`;
    if (integration.invocationType !== 'Event') {
      throw new ExecuteApiError(
        `${where}: only asynchronous AWS Lambda integrations are supported locally (${INVOCATION_TYPE_PARAMETER}: "'Event'"), got ${integration.invocationType === undefined ? 'none' : `"'${integration.invocationType}'"`}`,
      );
    }
    const selection = integration.templateSelectionExpression;
    if (selection !== undefined && selection !== '\\$default' && selection !== '$default') {
      throw new ExecuteApiError(
        `${where}: TemplateSelectionExpression ${JSON.stringify(selection)} is not supported locally; use "\\$default"`,
      );
    }
    const template = integration.requestTemplates?.$default;
    if (template === undefined) {
      throw new ExecuteApiError(
        `${where}: needs a RequestTemplates "$default" entry to build the Lambda payload`,
      );
    }
    compiled.set(route.routeKey, compileRequestTemplate(template, where));
  }
  return compiled;
}
