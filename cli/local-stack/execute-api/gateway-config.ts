/**
 * What the local execute-api needs to know about a WebSocket API, read from the synthesized
 * CloudFormation template rather than restated by hand, so the local stack serves the routes,
 * authorization types and stage that AWS would deploy.
 */

import { applyTemplateParameters, type CfnTemplate } from '../cloudformation/evaluator';
import { ExecuteApiError } from './errors';

export type AuthorizationType = 'NONE' | 'AWS_IAM' | 'CUSTOM' | 'JWT';
export type IntegrationType = 'AWS_PROXY' | 'MOCK' | 'AWS' | 'HTTP' | 'HTTP_PROXY';

export interface Throttling {
  burstLimit?: number;
  rateLimit?: number;
}

export interface GatewayIntegration {
  logicalId: string;
  type: IntegrationType;
  /** Logical id of the AWS::Lambda::Function an AWS_PROXY or AWS integration invokes. */
  lambdaLogicalId?: string;
  /** Non-proxy integrations: request templates by key, and the expression choosing one. */
  requestTemplates?: Record<string, string>;
  templateSelectionExpression?: string;
  /**
   * AWS Lambda integrations: the `X-Amz-Invocation-Type` request parameter without its quotes
   * (`Event` = asynchronous invocation).
   */
  invocationType?: string;
}

export interface GatewayRoute {
  logicalId: string;
  routeKey: string;
  authorizationType: AuthorizationType;
  integration?: GatewayIntegration;
  routeResponseSelectionExpression?: string;
  /** Route response keys defined for the route (`$default`); the Lambda's body goes back to the client. */
  routeResponseKeys: string[];
  throttling?: Throttling;
}

export interface GatewayConfig {
  apiLogicalId: string;
  apiName?: string;
  /** e.g. `$request.body.action` */
  routeSelectionExpression: string;
  stageName: string;
  /** Stage DefaultRouteSettings throttling. */
  throttling?: Throttling;
  /** Routes by route key (`$connect`, `$disconnect`, `$default`, `ping`, …). */
  routes: Record<string, GatewayRoute>;
}

export interface GatewayConfigOptions {
  /** Which AWS::ApiGatewayV2::Api when the template has several. */
  apiLogicalId?: string;
  /** Which AWS::ApiGatewayV2::Stage when the API has several. */
  stageName?: string;
  /**
   * Template parameter values deciding its Conditions (e.g. `{ EnableDirectAsk: 'TRUE' }`); routes
   * and integrations whose condition is false are not served. @default the parameters' defaults
   */
  parameters?: Record<string, string>;
}

/** The request parameter that makes an AWS Lambda integration invoke asynchronously (`'Event'`). */
export const INVOCATION_TYPE_PARAMETER = 'integration.request.header.X-Amz-Invocation-Type';

const INTEGRATION_TYPES: readonly IntegrationType[] = ['AWS_PROXY', 'MOCK', 'AWS', 'HTTP', 'HTTP_PROXY'];
const AUTHORIZATION_TYPES: readonly AuthorizationType[] = ['NONE', 'AWS_IAM', 'CUSTOM', 'JWT'];

