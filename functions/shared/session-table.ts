/**
 * The session table: which WebSocket connections belong to which Lex session.
 *
 * Keys: partition `sessionId`, sort `connectionId` (one item per open tab). The GSI
 * `ConnectionIdIndex` (partition `connectionId`) lets `$disconnect` and `cancel`, which only know
 * the connection, find the session. Items carry `ttl`; DynamoDB deletes expired items late (and
 * dynalite never), so every reader here drops expired items itself.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Protocol, TABLE } from './constants';
import { SessionTableError } from './errors';

export interface ConnectionRecord {
  sessionId: string;
  connectionId: string;
  protocol: Protocol;
  /** Epoch milliseconds. */
  connectedAt: number;
  /** Epoch seconds after which the item is to be ignored. */
  ttl: number;
  /** Cognito identity id the connection was signed with, when there was one. */
  identityId?: string;
  /** Epoch milliseconds of the last `cancel` sent on this connection. */
  cancelRequestedAt?: number;
}

export interface NewConnection {
  sessionId: string;
  connectionId: string;
  protocol: Protocol;
  connectedAt: number;
  identityId?: string;
}

export interface SessionTableOptions {
  /** A DynamoDB client (wrapped in a document client here). */
  client: DynamoDBClient;
  tableName: string;
  /** Seconds a connection item lives after connect. */
  ttlSeconds: number;
}

function toRecord(item: Record<string, unknown>): ConnectionRecord {
  const record: ConnectionRecord = {
    sessionId: String(item.sessionId),
    connectionId: String(item.connectionId),
    protocol: item.protocol === 'json' ? 'json' : 'text',
    connectedAt: Number(item.connectedAt ?? 0),
    ttl: Number(item.ttl ?? 0),
  };
  if (typeof item.identityId === 'string') record.identityId = item.identityId;
  if (item.cancelRequestedAt !== undefined) record.cancelRequestedAt = Number(item.cancelRequestedAt);
  return record;
}

export function isExpired(record: Pick<ConnectionRecord, 'ttl'>, nowMs: number): boolean {
  return record.ttl > 0 && record.ttl * 1000 <= nowMs;
}

export class SessionTable {
  private readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  private readonly ttlSeconds: number;

  constructor(options: SessionTableOptions) {
    if (!options.tableName) throw new SessionTableError('tableName is required');
    this.documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.tableName = options.tableName;
    this.ttlSeconds = options.ttlSeconds;
  }

  async putConnection(connection: NewConnection): Promise<ConnectionRecord> {
    const record: ConnectionRecord = {
      ...connection,
      ttl: Math.floor(connection.connectedAt / 1000) + this.ttlSeconds,
    };
    try {
      await this.documents.send(new PutCommand({ TableName: this.tableName, Item: { ...record } }));
    } catch (error) {
      throw new SessionTableError(`could not store connection ${connection.connectionId}`, { cause: error });
    }
    return record;
  }

  /** The session a connection belongs to, or undefined when it is unknown or expired. */
  async findConnection(
    connectionId: string,
    nowMs: number = Date.now(),
  ): Promise<ConnectionRecord | undefined> {
    try {
      const result = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TABLE.connectionIndex,
          KeyConditionExpression: '#c = :c',
          ExpressionAttributeNames: { '#c': TABLE.sortKey },
          ExpressionAttributeValues: { ':c': connectionId },
        }),
      );
      const live = (result.Items ?? []).map(toRecord).filter((record) => !isExpired(record, nowMs));
      return live[0];
    } catch (error) {
      throw new SessionTableError(`could not look up connection ${connectionId}`, { cause: error });
    }
  }

  /** Live (unexpired) connections of a session, oldest first. */
  async listConnections(sessionId: string, nowMs: number = Date.now()): Promise<ConnectionRecord[]> {
    const records: ConnectionRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    try {
      do {
        const result = await this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#s = :s',
            ExpressionAttributeNames: { '#s': TABLE.partitionKey },
            ExpressionAttributeValues: { ':s': sessionId },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of result.Items ?? []) records.push(toRecord(item));
        startKey = result.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw new SessionTableError(`could not list connections of session ${sessionId}`, { cause: error });
    }
    return records
      .filter((record) => !isExpired(record, nowMs))
      .sort((a, b) => a.connectedAt - b.connectedAt);
  }

  async deleteConnection(sessionId: string, connectionId: string): Promise<void> {
    try {
      await this.documents.send(
        new DeleteCommand({ TableName: this.tableName, Key: { sessionId, connectionId } }),
      );
    } catch (error) {
      throw new SessionTableError(`could not delete connection ${connectionId}`, { cause: error });
    }
  }

  /**
   * Marks a cancel request on the connection's own item. Publishers re-read the session's items
   * while they stream and stop when one carries a cancel newer than their answer's start.
   * Returns false when the item no longer exists (nothing to cancel, nothing resurrected).
   */
  async requestCancel(sessionId: string, connectionId: string, atMs: number): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { sessionId, connectionId },
          UpdateExpression: 'SET cancelRequestedAt = :t',
          ConditionExpression: 'attribute_exists(connectionId)',
          ExpressionAttributeValues: { ':t': atMs },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw new SessionTableError(`could not record cancel for connection ${connectionId}`, { cause: error });
    }
  }
}

/** Latest cancel request among a session's connections, if any came after `sinceMs`. */
export function cancelRequestedSince(
  records: readonly ConnectionRecord[],
  sinceMs: number,
): number | undefined {
  let latest: number | undefined;
  for (const record of records) {
    const at = record.cancelRequestedAt;
    if (at !== undefined && at >= sinceMs && (latest === undefined || at > latest)) latest = at;
  }
  return latest;
}
