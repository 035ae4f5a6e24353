/**
 * docs/troubleshooting.md tells the truth about what the gateway answers. The table is parsed: for
 * every `$connect` row (a **status** in its symptom), each "quoted" message of its cause is
 * reproduced on the local stack with the bad input the row names, and the answer must have the
 * row's status and carry the message. The idle-disconnect row is checked on a gateway with short
 * timeouts, the `ask` row with the CLI. Rows marked *(AWS only)* and rows about client behaviour
 * tested elsewhere are skipped here, each with its reason; a row this file does not know fails.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { NO_ASK_ROUTE_MESSAGE } from '../../cli/ask';
import { DEV_CREDENTIALS, devIdentity } from '../../cli/local-stack/credentials';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import {
  IDLE_TIMEOUT_SECONDS,
  MAX_CONNECTION_SECONDS,
  PING_INTERVAL_SECONDS,
} from '../../functions/protocol/websocket';
import { newVisitor, type Visitor } from '../../scripts/bench/visitor';
import { type PresignWebSocketOptions, presignUrl, presignWebSocketUrl } from '../../web-plugin/signer';
import { runBin } from '../cli/run-bin';
import { type UpgradeAnswer, upgrade } from '../support/sockets';

const TABLE_FILE = path.join(__dirname, '..', '..', 'docs', 'troubleshooting.md');

interface Row {
  symptom: string;
  cause: string;
  fix: string;
  /** The HTTP status the symptom names in bold (`**403**`). */
  status?: number;
  awsOnly: boolean;
}

function tableRows(): Row[] {
  const lines = readFileSync(TABLE_FILE, 'utf8').split('\n');
  const header = lines.findIndex((line) => line.startsWith('| symptom | cause | fix |'));
  const rows: Row[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim());
    if (cells.length !== 3) throw new Error(`troubleshooting row without three cells: ${line}`);
    const [symptom, cause, fix] = cells as [string, string, string];
    const status = /\*\*(\d{3})\*\*/.exec(symptom)?.[1];
    rows.push({
      symptom,
      cause,
      fix,
      ...(status ? { status: Number(status) } : {}),
      awsOnly: symptom.includes('*(AWS only)*'),
    });
  }
  return rows;
}

/** The "quoted" messages of a cell; N stands for a number. */
function quotes(cell: string): string[] {
  return [...cell.matchAll(/"([^"]+)"/g)].map((match) => match[1] as string);
}

function quotePattern(quote: string): RegExp {
  const escaped = quote.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(escaped.replace(/\bN\b/g, '\\d+'));
}

function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve({ code: 1006, reason: '' });
    socket.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString('utf8') }),
    );
  });
}

/** Sockets a scenario keeps open (the owner's tab, the tabs up to the cap); closed after each test. */
const opened: WebSocket[] = [];
async function keepOpen(url: string): Promise<WebSocket> {
  const answer = await upgrade(url);
  if (!answer.socket) throw new Error(`expected the socket to open, got ${answer.status} ${answer.body}`);
  opened.push(answer.socket);
  return answer.socket;
}

afterEach(() => {
  for (const socket of opened.splice(0)) socket.terminate();
});

let owner: LocalStack;
let strict: LocalStack;
/** The strict stack's gateway closes sockets idle for this long, and any socket after MAX_MS. */
const IDLE_MS = 3000;
const MAX_MS = 9000;

beforeAll(async () => {
  owner = await startLocalStack({ demo: false });
  strict = await startLocalStack({
    demo: false,
    parameters: { IdentityBinding: 'STRICT' },
    idleTimeoutMs: IDLE_MS,
    maxConnectionMs: MAX_MS,
  });
}, 120_000);

afterAll(async () => {
  for (const socket of opened.splice(0)) socket.terminate();
  await owner?.stop();
  await strict?.stop();
});

type Signing = Partial<PresignWebSocketOptions> & Pick<PresignWebSocketOptions, 'sessionId' | 'credentials'>;

