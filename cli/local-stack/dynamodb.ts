/**
 * Local DynamoDB: dynalite on 127.0.0.1, with tables created from the synthesized template's
 * `AWS::DynamoDB::Table` resources (so the keys and indexes are the ones AWS would create).
 * dynalite has no TTL support: the time-to-live setting is skipped and never expires items,
 * which is why every reader of the session table ignores expired items itself.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEV_CREDENTIALS } from './credentials';
import { listen } from './http';

// dynalite ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => import('node:http').Server;

export interface LocalDynamoDb {
  endpoint: string;
  port: number;
  client(): DynamoDBClient;
  createTable(input: CreateTableCommandInput): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalDynamoDbOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  region?: string;
}

export async function startLocalDynamoDb(options: LocalDynamoDbOptions = {}): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // dynalite closes its database when the server closes; a request still being handled then throws
  // "Database is closed" outside any response (an uncaught error in the process). So stop() first
  // refuses new requests, lets the ones in flight finish, then closes.
  let accepting = true;
  let inFlight = 0;
  let onDrained: (() => void) | undefined;
  const handlers = server.listeners('request') as ((...args: unknown[]) => void)[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!accepting) {
      response.writeHead(503, { 'content-type': 'application/x-amz-json-1.0', connection: 'close' });
      response.end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailableException',
          message: 'the local DynamoDB is stopping',
        }),
      );
      return;
    }
    inFlight += 1;
    response.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) onDrained?.();
    });
    for (const handler of handlers) handler.call(server, request, response);
  });
  const host = options.host ?? '127.0.0.1';
  const { port } = await listen(server, options.port ?? 0, host);
  const endpoint = `http://${host}:${port}`;
  const region = options.region ?? 'us-east-1';
  const makeClient = () =>
    new DynamoDBClient({ endpoint, region, credentials: { ...DEV_CREDENTIALS }, maxAttempts: 2 });
  return {
    endpoint,
    port,
    client: makeClient,
    async createTable(input) {
      const client = makeClient();
      try {
        await client.send(new CreateTableCommand(input));
      } finally {
        client.destroy();
      }
    },
    async stop() {
      if (!accepting) return;
      accepting = false;
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          onDrained = resolve;
          setTimeout(resolve, 2000).unref();
        });
      }
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
}

interface CfnKeySchema {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}
interface CfnTableProperties {
  TableName?: unknown;
  KeySchema: CfnKeySchema[];
  AttributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  GlobalSecondaryIndexes?: {
    IndexName: string;
    KeySchema: CfnKeySchema[];
    Projection: { ProjectionType?: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
  }[];
}

/**
 * CreateTable input for a template's `AWS::DynamoDB::Table` resource. Billing, encryption, PITR
 * and TTL have no meaning locally and are left out; keys, attributes and GSIs are kept exactly.
 */
export function createTableInputFromTemplate(
  template: { Resources?: Record<string, { Type: string; Properties?: unknown }> },
  tableName: string,
  logicalId?: string,
): CreateTableCommandInput {
  const tables = Object.entries(template.Resources ?? {}).filter(
    ([id, resource]) => resource.Type === 'AWS::DynamoDB::Table' && (!logicalId || id === logicalId),
  );
  const table = tables[0];
  if (!table)
    throw new Error(`template has no AWS::DynamoDB::Table${logicalId ? ` named ${logicalId}` : ''}`);
  if (tables.length > 1) throw new Error(`template has ${tables.length} tables; name the logical id`);
  const properties = table[1].Properties as CfnTableProperties;
  return {
    TableName: tableName,
    KeySchema: properties.KeySchema,
    AttributeDefinitions: properties.AttributeDefinitions,
    BillingMode: 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes?.map((index) => ({
      IndexName: index.IndexName,
      KeySchema: index.KeySchema,
      Projection: index.Projection,
    })),
  };
}
