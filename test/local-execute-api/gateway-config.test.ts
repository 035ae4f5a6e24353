import { CredentialStore } from '../../cli/local-stack/credentials';
import {
  ExecuteApiError,
  gatewayConfigFromTemplate,
  startExecuteApi,
  type WebSocketLambda,
} from '../../cli/local-stack/execute-api';
import type { handler as connectionHandler } from '../../functions/connection/handler';
import { createLogger } from '../../functions/shared/logger';
import { streamingTemplate } from '../support/templates';
import {
  closed,
  fixtureTemplate,
  LAMBDA_ID,
  nextMessage,
  openConnected,
  openSocket,
  presignedUrl,
  REGION,
  recordingLambda,
  waitFor,
} from './helpers';

// The real connection Lambda's handler fits the gateway's Lambda type (checked by tsc).
const connectionHandlerFits: (handler: typeof connectionHandler) => WebSocketLambda = (handler) => handler;
void connectionHandlerFits;

describe('gatewayConfigFromTemplate', () => {
  it('reads routes, authorization, integrations, route responses and the stage of the streaming API', () => {
    // Act
    const config = gatewayConfigFromTemplate(fixtureTemplate());

    // Assess
    expect(config.routeSelectionExpression).toBe('$request.body.action');
    expect(config.stageName).toBe('Prod');
    expect(config.throttling).toEqual({ burstLimit: 500, rateLimit: 1000 });
    expect(Object.keys(config.routes).sort()).toEqual([
      '$connect',
      '$default',
      '$disconnect',
      'cancel',
      'ping',
    ]);
    expect(config.routes.$connect).toMatchObject({
      authorizationType: 'AWS_IAM',
      integration: { type: 'AWS_PROXY', lambdaLogicalId: LAMBDA_ID },
      throttling: { burstLimit: 50, rateLimit: 100 },
    });
    expect(config.routes.$disconnect?.authorizationType).toBe('NONE');
    expect(config.routes.$default).toMatchObject({
      routeResponseSelectionExpression: '$default',
      routeResponseKeys: ['$default'],
    });
    expect(config.routes.cancel).toMatchObject({ integration: { type: 'AWS_PROXY' }, routeResponseKeys: [] });
    expect(config.routes.ping?.integration).toEqual({
      logicalId: 'PingIntegration3C4D5E6F',
      type: 'MOCK',
      templateSelectionExpression: '\\$default',
      requestTemplates: { $default: '{"statusCode": 200}' },
    });
  });

  it('names the integration whose URI does not lead to a Lambda function', () => {
    const template = fixtureTemplate();
    const integration = template.Resources?.WebSocketApicancelRouteIntegration99AABBCC;
    if (integration?.Properties)
      integration.Properties.IntegrationUri = 'arn:aws:apigateway:us-east-1:lambda:path/unknown';

    expect(() => gatewayConfigFromTemplate(template)).toThrow(
      new ExecuteApiError(
        'integration WebSocketApicancelRouteIntegration99AABBCC: expected IntegrationUri to reference one AWS::Lambda::Function, found none',
      ),
    );
  });

  it('refuses a template without a WebSocket API', () => {
    expect(() => gatewayConfigFromTemplate({ Resources: {} })).toThrow(/no WEBSOCKET AWS::ApiGatewayV2::Api/);
  });

  it('reads the synthesized streaming template', () => {
    const config = gatewayConfigFromTemplate(
      streamingTemplate() as Parameters<typeof gatewayConfigFromTemplate>[0],
    );

    expect(config.stageName).toBe('Prod');
    expect(config.routeSelectionExpression).toBe('$request.body.action');
    expect(config.routes.$connect?.authorizationType).toBe('AWS_IAM');
    expect(config.routes.$connect?.integration?.type).toBe('AWS_PROXY');
    expect(config.routes.ping?.integration?.type).toBe('MOCK');
    expect(config.routes.ping?.routeResponseKeys).toEqual([]);
    expect(config.routes.$default?.routeResponseKeys).toEqual(['$default']);
    expect(config.routes.cancel?.integration?.type).toBe('AWS_PROXY');
    expect(config.routes.$disconnect?.integration?.lambdaLogicalId).toBe(
      config.routes.$connect?.integration?.lambdaLogicalId,
    );
  });

  it('drives the local gateway from the synthesized streaming template', async () => {
    // Prepare
    const config = gatewayConfigFromTemplate(
      streamingTemplate() as Parameters<typeof gatewayConfigFromTemplate>[0],
    );
    const lambda = recordingLambda();
    const lambdaId = config.routes.$connect?.integration?.lambdaLogicalId as string;
    const gateway = await startExecuteApi({
      config,
      lambdas: { [lambdaId]: lambda.handler },
      credentials: new CredentialStore(),
      region: REGION,
      logger: createLogger({ service: 'test', write: () => undefined }),
    });
    try {
      const unsigned = await openSocket(`${gateway.webSocketUrl}?sessionId=session-1`);

      // Act
      const socket = await openConnected(await presignedUrl(gateway));
      socket.send('{"action":"ping"}');
      const reply = nextMessage(socket);
      socket.send('{"action":"hello"}');
      const echoed = (await reply).data.toString();
      socket.close();
      await closed(socket);
      await waitFor(() => lambda.routes().includes('$disconnect'));

      // Assess
      expect(gateway.webSocketUrl).toMatch(/\/Prod$/);
      expect(unsigned.status).toBe(401);
      expect(echoed).toBe('echo:{"action":"hello"}');
      expect(lambda.routes()).toEqual(['$connect', '$default', '$disconnect']);
    } finally {
      await gateway.stop();
    }
  });
});