function signed(stack: LocalStack, options: Signing): Promise<string> {
  return presignWebSocketUrl({
    endpoint: stack.endpoints.webSocketUrl,
    region: stack.endpoints.region,
    ...options,
  });
}

/** A URL with any query, presigned with the dev credentials (an IAM principal: OWNER lets it through). */
function signedQuery(stack: LocalStack, query: string): Promise<string> {
  return presignUrl({
    url: `${stack.endpoints.webSocketUrl}?${query}`,
    credentials: DEV_CREDENTIALS,
    region: stack.endpoints.region,
    service: 'execute-api',
  });
}

const visitor = (stack: LocalStack): Promise<Visitor> => newVisitor(stack.endpoints);
let unique = 0;
const sessionId = (what: string) => `${what}-${process.pid}-${++unique}`;

/**
 * How to get each quoted message: the bad inputs that must each produce it. Every quote of a
 * `$connect` row needs an entry here, and every entry a row.
 */
const SCENARIOS: Record<string, Record<string, () => Promise<UpgradeAnswer>>> = {
  'this sessionId is in use by another identity': {
    'a second visitor connects with the session id the first one has open': async () => {
      const [first, second] = [await visitor(owner), await visitor(owner)];
      const id = sessionId('lex-web-ui');
      await keepOpen(await signed(owner, { sessionId: id, credentials: first.credentials }));
      return upgrade(await signed(owner, { sessionId: id, credentials: second.credentials }));
    },
  },
  'a sessionId shaped like a Cognito identity id can only be used by that identity': {
    "a visitor connects with another visitor's identity id as session id": async () => {
      const [first, second] = [await visitor(owner), await visitor(owner)];
      return upgrade(await signed(owner, { sessionId: first.sessionId, credentials: second.credentials }));
    },
  },
  'this identity already uses N session ids': {
    'a visitor opens one session id more than MaxSessionsPerIdentity (10)': async () => {
      const one = await visitor(owner);
      for (let i = 0; i < 10; i++)
        await keepOpen(await signed(owner, { sessionId: sessionId('own'), credentials: one.credentials }));
      return upgrade(await signed(owner, { sessionId: sessionId('own'), credentials: one.credentials }));
    },
  },
  'this session already has N open tabs': {
    'a visitor opens one tab more than MaxTabsPerSession (10)': async () => {
      const one = await visitor(owner);
      for (let i = 0; i < 10; i++)
        await keepOpen(await signed(owner, { sessionId: one.sessionId, credentials: one.credentials }));
      return upgrade(await signed(owner, { sessionId: one.sessionId, credentials: one.credentials }));
    },
  },
  'sessionId must equal the Cognito identity id the request was signed with': {
    'STRICT: a visitor connects with a session id other than its identity id': async () => {
      const one = await visitor(strict);
      return upgrade(await signed(strict, { sessionId: 'lex-web-ui-1a2b', credentials: one.credentials }));
    },
  },
  'this endpoint only accepts requests signed with Cognito identity credentials': {
    'STRICT: IAM user credentials (the dev credentials)': async () =>
      upgrade(await signed(strict, { sessionId: 'dev-session', credentials: DEV_CREDENTIALS })),
  },
  'Credential should be scoped to a valid region': {
    'signed for eu-west-1, the API in us-east-1': async () => {
      const one = await visitor(owner);
      return upgrade(
        await signed(owner, { sessionId: one.sessionId, credentials: one.credentials, region: 'eu-west-1' }),
      );
    },
  },
  'Signature expired': {
    'opened 61 s after signing (the URL lives 60 s)': async () => {
      const one = await visitor(owner);
      const signingDate = new Date(Date.now() - 61_000);
      return upgrade(
        await signed(owner, { sessionId: one.sessionId, credentials: one.credentials, signingDate }),
      );
    },
    "the signing computer's clock 2 minutes behind": async () => {
      const one = await visitor(owner);
      const signingDate = new Date(Date.now() - 120_000);
      return upgrade(
        await signed(owner, { sessionId: one.sessionId, credentials: one.credentials, signingDate }),
      );
    },
  },
  'Signature not yet current': {
    "the signing computer's clock 6 minutes ahead": async () => {
      const one = await visitor(owner);
      const signingDate = new Date(Date.now() + 6 * 60_000);
      return upgrade(
        await signed(owner, { sessionId: one.sessionId, credentials: one.credentials, signingDate }),
      );
    },
  },
  'The request signature we calculated does not match': {
    'a wrong secret key': async () => {
      const one = await visitor(owner);
      const credentials = { ...one.credentials, secretAccessKey: 'not-the-secret' };
      return upgrade(await signed(owner, { sessionId: one.sessionId, credentials }));
    },
    'signed for another host': async () => {
      const one = await visitor(owner);
      const url = await presignWebSocketUrl({
        endpoint: 'wss://abc123.execute-api.us-east-1.amazonaws.com/Prod',
        sessionId: one.sessionId,
        credentials: one.credentials,
      });
      return upgrade(
        url.replace('wss://abc123.execute-api.us-east-1.amazonaws.com/Prod', owner.endpoints.webSocketUrl),
      );
    },
    'the session id changed after signing': async () => {
      const one = await visitor(owner);
      const url = new URL(await signed(owner, { sessionId: one.sessionId, credentials: one.credentials }));
      url.searchParams.set('sessionId', 'lex-web-ui-9f9f');
      return upgrade(url.toString());
    },
  },
  'The security token included in the request is invalid': {
    'an access key the gateway does not know': async () =>
      upgrade(
        await signed(owner, {
          sessionId: sessionId('s'),
          credentials: { accessKeyId: 'ASIANOTKNOWNANYWHERE', secretAccessKey: 'x', sessionToken: 'y' },
        }),
      ),
    'Cognito credentials without their session token': async () => {
      const one = await visitor(owner);
      const { accessKeyId, secretAccessKey } = one.credentials;
      return upgrade(
        await signed(owner, { sessionId: one.sessionId, credentials: { accessKeyId, secretAccessKey } }),
      );
    },
  },
  'The security token included in the request is expired': {
    'temporary credentials past their expiration': async () => {
      const credentials = {
        accessKeyId: 'ASIAEXPIREDLONGAGO01',
        secretAccessKey: 'expired-secret',
        sessionToken: 'expired-token',
      };
      owner.credentials.register({ ...devIdentity(), ...credentials, expiresAt: Date.now() - 1000 });
      return upgrade(await signed(owner, { sessionId: sessionId('s'), credentials }));
    },
  },
  Forbidden: {
    'the stage written /prod': async () => {
      const one = await visitor(owner);
      const url = await signed(owner, { sessionId: one.sessionId, credentials: one.credentials });
      return upgrade(url.replace('/Prod?', '/prod?'));
    },
  },
  'Missing Authentication Token': {
    'a URL that is not presigned': async () =>
      upgrade(`${owner.endpoints.webSocketUrl}?sessionId=lex-web-ui-1234`),
  },
  'is required': {
    'no sessionId in the signed query': async () => upgrade(await signedQuery(owner, 'protocol=json')),
  },
  'must be 2-100 characters': {
    'a one-character sessionId': async () => upgrade(await signedQuery(owner, 'sessionId=x')),
  },
  'must be given once': {
    'sessionId twice': async () => upgrade(await signedQuery(owner, 'sessionId=ab&sessionId=cd')),
  },
  'must be one of text, json': {
    'protocol=xml': async () => upgrade(await signedQuery(owner, `sessionId=${sessionId('s')}&protocol=xml`)),
  },
  'Internal server error': {
    // Runs last: it stops the strict stack's DynamoDB for good.
    'the session table unreachable (DynamoDB stopped)': async () => {
      const one = await visitor(strict);
      await strict.dynamodb.stop();
      return upgrade(await signed(strict, { sessionId: one.sessionId, credentials: one.credentials }));
    },
  },
};
const LAST = 'Internal server error';

