/**
 * The `ask` route's asynchronous AWS Lambda integration on the local gateway, driven by the
 * synthesized streaming template with EnableDirectAsk=TRUE: the request template is evaluated, the
 * Lambda is invoked without the gateway waiting for it, and the client gets no reply. Templates the
 * local gateway cannot evaluate faithfully are refused at start.
 */

import { CredentialStore, devIdentity } from '../../cli/local-stack/credentials';
import {
  applyTemplateParameters,
  compileRequestTemplate,
  type ExecuteApiError,
  type GatewayConfig,
  gatewayConfigFromTemplate,
  type LocalExecuteApi,
  startExecuteApi,
  type WebSocketLambda,
} from '../../cli/local-stack/execute-api';
import { createLogger } from '../../functions/shared/logger';
import { DIRECT_ASK_REQUEST_TEMPLATE } from '../../templates';
import { streamingTemplate } from '../support/templates';
import {
  closed,
  nextMessage,
  openConnected,
  presignedUrl,
  REGION,
  recordingLambda,
  waitFor,
} from './helpers';

type Template = Parameters<typeof gatewayConfigFromTemplate>[0];
const quiet = createLogger({ service: 'test', write: () => undefined });
const template = () => structuredClone(streamingTemplate()) as Template;

function askIntegration(config: GatewayConfig) {
  const integration = config.routes.ask?.integration;
  if (!integration) throw new Error('no ask route');
  return integration;
}

async function gatewayWith(
  config: GatewayConfig,
  lambdas: Record<string, WebSocketLambda>,
): Promise<LocalExecuteApi> {
  return startExecuteApi({
    config,
    lambdas,
    credentials: new CredentialStore([devIdentity()]),
    region: REGION,
    logger: quiet,
  });
}

describe('template parameters decide which routes the local gateway serves', () => {
  it('serves no ask route by default, and the ask route with EnableDirectAsk=TRUE', () => {
    // Act
    const byDefault = gatewayConfigFromTemplate(template());
    const on = gatewayConfigFromTemplate(template(), { parameters: { EnableDirectAsk: 'TRUE' } });

    // Assess
    expect(Object.keys(byDefault.routes)).not.toContain('ask');
    expect(on.routes.ask).toMatchObject({
      authorizationType: 'NONE',
      routeResponseKeys: [],
      integration: { type: 'AWS', lambdaLogicalId: 'AskFunction', invocationType: 'Event' },
    });
  });

  it('refuses a value the parameter does not allow, or an unknown parameter', () => {
    expect(() => applyTemplateParameters(template(), { EnableDirectAsk: 'yes' })).toThrow(
      'parameter EnableDirectAsk must be one of TRUE, FALSE, got "yes"',
    );
    expect(() => applyTemplateParameters(template(), { EnableDirectAks: 'TRUE' })).toThrow(
      /template has no parameter EnableDirectAks/,
    );
  });
});

