export { applyTemplateParameters, TemplateError } from '../cloudformation/evaluator';
export { ExecuteApiError } from './errors';
export {
  type ApiInfo,
  type ConnectionOrigin,
  connectEvent,
  disconnectEvent,
  messageEvent,
  type WebSocketEventIdentity,
  type WebSocketLambda,
  type WebSocketProxyEvent,
  type WebSocketRequestContext,
} from './events';
export { startExecuteApi } from './execute-api';
export {
  type AuthorizationType,
  type GatewayConfig,
  type GatewayConfigOptions,
  type GatewayIntegration,
  type GatewayRoute,
  gatewayConfigFromTemplate,
  INVOCATION_TYPE_PARAMETER,
  type IntegrationType,
  type Throttling,
} from './gateway-config';
export { selectRoute } from './message-router';
export {
  compileRequestTemplate,
  type RequestTemplate,
  SUPPORTED_TEMPLATE_SUBSET,
  type TemplateInput,
} from './request-template';
export type {
  ConnectionsFault,
  ConnectionsRequest,
  ExecuteApiOptions,
  ExecuteApiStats,
  LocalExecuteApi,
} from './types';