/** Rows not checked here, each with why: needing AWS (marked *(AWS only)* in the doc) or tested elsewhere. */
const NOT_HERE: { row: RegExp; reason: string; awsOnly: boolean }[] = [
  {
    row: /^`\$connect` answers \*\*403\*\* \*\(AWS only\)\*/,
    reason: 'the local stack does not evaluate the identity pool role’s IAM policies',
    awsOnly: true,
  },
  {
    row: /^\*\*No chunks, but the final answer arrives\*\*/,
    reason:
      'publisher behaviour, no status of its own: streaming off is test/publisher/streaming-off.test.ts; the posts’ 403 needs IAM (said so in the row)',
    awsOnly: false,
  },
  {
    row: /^No chunks in Lex Web UI only/,
    reason: 'Lex Web UI configuration: stock Lex Web UI streaming is test/compat/stock-clients.test.ts',
    awsOnly: false,
  },
  {
    row: /^Lex Web UI shows the streamed text/,
    reason: 'stock Lex Web UI behaviour: test/compat/stock-clients.test.ts (last words shown)',
    awsOnly: false,
  },
  {
    row: /^\*\*Chunks from an old answer\*\*/,
    reason: 'client behaviour: test/web-plugin/turn-memory.test.ts and frame-reader.test.ts',
    awsOnly: false,
  },
  {
    row: /^`publish`:/,
    reason:
      'needs S3, which the local stack has no double of; the messages are pinned by test/cli/publish.test.ts',
    awsOnly: true,
  },
  { row: /^Deploy fails:/, reason: 'an account setting of API Gateway', awsOnly: true },
  {
    row: /^Session table keeps growing/,
    reason: 'doctor reads a deployed stack and its table',
    awsOnly: true,
  },
  { row: /^Alarm emails never arrive/, reason: 'SNS email subscriptions', awsOnly: true },
];

