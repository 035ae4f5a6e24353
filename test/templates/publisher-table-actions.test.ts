/**
 * The publisher policy grants exactly the table actions the publisher code sends: a publisher's
 * whole life against a real table (find a connection, list a session's tabs, forget a gone tab of an
 * owned session) is recorded at the DynamoDB client and compared with PUBLISHER_ITEM_ACTIONS.
 */
import { DEFAULT_SESSION_TTL_SECONDS } from '../../functions/shared/constants';
import { SessionTable } from '../../functions/shared/session-table';
import { CONNECTION_ITEM_ACTIONS, PUBLISHER_ITEM_ACTIONS } from '../../templates';
import { countTableOperations } from '../abuse/table-operations';
import { type SessionTableServer, startSessionTableServer } from '../support/session-table-server';

let server: SessionTableServer;

beforeAll(async () => {
  server = await startSessionTableServer();
});

afterAll(async () => {
  await server?.stop();
});

it('a publisher sends GetItem, PutItem and DeleteItem only: the policy grants those and nothing else', async () => {
  // Prepare: an owned session with two tabs, written by the connection Lambda's code.
  const now = Date.now();
  const limits = {
    mode: 'OWNER',
    maxSessionsPerIdentity: 10,
    maxTabsPerSession: 10,
    claimGraceSeconds: 300,
  } as const;
  const caller = {
    key: 'us-east-1:00000000-0000-0000-0000-000000000001',
    cognitoIdentityId: 'us-east-1:00000000-0000-0000-0000-000000000001',
  };
  for (const connectionId of ['tab-1=', 'tab-2=']) {
    await server.table.connect(
      { sessionId: 'publisher-session', connectionId, protocol: 'json', connectedAt: now, caller },
      limits,
      now,
    );
  }
  const client = server.dynamodb.client();
  const counter = countTableOperations(client);
  const publisherTable = new SessionTable({
    client,
    tableName: server.tableName,
    ttlSeconds: DEFAULT_SESSION_TTL_SECONDS,
  });

  // Act: what publishers do (functions/streaming: lookup, session polls, 410 Gone of both tabs).
  await publisherTable.findConnection('tab-1=');
  await publisherTable.listConnections('publisher-session');
  await publisherTable.deleteConnection('publisher-session', 'tab-1=');
  await publisherTable.deleteConnection('publisher-session', 'tab-2=');
  client.destroy();

  // Assess
  const used = Object.keys(counter.counts()).map((operation) => `dynamodb:${operation}`);
  expect(used.sort()).toEqual([...PUBLISHER_ITEM_ACTIONS].sort());
  expect(CONNECTION_ITEM_ACTIONS).toEqual(
    expect.arrayContaining([...PUBLISHER_ITEM_ACTIONS, 'dynamodb:UpdateItem']),
  );
});