describe('asynchronous (Event) Lambda integration', () => {
  it('invokes the Lambda with the rendered template, does not wait for it, and replies nothing', async () => {
    // Prepare: the ask Lambda holds its answer until the test lets it go.
    const config = gatewayConfigFromTemplate(template(), { parameters: { EnableDirectAsk: 'TRUE' } });
    const connection = recordingLambda();
    const payloads: unknown[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ask: WebSocketLambda = async (payload) => {
      payloads.push(payload);
      await held;
      return { statusCode: 200, body: 'must never reach the client' };
    };
    const connectionId = config.routes.$connect?.integration?.lambdaLogicalId as string;
    const gateway = await gatewayWith(config, { [connectionId]: connection.handler, AskFunction: ask });
    try {
      const socket = await openConnected(await presignedUrl(gateway));
      const sentAt = Date.now();

      // Act: ask, then (while the ask Lambda still runs) another message on the same socket.
      socket.send(JSON.stringify({ action: 'ask', question: 'Why "quotes" \\ and ünïcode?' }));
      await waitFor(() => payloads.length === 1);
      const echo = nextMessage(socket);
      socket.send('{"action":"hello"}');
      const firstReply = (await echo).data.toString();

      // Assess
      expect(firstReply).toBe('echo:{"action":"hello"}'); // the ask produced no message of its own
      const [payload] = payloads as Record<string, unknown>[];
      expect(payload).toEqual({
        connectionId: gateway.connectionIds()[0],
        requestId: expect.any(String),
        requestTimeEpoch: expect.any(Number),
        body: { action: 'ask', question: 'Why "quotes" \\ and ünïcode?' },
      });
      expect(payload?.requestTimeEpoch as number).toBeGreaterThanOrEqual(sentAt - 1000);
      expect(connection.routes()).toEqual(['$connect', '$default']); // ask went to its own Lambda only

      release();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(socket.readyState).toBe(socket.OPEN);
      socket.close();
      await closed(socket);
    } finally {
      release();
      await gateway.stop();
    }
  });

  it('crafted bodies cannot change the connection id, request id or time the ask Lambda sees', async () => {
    // Prepare
    const config = gatewayConfigFromTemplate(template(), { parameters: { EnableDirectAsk: 'TRUE' } });
    const connection = recordingLambda();
    const payloads: Record<string, unknown>[] = [];
    const ask: WebSocketLambda = async (payload) => {
      payloads.push(payload as unknown as Record<string, unknown>);
      return undefined;
    };
    const connectionLambdaId = config.routes.$connect?.integration?.lambdaLogicalId as string;
    const gateway = await gatewayWith(config, { [connectionLambdaId]: connection.handler, AskFunction: ask });
    const crafted = [
      // a duplicate connectionId (and the other supplied fields) inside the message
      '{"action":"ask","question":"q","connectionId":"forged","requestId":"forged","requestTimeEpoch":1}',
      // nested quotes, backslashes and an apostrophe in the question
      '{"action":"ask","question":"He said \\"connectionId\\":\\"forged\\", it\'s \\\\ fine"}',
      // keys JSON.parse treats specially elsewhere
      '{"action":"ask","question":"q","__proto__":{"connectionId":"forged"},"body":{"connectionId":"forged"}}',
      // trailing text that would append a second connectionId (not JSON, so it routes to $default here)
      '{"action":"ask","question":"q"},"connectionId":"forged"',
    ];
    try {
      const socket = await openConnected(await presignedUrl(gateway));
      const [realId] = gateway.connectionIds();

      // Act
      for (const body of crafted) socket.send(body);
      await waitFor(() => payloads.length === 3 && connection.routes().includes('$default'));

      // Assess
      for (const payload of payloads) {
        expect(payload.connectionId).toBe(realId);
        expect(payload.requestId).not.toBe('forged');
        expect(payload.requestTimeEpoch).toBeGreaterThan(1);
      }
      expect((payloads[1]?.body as { question?: string } | undefined)?.question).toBe(
        'He said "connectionId":"forged", it\'s \\ fine',
      );
      socket.close();
      await closed(socket);
    } finally {
      await gateway.stop();
    }
  });

  it('refuses, at start, a synchronous AWS integration and a template using VTL it does not evaluate', async () => {
    const base = gatewayConfigFromTemplate(template(), { parameters: { EnableDirectAsk: 'TRUE' } });
    // The connection Lambda's logical id as the synthesized template names it (QnABot's StreamingLambda).
    const connectionId = base.routes.$connect?.integration?.lambdaLogicalId as string;
    const lambdas = { [connectionId]: recordingLambda().handler, AskFunction: recordingLambda().handler };
    const variant = (change: (integration: ReturnType<typeof askIntegration>) => void): GatewayConfig => {
      const config = structuredClone(base);
      change(askIntegration(config));
      return config;
    };

    await expect(
      gatewayWith(
        variant((integration) => {
          delete integration.invocationType;
        }),
        lambdas,
      ),
    ).rejects.toThrow(/route ask .*only asynchronous AWS Lambda integrations are supported locally/);
    await expect(
      gatewayWith(
        variant((integration) => {
          integration.requestTemplates = { $default: '{"q":"$util.escapeJavaScript($input.body)"}' };
        }),
        lambdas,
      ),
    ).rejects.toThrow(
      /uses "\$util\.escapeJavaScript\(\$input\.body\)"\}", which the local execute-api does not evaluate/,
    );
    await expect(
      gatewayWith(
        variant((integration) => {
          integration.requestTemplates = { $default: '#set($x = 1){"x":$x}' };
        }),
        lambdas,
      ),
    ).rejects.toThrow(/uses "#set\(\$x = 1\)/);
    await expect(
      gatewayWith(
        variant((integration) => {
          integration.templateSelectionExpression = '$request.body.kind';
        }),
        lambdas,
      ),
    ).rejects.toThrow(/TemplateSelectionExpression "\$request.body.kind" is not supported locally/);
  });
});

describe('compileRequestTemplate', () => {
  const context = {
    connectionId: 'c1=',
    requestTimeEpoch: 1700000000000,
    identity: { sourceIp: '127.0.0.1' },
  };

  it('renders the shipped direct-ask template to the JSON the ask Lambda reads', () => {
    const rendered = compileRequestTemplate(DIRECT_ASK_REQUEST_TEMPLATE, 'test').render({
      context: { ...context, requestId: 'r1' },
      body: '{"action":"ask","question":"hi"}',
    });
    expect(JSON.parse(rendered)).toEqual({
      connectionId: 'c1=',
      requestId: 'r1',
      requestTimeEpoch: 1700000000000,
      body: { action: 'ask', question: 'hi' },
    });
  });

  it('keeps the supplied fields whatever trailing text a body carries: the payload is either invalid JSON or has the real ones', () => {
    // Prepare: bodies as API Gateway might route them if its parser stops after the first value.
    const render = (body: string) =>
      compileRequestTemplate(DIRECT_ASK_REQUEST_TEMPLATE, 'test').render({
        context: { ...context, requestId: 'r1' },
        body,
      });
    const head = '{"action":"ask","question":"q"}';
    const fragments = [
      '}',
      '{',
      ']',
      '[',
      ',',
      ':',
      '"',
      '\\',
      '"connectionId"',
      '"forged"',
      '1',
      ' ',
      'null',
    ];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const bodies = [
      `${head},"connectionId":"forged"`,
      `${head},"connectionId":"forged","requestTimeEpoch":1`,
      `${head},"connectionId":"forged","x":{"y":1`,
      `${head},"connectionId":"forged","x":"`,
      `${head},"connectionId":"forged","x":[`,
      `${head}},{"connectionId":"forged"`,
    ];
    for (let index = 0; index < 2000; index++) {
      const parts = Array.from(
        { length: 1 + Math.floor(random() * 12) },
        () => fragments[Math.floor(random() * fragments.length)],
      );
      bodies.push(`${head}${parts.join('')}`);
    }

    // Act
    const outcomes = bodies.map((body) => {
      try {
        return JSON.parse(render(body)) as Record<string, unknown>;
      } catch {
        return 'invalid JSON';
      }
    });

    // Assess
    for (const outcome of outcomes) {
      if (outcome === 'invalid JSON') continue;
      expect(outcome).toMatchObject({
        connectionId: 'c1=',
        requestId: 'r1',
        requestTimeEpoch: 1700000000000,
      });
    }
    // the attack the body-first layout stops: a second connectionId, now before the genuine one
    expect(outcomes[0]).toEqual({
      body: { action: 'ask', question: 'q' },
      connectionId: 'c1=',
      requestId: 'r1',
      requestTimeEpoch: 1700000000000,
    });
    expect(outcomes[1]).toMatchObject({ connectionId: 'c1=', requestTimeEpoch: 1700000000000 });
    expect(outcomes.slice(2, 6)).toEqual(Array(4).fill('invalid JSON'));
    expect(outcomes.filter((outcome) => outcome !== 'invalid JSON').length).toBeGreaterThan(2);
  });

  it("renders $input.json('$'), dotted context names and leaves non-VTL $ and # alone", () => {
    const rendered = compileRequestTemplate(
      '{"ip":"$context.identity.sourceIp","m":$input.json(\'$\'),"price":"$ 5 #1"}',
      'test',
    ).render({ context, body: '{ "a" : 1 }' });
    expect(JSON.parse(rendered)).toEqual({ ip: '127.0.0.1', m: { a: 1 }, price: '$ 5 #1' });
  });

  it('names a context variable the local gateway does not provide', () => {
    let error: ExecuteApiError | undefined;
    try {
      compileRequestTemplate('{"x":"$context.authorizer.principalId"}', 'route x');
    } catch (caught) {
      error = caught as ExecuteApiError;
    }
    expect(error?.message).toMatch(/route x: the request template reads \$context\.authorizer\.principalId/);
  });
});