export function gatewayConfigFromTemplate(
  template: Partial<CfnTemplate>,
  options: GatewayConfigOptions = {},
): GatewayConfig {
  // Resources under a false condition do not exist on AWS, so they are not served here either.
  const conditional = Object.values(template.Resources ?? {}).some(
    (resource) => (resource as { Condition?: unknown }).Condition !== undefined,
  );
  const deployed =
    conditional || options.parameters ? applyTemplateParameters(template, options.parameters) : template;
  const resources = deployed.Resources ?? {};
  const ofType = (type: string) =>
    Object.entries(resources).filter(([, resource]) => resource.Type === type) as [
      string,
      { Type: string; Properties: Record<string, unknown> },
    ][];

  const apis = ofType('AWS::ApiGatewayV2::Api').filter(
    ([id, api]) =>
      (options.apiLogicalId === undefined || id === options.apiLogicalId) &&
      (api.Properties?.ProtocolType ?? 'WEBSOCKET') === 'WEBSOCKET',
  );
  const api = apis[0];
  if (!api) {
    throw new ExecuteApiError(
      `template has no WEBSOCKET AWS::ApiGatewayV2::Api${options.apiLogicalId ? ` named ${options.apiLogicalId}` : ''}`,
    );
  }
  if (apis.length > 1) {
    throw new ExecuteApiError(
      `template has ${apis.length} WebSocket APIs (${apis.map(([id]) => id).join(', ')}); name apiLogicalId`,
    );
  }
  const [apiLogicalId, apiResource] = api;
  const belongsToApi = (properties: Record<string, unknown> | undefined) =>
    refersTo(properties?.ApiId, apiLogicalId);
  const properties = apiResource.Properties ?? {};

  const integrations = new Map<string, GatewayIntegration>();
  for (const [id, resource] of ofType('AWS::ApiGatewayV2::Integration')) {
    if (!belongsToApi(resource.Properties)) continue;
    const type = resource.Properties.IntegrationType;
    if (typeof type !== 'string' || !INTEGRATION_TYPES.includes(type as IntegrationType)) {
      throw new ExecuteApiError(
        `integration ${id} has an unsupported IntegrationType ${JSON.stringify(type)}`,
      );
    }
    const integration: GatewayIntegration = { logicalId: id, type: type as IntegrationType };
    if (type === 'AWS_PROXY' || type === 'AWS') {
      const lambdaIds = referencedIds(resource.Properties.IntegrationUri).filter(
        (ref) => resources[ref]?.Type === 'AWS::Lambda::Function',
      );
      const unique = [...new Set(lambdaIds)];
      if (unique.length !== 1) {
        throw new ExecuteApiError(
          `integration ${id}: expected IntegrationUri to reference one AWS::Lambda::Function, found ${unique.length === 0 ? 'none' : unique.join(', ')}`,
        );
      }
      integration.lambdaLogicalId = unique[0];
    }
    const { RequestTemplates, TemplateSelectionExpression, RequestParameters } = resource.Properties;
    if (RequestTemplates && typeof RequestTemplates === 'object') {
      integration.requestTemplates = Object.fromEntries(
        Object.entries(RequestTemplates as Record<string, unknown>).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string',
        ),
      );
    }
    if (typeof TemplateSelectionExpression === 'string') {
      integration.templateSelectionExpression = TemplateSelectionExpression;
    }
    const invocationType = (RequestParameters as Record<string, unknown> | undefined)?.[
      INVOCATION_TYPE_PARAMETER
    ];
    if (typeof invocationType === 'string') {
      integration.invocationType = invocationType.replace(/^'(.*)'$/, '$1');
    }
    integrations.set(id, integration);
  }

  const stages = ofType('AWS::ApiGatewayV2::Stage').filter(
    ([, stage]) =>
      belongsToApi(stage.Properties) &&
      (options.stageName === undefined || stage.Properties.StageName === options.stageName),
  );
  const stage = stages[0];
  if (!stage)
    throw new ExecuteApiError(
      `API ${apiLogicalId} has no AWS::ApiGatewayV2::Stage${options.stageName ? ` named ${options.stageName}` : ''}`,
    );
  if (stages.length > 1)
    throw new ExecuteApiError(`API ${apiLogicalId} has ${stages.length} stages; name stageName`);
  const stageProperties = stage[1].Properties;
  const stageName = stageProperties.StageName;
  if (typeof stageName !== 'string') throw new ExecuteApiError(`stage ${stage[0]} has no literal StageName`);
  const routeSettings = (stageProperties.RouteSettings ?? {}) as Record<string, Record<string, unknown>>;
  // Throttling values are often parameters (`{"Ref": "ThrottlingRateLimit"}`): their deployed values.
  const parameters = deployed.Parameters ?? {};
  const numberOf = (value: unknown): number | undefined => {
    const raw =
      value && typeof value === 'object' && typeof (value as { Ref?: unknown }).Ref === 'string'
        ? parameters[(value as { Ref: string }).Ref]?.Default
        : value;
    const number = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
  };
  const throttlingOf = (settings: unknown): Throttling | undefined => {
    if (!settings || typeof settings !== 'object') return undefined;
    const { ThrottlingBurstLimit, ThrottlingRateLimit } = settings as Record<string, unknown>;
    const throttling: Throttling = {};
    const burstLimit = numberOf(ThrottlingBurstLimit);
    const rateLimit = numberOf(ThrottlingRateLimit);
    if (burstLimit !== undefined) throttling.burstLimit = burstLimit;
    if (rateLimit !== undefined) throttling.rateLimit = rateLimit;
    return Object.keys(throttling).length > 0 ? throttling : undefined;
  };

  const routes: Record<string, GatewayRoute> = {};
  const routeKeyById = new Map<string, string>();
  for (const [id, resource] of ofType('AWS::ApiGatewayV2::Route')) {
    if (!belongsToApi(resource.Properties)) continue;
    const routeKey = resource.Properties.RouteKey;
    if (typeof routeKey !== 'string') throw new ExecuteApiError(`route ${id} has no literal RouteKey`);
    const authorizationType = (resource.Properties.AuthorizationType ?? 'NONE') as AuthorizationType;
    if (!AUTHORIZATION_TYPES.includes(authorizationType)) {
      throw new ExecuteApiError(
        `route ${id} has an unsupported AuthorizationType ${JSON.stringify(authorizationType)}`,
      );
    }
    let integration: GatewayIntegration | undefined;
    if (resource.Properties.Target !== undefined) {
      const targetIds = referencedIds(resource.Properties.Target).filter((ref) => integrations.has(ref));
      const fromString =
        typeof resource.Properties.Target === 'string'
          ? /^integrations\/(.+)$/.exec(resource.Properties.Target)?.[1]
          : undefined;
      const integrationId = targetIds[0] ?? fromString;
      integration = integrationId ? integrations.get(integrationId) : undefined;
      if (!integration)
        throw new ExecuteApiError(
          `route ${routeKey} (${id}): Target does not name an integration of this API`,
        );
    }
    const route: GatewayRoute = {
      logicalId: id,
      routeKey,
      authorizationType,
      integration,
      routeResponseKeys: [],
    };
    if (typeof resource.Properties.RouteResponseSelectionExpression === 'string') {
      route.routeResponseSelectionExpression = resource.Properties.RouteResponseSelectionExpression;
    }
    const throttling = throttlingOf(routeSettings[routeKey]);
    if (throttling) route.throttling = throttling;
    routes[routeKey] = route;
    routeKeyById.set(id, routeKey);
  }

  for (const [id, resource] of ofType('AWS::ApiGatewayV2::RouteResponse')) {
    if (!belongsToApi(resource.Properties)) continue;
    const routeKey = referencedIds(resource.Properties.RouteId)
      .map((ref) => routeKeyById.get(ref))
      .find((key) => key !== undefined);
    const responseKey = resource.Properties.RouteResponseKey;
    const route = routeKey === undefined ? undefined : routes[routeKey];
    if (!route || typeof responseKey !== 'string') {
      throw new ExecuteApiError(
        `route response ${id} does not name a route of this API and a RouteResponseKey`,
      );
    }
    route.routeResponseKeys.push(responseKey);
  }

  const routeSelectionExpression = properties.RouteSelectionExpression;
  if (typeof routeSelectionExpression !== 'string') {
    throw new ExecuteApiError(`API ${apiLogicalId} has no literal RouteSelectionExpression`);
  }
  const config: GatewayConfig = { apiLogicalId, routeSelectionExpression, stageName, routes };
  if (typeof properties.Name === 'string') config.apiName = properties.Name;
  const throttling = throttlingOf(stageProperties.DefaultRouteSettings);
  if (throttling) config.throttling = throttling;
  return config;
}

/** Whether `value` is `{Ref: id}` (or an intrinsic containing it). */
function refersTo(value: unknown, logicalId: string): boolean {
  return referencedIds(value).includes(logicalId);
}

/** Logical ids named by Ref / Fn::GetAtt anywhere inside an intrinsic-function value. */
function referencedIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (!value || typeof value !== 'object') return [];
  const found: string[] = [];
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'Ref' && typeof inner === 'string') found.push(inner);
    else if (key === 'Fn::GetAtt') {
      const target = Array.isArray(inner)
        ? inner[0]
        : typeof inner === 'string'
          ? inner.split('.')[0]
          : undefined;
      if (typeof target === 'string') found.push(target);
    } else if (key === 'Fn::Sub') {
      const text = Array.isArray(inner) ? inner[0] : inner;
      if (typeof text === 'string') {
        for (const match of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}/g))
          if (match[1]) found.push(match[1]);
      }
      if (Array.isArray(inner)) found.push(...referencedIds(inner[1]));
    } else found.push(...referencedIds(inner));
  }
  return found;
}