const rows = tableRows();
const statusRows = rows.filter((row) => row.status !== undefined && !row.awsOnly);
const idleRow = rows.find((row) => row.symptom.startsWith('**Idle disconnects**'));
const askRow = rows.find((row) => row.symptom.startsWith('`ask`:'));

test('every row of the table is checked here or skipped with a reason, and every scenario has its row', () => {
  const unknown = rows.filter(
    (row) =>
      !statusRows.includes(row) &&
      row !== idleRow &&
      row !== askRow &&
      !NOT_HERE.some((entry) => entry.row.test(row.symptom)),
  );
  expect(unknown.map((row) => row.symptom)).toEqual([]);
  expect(NOT_HERE.filter((entry) => !rows.some((row) => entry.row.test(row.symptom)))).toEqual([]);
  // A status row says which message each cause gives, so that each can be checked.
  expect(statusRows.filter((row) => quotes(row.cause).length === 0).map((row) => row.symptom)).toEqual([]);
  const quoted = statusRows.flatMap((row) => quotes(row.cause));
  expect(quoted.filter((quote) => !(quote in SCENARIOS))).toEqual([]);
  expect(Object.keys(SCENARIOS).filter((quote) => !quoted.includes(quote))).toEqual([]);
  expect(idleRow).toBeDefined();
  expect(askRow).toBeDefined();
});

test('the rows marked (AWS only) are the ones skipped here as needing AWS', () => {
  const marked = rows.filter((row) => row.awsOnly).map((row) => row.symptom);
  const needingAws = rows
    .filter((row) => NOT_HERE.some((entry) => entry.awsOnly && entry.row.test(row.symptom)))
    .map((row) => row.symptom);
  expect(marked).toEqual(needingAws);
});

