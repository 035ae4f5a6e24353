/**
 * Seeded, bounded fuzzing of the two publishing Lambdas as Lambda runs them (the packaged bundle in
 * its own worker, configuration from the environment, pointed at the local stack): Lex V2
 * fulfillment events and QnABot hook events with fields removed or replaced by values of the wrong
 * type. Each invocation must end in an answer of the right shape, or in one of this project's named
 * errors with a message saying what is wrong — never a TypeError from deep inside, never a hang —
 * and the Lambdas and the stack keep answering afterwards.
 */
import type { LexV2Event } from 'aws-lambda';
import { seededRandom } from '../../cli/local-stack/bedrock/behaviour';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { type LocalLambda, LocalLambdaError, startLocalLambda } from '../../cli/local-stack/lambda-host';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { ENV } from '../../functions/shared/constants';
import { newVisitor } from '../../scripts/bench/visitor';
import { askThroughLex } from '../../scripts/load/lex-ask';
import { mapWithConcurrency } from '../../scripts/load/load-runner';
import { openTab, type Tab } from '../faults/support';

let stack: LocalStack;
let fulfillment: LocalLambda;
let qnabotHook: LocalLambda;

beforeAll(async () => {
  stack = await startLocalStack({
    demo: false,
    modelBehaviour: { timeToFirstTokenMs: 5, tokensPerSecond: Number.POSITIVE_INFINITY, answerTokens: 20 },
  });
  const environment = {
    AWS_REGION: stack.endpoints.region,
    AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamodb,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: stack.endpoints.bedrockRuntime,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    [ENV.tableName]: stack.endpoints.tableName,
    [ENV.callbackUrl]: stack.endpoints.callbackUrl,
    [ENV.webSocketEndpoint]: stack.endpoints.webSocketUrl,
    [ENV.modelId]: stack.endpoints.modelId,
    [ENV.logLevel]: 'error',
  };
  [fulfillment, qnabotHook] = await Promise.all([
    startLocalLambda({ asset: 'fulfillment', environment, timeoutMs: 10_000 }),
    startLocalLambda({ asset: 'qnabot-hook', environment, timeoutMs: 10_000 }),
  ]);
}, 60_000);

afterAll(async () => {
  await fulfillment?.stop();
  await qnabotHook?.stop();
  await stack?.stop();
});

function lexEvent(sessionId: string): LexV2Event {
  return {
    messageVersion: '1.0',
    invocationSource: 'FulfillmentCodeHook',
    inputMode: 'Text',
    responseContentType: 'text/plain; charset=utf-8',
    sessionId,
    inputTranscript: 'What is QnABot on AWS?',
    bot: {
      id: 'BOTID',
      name: 'QnABot',
      aliasId: 'TSTALIASID',
      aliasName: 'live',
      localeId: 'en_US',
      version: 'DRAFT',
    },
    interpretations: [
      {
        intent: {
          name: 'FallbackIntent',
          slots: {},
          state: 'ReadyForFulfillment',
          confirmationState: 'None',
        },
      },
    ],
    proposedNextState: {
      dialogAction: { type: 'Close' },
      intent: { name: 'FallbackIntent', slots: {}, state: 'ReadyForFulfillment', confirmationState: 'None' },
    },
    requestAttributes: {},
    sessionState: {
      sessionAttributes: { topic: 'streaming' },
      activeContexts: [],
      intent: { name: 'FallbackIntent', slots: {}, state: 'ReadyForFulfillment', confirmationState: 'None' },
    },
    transcriptions: [],
  } as unknown as LexV2Event;
}

