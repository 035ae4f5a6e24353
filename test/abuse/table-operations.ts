/**
 * Counts the DynamoDB operations a client sends (GetItem, PutItem, UpdateItem, DeleteItem, …), for
 * the abuse tests' cost figures and the check that the IAM policies grant what the code uses.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** `GetItemCommand` / `GetCommand` (document client) → `GetItem`. */
const OPERATION_OF: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
};

export interface TableOperationCounter {
  /** Operations since the last reset, by name (`GetItem`, …). */
  counts(): Record<string, number>;
  reads(): number;
  writes(): number;
  reset(): void;
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);

export function countTableOperations(client: DynamoDBClient): TableOperationCounter {
  let counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? 'Unknown');
      const name = OPERATION_OF[command] ?? command.replace(/Command$/, '');
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countTableOperations', override: true },
  );
  const sum = (read: boolean) =>
    Object.entries(counts)
      .filter(([name]) => READS.has(name) === read)
      .reduce((total, [, count]) => total + count, 0);
  return {
    counts: () => ({ ...counts }),
    reads: () => sum(true),
    writes: () => sum(false),
    reset() {
      counts = {};
    },
  };
}
