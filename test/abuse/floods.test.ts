/**
 * Abuse on the local stack (127.0.0.1, EnableDirectAsk=TRUE, template defaults otherwise except a
 * short DirectAskMaxTokens so answers are quick): what a flood from one Cognito visitor costs and
 * that everyone else is still served.
 *
 * - asks: one identity floods two of its sessions; the model is called at most
 *   DirectAskQuestionsPerMinute times, each answer at most DirectAskMaxTokens long, the rest get
 *   Busy / RateLimited frames; other visitors are answered. With the route throttle enforced, the
 *   ask Lambda is invoked at most burst + rate × seconds times.
 * - connects: 1,500 connects from one identity end at MaxSessionsPerIdentity sessions and
 *   MaxTabsPerSession tabs (403 with the reason for the rest); another visitor connects and is answered.
 * - cancel and unknown actions: what a flood costs in Lambda calls, and with the `$default`
 *   throttle enforced, how few reach the Lambda.
 * - crafted ask bodies: a forged `connectionId` in the message cannot send an answer to another socket.
 *
 * Every scenario writes its figures to build/abuse/figures.json (test/abuse/support.ts).
 */

import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { RecentCancels, routeConnectionEvent } from '../../functions/connection/connection-routes';
import type { WebSocketEvent } from '../../functions/connection/websocket-event';
import { BINDING_DEFAULTS, DEFAULT_SESSION_TTL_SECONDS } from '../../functions/shared/constants';
import { createLogger } from '../../functions/shared/logger';
import { SessionTable } from '../../functions/shared/session-table';
import { newVisitor, type Visitor } from '../../scripts/bench/visitor';
import {
  attemptConnect,
  type ConnectAttempt,
  openTab,
  recordFigures,
  runLimited,
  sleep,
  type Tab,
  tally,
  waitUntil,
} from './support';
import { countTableOperations } from './table-operations';

const MAX_TOKENS = 40;
let stack: LocalStack;
const tabs: Tab[] = [];
/** Warnings and errors the doubles and Lambdas logged (why a connect failed, …). */
const problems: string[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    parameters: { EnableDirectAsk: 'TRUE', DirectAskMaxTokens: String(MAX_TOKENS) },
    modelBehaviour: { timeToFirstTokenMs: 20, tokensPerSecond: 400 },
    demo: false,
    onLog: (line) => {
      if (/"level":"(warn|error)"/.test(line)) problems.push(line);
    },
  });
}, 60_000);

afterAll(async () => {
  for (const tab of tabs) tab.close();
  await stack?.stop();
});

async function tab(visitor: Visitor, sessionId?: string): Promise<Tab> {
  const opened = await openTab(stack, visitor, sessionId ? { sessionId } : {});
  tabs.push(opened);
  return opened;
}

const modelCalls = () => stack.bedrock?.stats().streamsStarted ?? 0;
const tokens = () => stack.bedrock?.stats().tokensSent ?? 0;
const invocations = (route: string) => stack.gateway.stats().lambdaInvocations[route] ?? 0;
const ends = (target: Tab) => target.frames().filter((frame) => frame.type === 'end');
const errors = (target: Tab) =>
  target.frames().filter((frame) => frame.type === 'error') as unknown as {
    code: string;
    retryAfterMs?: number;
  }[];