function hookEvent(sessionId: string): Record<string, unknown> {
  return {
    req: {
      _event: lexEvent(sessionId),
      _settings: { STREAMING_MAX_TOKENS: '200' },
      question: 'What is QnABot on AWS?',
      session: { qnabotcontext: '{}' },
    },
    res: {
      type: 'PlainText',
      message: 'placeholder',
      session: { appContext: { altMessages: {} } },
      result: { qid: 'streaming.001', args: ['{"maxTokens":200}'] },
    },
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const WRONG_VALUES: Json[] = [
  null,
  0,
  -1,
  42.5,
  true,
  false,
  '',
  ' ',
  'x'.repeat(5000),
  [],
  ['a'],
  {},
  { deep: { x: 1 } },
];

function paths(value: Json, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const children = Object.entries(value).flatMap(([key, child]) => paths(child, [...prefix, key]));
  return prefix.length > 0 ? [prefix, ...children] : children;
}

function mutate(base: Json, random: () => number): { event: Json; changes: string[] } {
  const event = structuredClone(base) as { [key: string]: Json };
  const changes: string[] = [];
  for (let count = 1 + Math.floor(random() * 3); count > 0; count--) {
    const all = paths(event);
    const path = all[Math.floor(random() * all.length)];
    if (!path || path.length === 0) continue;
    let parent: Json = event;
    for (const key of path.slice(0, -1)) parent = (parent as { [key: string]: Json })[key] as Json;
    if (parent === null || typeof parent !== 'object') continue;
    const key = path.at(-1) as string;
    if (random() < 0.3) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete (parent as { [key: string]: Json })[key];
      changes.push(`delete ${path.join('.')}`);
    } else {
      const value = WRONG_VALUES[Math.floor(random() * WRONG_VALUES.length)] as Json;
      (parent as { [key: string]: Json })[key] = structuredClone(value);
      changes.push(`${path.join('.')} = ${JSON.stringify(value)?.slice(0, 20)}`);
    }
  }
  return { event, changes };
}

/** Errors the project throws on purpose; anything else (TypeError, …) is an unclear crash. */
const OUR_ERRORS = new Set([
  'StreamingError',
  'ConfigurationError',
  'SessionTableError',
  'QnaStreamingError',
]);

interface Outcome {
  changes: string[];
  result: 'answer' | 'clear error' | 'problem';
  detail: string;
}

/** Every single change: each field deleted, and set to each wrong value. */
function everySingleChange(base: Json): { event: Json; changes: string[] }[] {
  const cases: { event: Json; changes: string[] }[] = [];
  for (const path of paths(base)) {
    for (const value of [undefined, ...WRONG_VALUES]) {
      const event = structuredClone(base) as { [key: string]: Json };
      let parent: Json = event;
      for (const key of path.slice(0, -1)) parent = (parent as { [key: string]: Json })[key] as Json;
      const key = path.at(-1) as string;
      if (value === undefined) delete (parent as { [key: string]: Json })[key];
      else (parent as { [key: string]: Json })[key] = structuredClone(value);
      cases.push({
        event,
        changes: [
          value === undefined
            ? `delete ${path.join('.')}`
            : `${path.join('.')} = ${JSON.stringify(value).slice(0, 20)}`,
        ],
      });
    }
  }
  return cases;
}

async function invokeAll(
  lambda: LocalLambda,
  base: (sessionId: string) => Json,
  isAnswer: (result: unknown) => boolean,
  seed: number,
  rounds: number,
): Promise<Outcome[]> {
  const random = seededRandom(seed);
  const cases = [
    ...[null, [], 'event', 42, {}].map((event) => ({
      event: event as Json,
      changes: [`event = ${JSON.stringify(event)}`],
    })),
    ...Array.from({ length: rounds }, (_, round) => mutate(base(`fuzz-${seed}-${round}`), random)),
    ...everySingleChange(base(`fuzz-${seed}-single`)),
  ];
  return mapWithConcurrency(cases, 6, async ({ event, changes }) => {
    try {
      const result = await lambda.invoke(event);
      return isAnswer(result)
        ? { changes, result: 'answer', detail: '' }
        : { changes, result: 'problem', detail: `malformed answer ${JSON.stringify(result)?.slice(0, 200)}` };
    } catch (error) {
      const failure = error as LocalLambdaError;
      const clear = failure instanceof LocalLambdaError && OUR_ERRORS.has(failure.errorType);
      return {
        changes,
        result: clear ? 'clear error' : 'problem',
        detail: `${failure.errorType ?? failure.name}: ${failure.message}`,
      };
    }
  });
}

const isLexAnswer = (result: unknown): boolean => {
  const answer = result as {
    sessionState?: { dialogAction?: { type?: unknown } };
    messages?: { content?: unknown }[];
  };
  const content = answer?.messages?.[0]?.content;
  return (
    answer?.sessionState?.dialogAction?.type === 'Close' &&
    typeof content === 'string' &&
    content.trim() !== ''
  );
};
const isHookAnswer = (result: unknown): boolean => {
  const message = (result as { res?: { message?: unknown } })?.res?.message;
  return typeof message === 'string' && message.trim() !== '';
};

/**
 * Any outcome that is neither an answer nor one of our named errors is a crash. (This suite found
 * five such TypeErrors in the hook and Lex helpers; they now fail with named errors before
 * anything is streamed, and the tests at the end pin each one.)
 */
const unknownProblems = (outcomes: Outcome[]) => outcomes.filter((outcome) => outcome.result === 'problem');

const report = (outcomes: Outcome[]) => {
  const counts = { answer: 0, 'clear error': 0, problem: 0 };
  for (const outcome of outcomes) counts[outcome.result]++;
  return counts;
};

it('fulfillment Lambda: malformed (random and every single-field change) Lex V2 events end in a Close answer or a named error, never a crash', async () => {
  // Act
  const outcomes = await invokeAll(
    fulfillment,
    (id) => lexEvent(id) as unknown as Json,
    isLexAnswer,
    0xfeed,
    80,
  );
  process.stdout.write(`fulfillment fuzz: ${JSON.stringify(report(outcomes))}\n`);

  // Assess
  expect(unknownProblems(outcomes)).toEqual([]);
  expect(report(outcomes).answer).toBeGreaterThan(10);
  expect(isLexAnswer(await fulfillment.invoke(lexEvent('fuzz-after-1')))).toBe(true);
}, 60_000);

it('QnABot hook Lambda: malformed (random and every single-field change) hook events end in res.message or a named error, never a crash', async () => {
  // Act
  const outcomes = await invokeAll(qnabotHook, (id) => hookEvent(id) as Json, isHookAnswer, 0xbeef, 80);
  process.stdout.write(`qnabot-hook fuzz: ${JSON.stringify(report(outcomes))}\n`);

  // Assess
  expect(unknownProblems(outcomes)).toEqual([]);
  expect(report(outcomes).answer).toBeGreaterThan(10);
  expect(isHookAnswer(await qnabotHook.invoke(hookEvent('fuzz-after-2')))).toBe(true);
}, 60_000);

it('after the fuzzing the stack still answers a visitor through Lex', async () => {
  // Act
  const answer = await askThroughLex(
    stack.endpoints,
    await newVisitor(stack.endpoints),
    'What is QnABot on AWS?',
  );

  // Assess
  expect(answer.text.length).toBeGreaterThan(20);
});

/**
 * The malformed events the fuzzing first found crashing. Each case asserts the one outcome it names:
 * "names the problem" cases must fail with a StreamingError that says what is wrong (an answer fails
 * them), "answers" cases must answer (a named error fails them).
 */
async function namesTheProblem(lambda: LocalLambda, event: unknown, problem: string): Promise<void> {
  await expect(lambda.invoke(event)).rejects.toMatchObject({
    name: 'LocalLambdaError',
    errorType: 'StreamingError',
    message: expect.stringContaining(problem),
  });
}

/** The Lex message or QnABot `res.message` the Lambda answered with (fails on an error). */
async function answer(
  lambda: LocalLambda,
  event: unknown,
  isAnswer: (r: unknown) => boolean,
): Promise<string> {
  const result = await lambda.invoke(event);
  expect(isAnswer(result)).toBe(true);
  const lex = result as { messages?: { content?: string }[] };
  const hook = result as { res?: { message?: string } };
  return lex.messages?.[0]?.content ?? hook.res?.message ?? '';
}

const MODEL_ANSWER = /^QnABot on AWS/;

/** Waits (bounded) until the tab received a whole streamed answer. */
async function streamedTo(tab: Tab): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!tab.ended()) {
    if (Date.now() > deadline) throw new Error('the tab received no streamed answer');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('names the problem', () => {
  it('a fulfillment event whose inputTranscript is not a string', async () => {
    await namesTheProblem(
      fulfillment,
      { ...lexEvent('fuzz-known-1'), inputTranscript: 42 },
      'Lex V2 event: inputTranscript must be a string, got number',
    );
  });

  it('a null QnABot hook event', async () => {
    await namesTheProblem(qnabotHook, null, 'QnABot hook event: the event must be an object, got null');
  });

  it('a QnABot hook event whose question is not a string', async () => {
    const event = hookEvent('fuzz-known-3') as { req: Record<string, unknown> };
    event.req.question = 42;
    await namesTheProblem(qnabotHook, event, 'QnABot hook event: req.question must be a string, got number');
  });

  it('QnABot hook arguments that are not a list', async () => {
    const event = hookEvent('fuzz-known-4') as { res: { result: Record<string, unknown> } };
    event.res.result.args = {};
    await namesTheProblem(qnabotHook, event, 'QnABot hook event: res.result.args must be a list, got object');
  });

  const SPOILT_RES: { what: string; spoil: (event: { res: unknown }) => void; problem: string }[] = [
    {
      what: 'res.session is not an object',
      spoil: (event) => {
        (event.res as Record<string, unknown>).session = 0;
      },
      problem: 'QnABot hook event: res.session must be an object, got number',
    },
    {
      what: 'res is not an object',
      spoil: (event) => {
        event.res = 'placeholder';
      },
      problem: 'QnABot hook event: res must be an object, got string',
    },
  ];

  it.each(SPOILT_RES)(
    'a QnABot hook event whose $what, refused before anything streams to the open tab',
    async ({ spoil, problem }) => {
      // Prepare: a visitor with an open tab (the same event unspoilt streams to it, checked below)
      const visitor = await newVisitor(stack.endpoints);
      const tab = await openTab(stack, visitor);
      try {
        const spoilt = hookEvent(visitor.sessionId) as { res: unknown };
        spoil(spoilt);

        // Act + Assess
        await namesTheProblem(qnabotHook, spoilt, problem);
        expect(tab.messages).toEqual([]);
        expect(await answer(qnabotHook, hookEvent(visitor.sessionId), isHookAnswer)).toMatch(MODEL_ANSWER);
        await streamedTo(tab);
      } finally {
        await tab.close();
      }
    },
  );
});

describe('answers', () => {
  it('a fulfillment event with a null inputTranscript gets the no-answer message (nothing to ask the model)', async () => {
    const event = { ...lexEvent('fuzz-answers-1'), inputTranscript: null };
    expect(await answer(fulfillment, event, isLexAnswer)).toBe('Sorry, I do not have an answer to that.');
  });

  it('a fulfillment event without sessionState is answered from the model', async () => {
    const event = lexEvent('fuzz-answers-2') as unknown as Record<string, unknown>;
    delete event.sessionState;
    expect(await answer(fulfillment, event, isLexAnswer)).toMatch(MODEL_ANSWER);
  });

  it('a QnABot hook event with a null question falls back to the Lex transcript and is answered from the model', async () => {
    const event = hookEvent('fuzz-answers-3') as { req: Record<string, unknown> };
    event.req.question = null;
    expect(await answer(qnabotHook, event, isHookAnswer)).toMatch(MODEL_ANSWER);
  });

  it('a QnABot hook event without res or without hook arguments is answered from the model', async () => {
    const noRes = hookEvent('fuzz-answers-4') as Record<string, unknown>;
    delete noRes.res;
    const noArgs = hookEvent('fuzz-answers-5') as { res: { result: Record<string, unknown> } };
    delete noArgs.res.result.args;
    expect(await answer(qnabotHook, noRes, isHookAnswer)).toMatch(MODEL_ANSWER);
    expect(await answer(qnabotHook, noArgs, isHookAnswer)).toMatch(MODEL_ANSWER);
  });
});