const cases = statusRows.flatMap((row) =>
  quotes(row.cause).flatMap((quote) =>
    Object.entries(SCENARIOS[quote] ?? {}).map(([input, scenario]) => ({ row, quote, input, scenario })),
  ),
);

describe.each(cases.filter((c) => c.quote !== LAST).map((c) => [`${c.row.status} "${c.quote}"`, c] as const))(
  'connect %s',
  (_name, { row, quote, input, scenario }) => {
    test(`${input}: answers the row's status with the quoted message`, async () => {
      // Act
      const answer = await scenario();
      // Assess
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: row.status,
        body: expect.stringMatching(quotePattern(quote)),
      });
    }, 30_000);
  },
);

describe.each(NOT_HERE.map((entry) => [entry.row.source, entry] as const))(
  'not checked here: %s',
  (_row, entry) => {
    test.skip(`${entry.awsOnly ? 'AWS only: ' : ''}${entry.reason}`, () => undefined);
  },
);

describe('idle disconnects', () => {
  test('the row states API Gateway’s limits and the plugin’s ping interval', () => {
    const row = idleRow as Row;
    expect(IDLE_TIMEOUT_SECONDS).toBe(10 * 60);
    expect(`${row.symptom} ${row.cause}`).toContain('idle for 10 minutes');
    expect(MAX_CONNECTION_SECONDS).toBe(2 * 60 * 60);
    expect(row.symptom).toContain('at 2 hours');
    expect(PING_INTERVAL_SECONDS).toBe(9 * 60);
    expect(row.fix).toContain('pings every 9 minutes');
  });

  test('an idle socket is closed with the row’s code and reason; one that pings stays open until the maximum', async () => {
    // Prepare
    const row = idleRow as Row;
    const [code, reason] = [Number(/close code (\d{4})/.exec(row.cause)?.[1]), quotes(row.cause)[0]];
    const [idle, busy] = [await visitor(strict), await visitor(strict)];
    const idleSocket = await keepOpen(
      await signed(strict, { sessionId: idle.sessionId, credentials: idle.credentials }),
    );
    const busySocket = await keepOpen(
      await signed(strict, { sessionId: busy.sessionId, credentials: busy.credentials }),
    );
    const ping = setInterval(() => busySocket.send(JSON.stringify({ action: 'ping' })), IDLE_MS / 10);
    try {
      // Act
      const idleClose = await closed(idleSocket);
      const busyStateThen = busySocket.readyState;
      const busyClose = await closed(busySocket);
      // Assess
      expect(idleClose).toEqual({ code, reason });
      expect(busyStateThen).toBe(WebSocket.OPEN);
      expect(busyClose).toEqual({ code, reason });
    } finally {
      clearInterval(ping);
    }
  }, 60_000);
});

describe('ask without the direct-ask route', () => {
  test('against npm start, ask prints the row’s local message and exits 1', async () => {
    // Prepare
    const local = quotes((askRow as Row).symptom)[1] as string;
    // Act
    const result = await runBin(
      [
        'ask',
        '--endpoint',
        owner.endpoints.webSocketUrl,
        '--region',
        owner.endpoints.region,
        'What is QnABot?',
      ],
      {
        AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: '',
        AWS_PROFILE: '',
      },
    );
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(local);
  }, 60_000);

  test('against an AWS endpoint ask says the row’s message (not reproducible locally: the CLI tells local hosts apart)', () => {
    expect(NO_ASK_ROUTE_MESSAGE).toContain(quotes((askRow as Row).symptom)[0]);
  });
});

describe.each(cases.filter((c) => c.quote === LAST).map((c) => [`${c.row.status} "${c.quote}"`, c] as const))(
  'connect %s (last: stops a stack’s DynamoDB)',
  (_name, { row, quote, input, scenario }) => {
    test(`${input}: answers the row's status with the quoted message`, async () => {
      // Act
      const answer = await scenario();
      // Assess
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: row.status,
        body: expect.stringMatching(quotePattern(quote)),
      });
    }, 30_000);
  },
);
