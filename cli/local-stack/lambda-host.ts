/**
 * Runs a Lambda of this project locally the way Lambda runs it: the same esbuild bundle that
 * `npm run package` zips, loaded in its own worker thread with its own environment (like a
 * container), configuration read at cold start, one `handler(event, context)` call per invoke.
 * The doubles are reached through the standard `AWS_ENDPOINT_URL_<SERVICE>` variables, so the
 * code runs unmodified.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { QnaStreamingError } from '../../functions/protocol/errors';
import { bundleLambda, findLambdaAsset, REPO_ROOT } from '../../templates/lambda-assets';

/** A local invocation failed: the handler threw, timed out, or the worker died. */
export class LocalLambdaError extends QnaStreamingError {
  constructor(
    message: string,
    readonly errorType: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LocalLambdaError';
  }
}

export interface LocalLambdaOptions {
  /** Asset name in templates/lambda-assets.ts (e.g. `connection`). */
  asset: string;
  /** Function name reported in the context and logs. @default `local-<asset>` */
  functionName?: string;
  /** The function's environment (the template's variables plus endpoints and credentials). */
  environment: Record<string, string>;
  /** @default 30000, like a typical fulfillment Lambda */
  timeoutMs?: number;
  /** Receives each line the function writes to stdout/stderr. @default discard */
  onLog?: (line: string, functionName: string) => void;
  /** Where the bundle is written. @default build/local/lambda */
  bundleDir?: string;
}

export interface LocalLambda {
  readonly functionName: string;
  /** RequestResponse invocation: resolves with the handler's result. */
  invoke(event: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

type WorkerReply =
  | { id: string; ok: true; result: unknown }
  | { id: string; ok: false; error: SerializedError };
interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

// The worker: loads the bundle once (cold start) and answers invoke messages.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let handler;
let coldStartError;
try {
  handler = require(workerData.file).handler;
  if (typeof handler !== 'function') throw new Error('the bundle does not export a handler function');
} catch (error) { coldStartError = error; }
const serialize = (error) => ({ name: (error && error.name) || 'Error', message: String((error && error.message) || error), stack: error && error.stack });
parentPort.on('message', ({ id, event, context }) => {
  if (coldStartError) { parentPort.postMessage({ id, ok: false, error: serialize(coldStartError) }); return; }
  const ctx = { ...context, getRemainingTimeInMillis: () => Math.max(0, context.deadline - Date.now()), callbackWaitsForEmptyEventLoop: true };
  Promise.resolve().then(() => handler(event, ctx)).then(
    (result) => parentPort.postMessage({ id, ok: true, result }),
    (error) => parentPort.postMessage({ id, ok: false, error: serialize(error) }),
  );
});
`;

function forwardLines(
  stream: NodeJS.ReadableStream,
  functionName: string,
  onLog: LocalLambdaOptions['onLog'],
): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      onLog?.(buffered.slice(0, newline), functionName);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  });
}

export async function startLocalLambda(options: LocalLambdaOptions): Promise<LocalLambda> {
  const functionName = options.functionName ?? `local-${options.asset}`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const bundle = await bundleLambda(findLambdaAsset(options.asset));
  const dir = options.bundleDir ?? path.join(REPO_ROOT, 'build', 'local', 'lambda');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${options.asset}-${bundle.sha256.slice(0, 12)}.js`);
  writeFileSync(file, bundle.code);

  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file },
    env: { ...options.environment, AWS_LAMBDA_FUNCTION_NAME: functionName },
    stdout: true,
    stderr: true,
  });
  forwardLines(worker.stdout, functionName, options.onLog);
  forwardLines(worker.stderr, functionName, options.onLog);
  worker.unref();

  const pending = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let stopped = false;
  worker.on('message', (reply: WorkerReply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(new LocalLambdaError(reply.error.message, reply.error.name));
  });
  const failAll = (error: Error) => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('error', (error) =>
    failAll(
      new LocalLambdaError(`${functionName} crashed: ${error.message}`, 'Runtime.ExitError', {
        cause: error,
      }),
    ),
  );
  worker.on('exit', (code) => {
    if (!stopped)
      failAll(new LocalLambdaError(`${functionName} exited with code ${code}`, 'Runtime.ExitError'));
  });

  return {
    functionName,
    invoke(event) {
      if (stopped)
        return Promise.reject(new LocalLambdaError(`${functionName} is stopped`, 'Runtime.Stopped'));
      const id = randomUUID();
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(
            new LocalLambdaError(
              `${functionName}: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
              'Sandbox.Timedout',
            ),
          );
        }, timeoutMs);
        timer.unref();
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        worker.postMessage({
          id,
          event,
          context: {
            functionName,
            awsRequestId: id,
            deadline,
            functionVersion: '$LATEST',
            memoryLimitInMB: '512',
          },
        });
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      failAll(new LocalLambdaError(`${functionName} was stopped during the invocation`, 'Runtime.Stopped'));
      await worker.terminate();
    },
  };
}