it('a flood of asks from one identity calls the model at most 10 times, each answer at most DirectAskMaxTokens; other visitors are answered', async () => {
  // Prepare: the attacker's two sessions, two bystanders
  const attacker = await newVisitor(stack.endpoints);
  const floodTabs = [await tab(attacker), await tab(attacker, 'flood-second-session')];
  const bystanders = [
    await tab(await newVisitor(stack.endpoints)),
    await tab(await newVisitor(stack.endpoints)),
  ];
  const before = {
    model: modelCalls(),
    tokens: tokens(),
    asks: invocations('ask'),
    posts: stack.gateway.stats().posts,
  };
  const asks = 150;
  const startedAt = Date.now();

  // Act: 150 asks over about 3 s, alternating sessions; the bystanders ask in the middle of it
  for (let index = 0; index < asks; index++) {
    (floodTabs[index % 2] as Tab).send({ action: 'ask', question: 'What is QnABot on AWS?' });
    if (index === asks / 2) {
      for (const bystander of bystanders)
        bystander.send({ action: 'ask', question: 'How does streaming work?' });
    }
    await sleep(20);
  }
  const outcomes = () =>
    floodTabs.reduce((sum, target) => sum + ends(target).length + errors(target).length, 0);
  await waitUntil(
    () => outcomes() >= asks && bystanders.every((target) => ends(target).length === 1),
    20_000,
    'every ask answered or refused',
  );
  const seconds = (Date.now() - startedAt) / 1000;

  // Assess
  const answered = floodTabs.reduce((sum, target) => sum + ends(target).length, 0);
  const refusals = tally(floodTabs.flatMap((target) => errors(target).map((frame) => frame.code)));
  const calls = modelCalls() - before.model;
  expect(answered).toBeGreaterThanOrEqual(2);
  expect(answered).toBeLessThanOrEqual(10); // DirectAskQuestionsPerMinute
  expect(Object.keys(refusals).filter((code) => code !== 'Busy' && code !== 'RateLimited')).toEqual([]);
  // Which refusal a flooder meets depends on how fast answers end (a busy machine keeps one in
  // flight longer: Busy); the rate limit itself is pinned in ask-limits.test.ts.
  expect((refusals.Busy ?? 0) + (refusals.RateLimited ?? 0)).toBe(asks - answered);
  expect(
    floodTabs
      .flatMap(errors)
      .filter((frame) => frame.code === 'RateLimited')
      .every((frame) => (frame.retryAfterMs ?? 0) > 0),
  ).toBe(true);
  expect(calls).toBe(answered + bystanders.length);
  expect(tokens() - before.tokens).toBeLessThanOrEqual(calls * MAX_TOKENS);
  for (const bystander of bystanders) {
    expect(ends(bystander)[0]).toMatchObject({ type: 'end' });
    expect(errors(bystander)).toEqual([]);
  }
  expect(invocations('ask') - before.asks).toBe(asks + bystanders.length);
  recordFigures('ask flood, one identity, route throttle not enforced', {
    asksSent: asks,
    seconds: Number(seconds.toFixed(1)),
    askLambdaInvocations: invocations('ask') - before.asks,
    attackerAnswers: answered,
    refusals,
    modelCalls: calls,
    outputTokens: tokens() - before.tokens,
    posts: stack.gateway.stats().posts - before.posts,
    bystandersAnswered: bystanders.length,
  });
}, 40_000);

it('with the ask route throttle enforced, 200 asks at once invoke the ask Lambda at most burst (20) + 10/s; a visitor asking a second later is answered', async () => {
  // Prepare
  const attacker = await newVisitor(stack.endpoints);
  const floodTab = await tab(attacker);
  const bystander = await tab(await newVisitor(stack.endpoints));
  const before = {
    asks: invocations('ask'),
    throttled: stack.gateway.stats().throttled.ask ?? 0,
    model: modelCalls(),
  };
  stack.gateway.setThrottlingEnforced(true);
  try {
    const startedAt = Date.now();

    // Act
    for (let index = 0; index < 200; index++)
      floodTab.send({ action: 'ask', question: 'What is QnABot on AWS?' });
    await waitUntil(
      () => floodTab.gatewayMessages().length + invocations('ask') - before.asks >= 200,
      10_000,
      'flood handled',
    );
    const floodMs = Date.now() - startedAt;
    await sleep(1200);
    bystander.send({ action: 'ask', question: 'How does streaming work?' });
    await waitUntil(() => ends(bystander).length === 1, 10_000, 'bystander answered');

    // Assess
    const invoked = invocations('ask') - before.asks;
    expect(invoked - 1).toBeLessThanOrEqual(20 + Math.ceil((floodMs / 1000) * 10));
    expect(floodTab.gatewayMessages().every((message) => message.includes('Too Many Requests'))).toBe(true);
    expect(errors(bystander)).toEqual([]);
    recordFigures('ask flood, route throttle enforced (burst 20, 10/s)', {
      asksSent: 200,
      floodMs,
      askLambdaInvocations: invoked - 1,
      throttledByGateway: (stack.gateway.stats().throttled.ask ?? 0) - before.throttled,
      modelCalls: modelCalls() - before.model - 1,
      bystanderAnsweredAfterMs: 1200,
    });
  } finally {
    stack.gateway.setThrottlingEnforced(false);
  }
}, 30_000);

