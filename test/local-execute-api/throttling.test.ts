/**
 * Route throttling on the local gateway, read from the synthesized streaming template: the stage's
 * RouteSettings (parameters resolved, the `ask` entry only with EnableDirectAsk=TRUE) and, when
 * enforced, a token bucket per route: past the burst a message reaches no Lambda and the client gets
 * API Gateway's "Too Many Requests" message; other routes keep their own budget. The gateway counts
 * Lambda invocations per route for the abuse tests' cost figures.
 */

import { CredentialStore, devIdentity } from '../../cli/local-stack/credentials';
import {
  type GatewayConfig,
  gatewayConfigFromTemplate,
  type LocalExecuteApi,
  startExecuteApi,
} from '../../cli/local-stack/execute-api';
import { createLogger } from '../../functions/shared/logger';
import { streamingTemplate } from '../support/templates';
import { closed, openConnected, openSocket, presignedUrl, REGION, recordingLambda, waitFor } from './helpers';

type Template = Parameters<typeof gatewayConfigFromTemplate>[0];
const quiet = createLogger({ service: 'test', write: () => undefined });
const template = () => structuredClone(streamingTemplate()) as Template;

describe('route settings from the template', () => {
  it('reads the stage default and the $default throttle (parameter values), and ask only when it exists', () => {
    // Act
    const byDefault = gatewayConfigFromTemplate(template());
    const tuned = gatewayConfigFromTemplate(template(), {
      parameters: {
        EnableDirectAsk: 'TRUE',
        DirectAskThrottlingBurstLimit: '3',
        DirectAskThrottlingRateLimit: '1',
        UnknownActionThrottlingRateLimit: '7',
      },
    });

    // Assess
    expect(byDefault.throttling).toEqual({ burstLimit: 500, rateLimit: 1000 });
    expect(byDefault.routes.$default?.throttling).toEqual({ burstLimit: 50, rateLimit: 20 });
    expect(byDefault.routes.ask).toBeUndefined();
    expect(byDefault.routes.$connect?.throttling).toBeUndefined();
    expect(tuned.routes.ask?.throttling).toEqual({ burstLimit: 3, rateLimit: 1 });
    expect(tuned.routes.$default?.throttling).toEqual({ burstLimit: 50, rateLimit: 7 });
  });
});

describe('enforced throttling', () => {
  let gateway: LocalExecuteApi;
  let connection: ReturnType<typeof recordingLambda>;
  const askPayloads: unknown[] = [];

  beforeAll(async () => {
    const config: GatewayConfig = gatewayConfigFromTemplate(template(), {
      parameters: {
        EnableDirectAsk: 'TRUE',
        DirectAskThrottlingBurstLimit: '3',
        DirectAskThrottlingRateLimit: '1',
        UnknownActionThrottlingBurstLimit: '5',
        UnknownActionThrottlingRateLimit: '1',
      },
    });
    connection = recordingLambda();
    const connectionId = config.routes.$connect?.integration?.lambdaLogicalId as string;
    gateway = await startExecuteApi({
      config,
      lambdas: {
        [connectionId]: connection.handler,
        AskFunction: async (payload) => {
          askPayloads.push(payload);
          return undefined;
        },
      },
      credentials: new CredentialStore([devIdentity()]),
      region: REGION,
      logger: quiet,
      enforceThrottling: true,
    });
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it('past the burst, messages of a route get "Too Many Requests" and reach no Lambda; other routes keep theirs', async () => {
    // Prepare
    const socket = await openConnected(await presignedUrl(gateway));
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(String(data)));

    // Act: 10 asks (burst 3) and 10 unknown actions (burst 5) at once
    for (let index = 0; index < 10; index++)
      socket.send(JSON.stringify({ action: 'ask', question: `q${index}` }));
    for (let index = 0; index < 10; index++) socket.send(JSON.stringify({ action: 'nope' }));
    await waitFor(() => replies.length >= 17);

    // Assess
    const stats = gateway.stats();
    expect(askPayloads).toHaveLength(3);
    expect(stats.lambdaInvocations).toMatchObject({ $connect: 1, ask: 3, $default: 5 });
    expect(stats.throttled).toEqual({ ask: 7, $default: 5 });
    const tooMany = replies.filter((reply) => reply.startsWith('{"message":"Too Many Requests"'));
    expect(tooMany).toHaveLength(12);
    expect(replies.filter((reply) => reply.startsWith('echo:'))).toHaveLength(5);
    socket.close();
    await closed(socket);
  });

  it('refills at the rate: a second later one more ask passes', async () => {
    // Prepare
    const socket = await openConnected(await presignedUrl(gateway));
    const before = askPayloads.length;

    // Act
    await new Promise((resolve) => setTimeout(resolve, 1100));
    socket.send(JSON.stringify({ action: 'ask', question: 'again' }));
    await waitFor(() => askPayloads.length > before);

    // Assess
    expect(askPayloads.length).toBe(before + 1);
    socket.close();
    await closed(socket);
  });

  it('is off unless asked for, and can be switched at run time', async () => {
    // Act
    gateway.setThrottlingEnforced(false);
    const socket = await openConnected(await presignedUrl(gateway));
    const before = askPayloads.length;
    for (let index = 0; index < 10; index++)
      socket.send(JSON.stringify({ action: 'ask', question: `q${index}` }));
    await waitFor(() => askPayloads.length === before + 10);
    gateway.setThrottlingEnforced(true);

    // Assess
    expect(askPayloads.length).toBe(before + 10);
    socket.close();
    await closed(socket);
  });
});

it('a throttled $connect is refused with 429 before any Lambda runs', async () => {
  // Prepare: a stage allowing 2 connects, then 1 a second.
  const config = gatewayConfigFromTemplate(template());
  config.routes.$connect = {
    ...(config.routes.$connect as NonNullable<GatewayConfig['routes']['$connect']>),
    throttling: { burstLimit: 2, rateLimit: 1 },
  };
  const connection = recordingLambda();
  const connectionId = config.routes.$connect?.integration?.lambdaLogicalId as string;
  const gateway = await startExecuteApi({
    config,
    lambdas: { [connectionId]: connection.handler },
    credentials: new CredentialStore([devIdentity()]),
    region: REGION,
    logger: quiet,
    enforceThrottling: true,
  });
  try {
    // Act
    const results = [];
    for (let index = 0; index < 3; index++) results.push(await openSocket(await presignedUrl(gateway)));

    // Assess
    expect(results.map((result) => result.status ?? 101)).toEqual([101, 101, 429]);
    expect(connection.routes().filter((route) => route === '$connect')).toHaveLength(2);
    for (const result of results) result.socket?.terminate();
  } finally {
    await gateway.stop();
  }
});