it('1,500 connects from one Cognito identity end at 10 sessions and 10 tabs a session (403 with the reason); another visitor connects and is answered', async () => {
  // Prepare
  const attacker = await newVisitor(stack.endpoints);
  const before = { connects: invocations('$connect'), disconnects: invocations('$disconnect') };
  const problemsBefore = problems.length;
  const startedAt = Date.now();

  // Act: 1,000 distinct session ids, then 500 more tabs of the first one that was accepted
  const bySession = await runLimited(
    Array.from({ length: 1000 }, (_, index) => `flood-${index}`),
    25,
    (sessionId) => attemptConnect(stack, attacker, sessionId),
  );
  const owned = bySession.findIndex((attempt) => attempt.status === 101);
  const byTab = await runLimited(Array.from({ length: 500 }), 25, () =>
    attemptConnect(stack, attacker, `flood-${owned}`),
  );
  const seconds = (Date.now() - startedAt) / 1000;
  const bystander = await tab(await newVisitor(stack.endpoints));
  bystander.send({ action: 'ask', question: 'How does streaming work?' });
  await waitUntil(() => ends(bystander).length === 1, 10_000, 'bystander answered');

  // Assess
  const statuses = (attempts: ConnectAttempt[]) => tally(attempts.map((attempt) => String(attempt.status)));
  expect(statuses(bySession)).toEqual({ 101: 10, 403: 990 });
  // The caps hold: 9 more tabs (10 with the first), every other connect refused with 403. While 25
  // connects race for the same session item, each lost round means another one won, and once the
  // cap is reached every connect is refused on its read, so no connect runs out of rounds
  // (session-table.ts connect: MAX_ATTEMPTS, raceBackoff) and none fails with 502.
  const tabStatuses = statuses(byTab);
  expect(tabStatuses).toEqual({ 101: 9, 403: 491 });
  const failures = problems.slice(problemsBefore).filter((line) => line.includes('$connect Lambda failed'));
  expect(failures).toEqual([]);
  expect(bySession.find((attempt) => attempt.status === 403)?.body).toMatch(/session/i);
  expect(byTab.find((attempt) => attempt.status === 403)?.body).toMatch(/tab/i);
  const connectCalls = invocations('$connect') - before.connects;
  for (const attempt of [...bySession, ...byTab]) attempt.socket?.terminate();
  await waitUntil(() => invocations('$disconnect') - before.disconnects >= 19, 10_000, 'disconnects');
  recordFigures('connect flood, one Cognito identity', {
    connectsSent: 1500,
    seconds: Number(seconds.toFixed(1)),
    connectsPerSecond: Math.round(1500 / seconds),
    accepted: 19,
    sessionFlood: statuses(bySession),
    tabFlood: tabStatuses,
    failureReasons: [
      ...new Set(failures.map((line) => /gave up[^"]*/.exec(line)?.[0] ?? line.slice(0, 200))),
    ],
    connectLambdaInvocations: connectCalls,
    refusalBodies: [
      bySession.find((attempt) => attempt.status === 403)?.body,
      byTab.find((attempt) => attempt.status === 403)?.body,
    ],
  });
}, 60_000);

it('cancel and unknown-action floods cost one connection Lambda call each, and the $default throttle caps the latter', async () => {
  // Prepare: the flooding visitor's answer runs on a second tab; a bystander asks meanwhile
  const visitor = await newVisitor(stack.endpoints);
  const floodTab = await tab(visitor);
  const bystander = await tab(await newVisitor(stack.endpoints));
  const before = {
    cancel: invocations('cancel'),
    unknown: invocations('$default'),
    throttled: stack.gateway.stats().throttled.$default ?? 0,
  };

  // Act 1: 300 cancels and 300 unknown actions, throttle not enforced
  for (let index = 0; index < 300; index++) {
    floodTab.send({ action: 'cancel' });
    floodTab.send({ action: 'flood' });
  }
  bystander.send({ action: 'ask', question: 'How does streaming work?' });
  await waitUntil(
    () => errors(floodTab).length >= 300 && ends(bystander).length === 1,
    15_000,
    'unknown-action replies',
  );
  const unenforced = {
    cancel: invocations('cancel') - before.cancel,
    unknown: invocations('$default') - before.unknown,
  };

  // Act 2: the same 300 unknown actions with the route throttle enforced (burst 50, 20/s)
  stack.gateway.setThrottlingEnforced(true);
  const startedAt = Date.now();
  try {
    for (let index = 0; index < 300; index++) floodTab.send({ action: 'flood' });
    await waitUntil(
      () =>
        floodTab.gatewayMessages().length + (invocations('$default') - before.unknown - unenforced.unknown) >=
        300,
      10_000,
      'throttled flood',
    );
  } finally {
    stack.gateway.setThrottlingEnforced(false);
  }
  const floodMs = Date.now() - startedAt;
  const enforcedCalls = invocations('$default') - before.unknown - unenforced.unknown;

  // Assess
  expect(unenforced).toEqual({ cancel: 300, unknown: 300 });
  expect(errors(bystander)).toEqual([]);
  expect(enforcedCalls).toBeLessThanOrEqual(50 + Math.ceil((floodMs / 1000) * 20));
  expect(floodTab.gatewayMessages().length).toBeGreaterThanOrEqual(300 - enforcedCalls);
  recordFigures('cancel and unknown-action flood, one socket', {
    cancelsSent: 300,
    cancelLambdaInvocations: unenforced.cancel,
    unknownActionsSent: 300,
    unknownActionLambdaInvocations: unenforced.unknown,
    withDefaultRouteThrottle: {
      sent: 300,
      floodMs,
      lambdaInvocations: enforcedCalls,
      throttled: (stack.gateway.stats().throttled.$default ?? 0) - before.throttled,
    },
    bystanderAnswered: true,
  });
}, 40_000);

it('a forged connectionId in an ask cannot send the answer to another socket; trailing text never reaches the ask Lambda', async () => {
  // Prepare
  const attacker = await newVisitor(stack.endpoints);
  const attackerTab = await tab(attacker);
  const victim = await tab(await newVisitor(stack.endpoints));
  const before = { asks: invocations('ask'), model: modelCalls() };

  // Act
  attackerTab.send({
    action: 'ask',
    question: 'What is QnABot on AWS?',
    connectionId: victim.connectionId,
    requestTimeEpoch: 1,
    body: { connectionId: victim.connectionId },
  });
  attackerTab.send(`{"action":"ask","question":"Hello?"},"connectionId":"${victim.connectionId}"`);
  await waitUntil(
    () => ends(attackerTab).length === 1 && errors(attackerTab).length === 1,
    10_000,
    'answer and refusal',
  );
  await sleep(300);

  // Assess
  expect(victim.messages).toEqual([]);
  expect(errors(attackerTab)[0]).toMatchObject({ code: 'UnknownAction' }); // not JSON: $default
  expect(invocations('ask') - before.asks).toBe(1);
  expect(modelCalls() - before.model).toBe(1);
});

it('what one message costs the session table, by route (the connection Lambda’s code on the stack’s table)', async () => {
  // Prepare: the connection routes in this process, on a client that counts table operations
  const client = stack.dynamodb.client();
  const counter = countTableOperations(client);
  let clockMs = Date.now();
  const deps = {
    table: new SessionTable({
      client,
      tableName: stack.endpoints.tableName,
      ttlSeconds: DEFAULT_SESSION_TTL_SECONDS,
    }),
    config: BINDING_DEFAULTS,
    logger: createLogger({ service: 'test', write: () => undefined }),
    // A clock that moves 1 ms per reading: "a repeat within 1 s" must not depend on how fast this
    // machine runs the calls in between (a busy CI machine took more than the 250 ms interval).
    now: () => clockMs++,
    recentCancels: new RecentCancels(),
  };
  const identity = 'us-east-1:0a0b0c0d-0000-4000-8000-00000000cafe';
  const event = (
    routeKey: string,
    connectionId: string,
    extra: Partial<WebSocketEvent> = {},
  ): WebSocketEvent => ({
    requestContext: {
      routeKey,
      connectionId,
      connectedAt: Date.now(),
      identity: { cognitoIdentityId: identity, cognitoAuthenticationType: 'unauthenticated' },
    },
    ...extra,
  });
  const connect = (connectionId: string, sessionId: string) =>
    event('$connect', connectionId, { queryStringParameters: { sessionId, protocol: 'json' } });
  const costs: Record<string, Record<string, number>> = {};
  const measure = async (name: string, run: () => Promise<{ statusCode: number }>, expected: number) => {
    counter.reset();
    const result = await run();
    expect(result.statusCode).toBe(expected);
    costs[name] = counter.counts();
  };

  // Act
  await measure(
    '$connect, new session',
    () => routeConnectionEvent(connect('cost-1=', 'cost-session'), deps),
    200,
  );
  await measure(
    '$connect, another tab',
    () => routeConnectionEvent(connect('cost-2=', 'cost-session'), deps),
    200,
  );
  for (let index = 3; index <= 10; index++)
    await routeConnectionEvent(connect(`cost-${index}=`, 'cost-session'), deps);
  await measure(
    '$connect refused, 11th tab',
    () => routeConnectionEvent(connect('cost-11=', 'cost-session'), deps),
    403,
  );
  for (let index = 2; index <= 10; index++)
    await routeConnectionEvent(connect(`cost-s${index}=`, `cost-session-${index}`), deps);
  await measure(
    '$connect refused, 11th session',
    () => routeConnectionEvent(connect('cost-s11=', 'cost-session-11'), deps),
    403,
  );
  await measure('cancel, first', () => routeConnectionEvent(event('cancel', 'cost-1='), deps), 200);
  await measure(
    'cancel, repeat within 1 s',
    () => routeConnectionEvent(event('cancel', 'cost-1='), deps),
    200,
  );
  await measure(
    '$default',
    () => routeConnectionEvent(event('$default', 'cost-1=', { body: '{"action":"x"}' }), deps),
    200,
  );
  await measure('$disconnect', () => routeConnectionEvent(event('$disconnect', 'cost-2='), deps), 200);
  client.destroy();

  // Assess: refusals and repeats write nothing that lasts; $default reads one item
  expect(costs.$default).toEqual({ GetItem: 1 });
  expect(costs['cancel, repeat within 1 s']).toEqual({});
  expect(costs['$connect refused, 11th tab']?.PutItem ?? 0).toBe(0);
  recordFigures('table operations per message (connection Lambda)', costs);
});
