/**
 * The whole add-on on one machine: every AWS piece as a local double, the Lambdas of the
 * synthesized templates running unmodified against them, and a web server for the page to open.
 * `npm start` (start.ts) and the end-to-end tests both start it through `startLocalStack`.
 *
 *   browser ─ presigned ws ─▶ execute-api ─▶ connection Lambda ─▶ DynamoDB (dynalite)
 *   browser ─ RecognizeText ─▶ Lex ─▶ fulfillment Lambda ─▶ Bedrock ─▶ @connections ─▶ browser
 *   browser ─ GetId / GetCredentialsForIdentity ─▶ Cognito Identity (credentials the gateway accepts)
 */

import { QnaStreamingError } from '../../functions/protocol/errors';
import { ENV } from '../../functions/shared/constants';
import { createLogger, type Logger } from '../../functions/shared/logger';
import { STREAMING_PARAMETERS } from '../../templates/streaming-stack';
import { cachedSynthTemplates } from '../../templates/synth-templates';
import { LOCAL_MODEL_ID, type LocalBedrock, type LocalBedrockBehaviour, startLocalBedrock } from './bedrock';
import { applyTemplateParameters, type CfnTemplate } from './cloudformation/evaluator';
import {
  overrideFunctionEnvironment,
  singleResourceId,
  templateFunctions,
} from './cloudformation/template-resources';
import { type LocalCognitoIdentity, startLocalCognitoIdentity } from './cognito-identity';
import { CredentialStore, DEV_CREDENTIALS, devIdentity } from './credentials';
import { type DemoBundle, serveDemo } from './demo-page';
import { createTableInputFromTemplate, type LocalDynamoDb, startLocalDynamoDb } from './dynamodb';
import type { LocalEndpoints } from './endpoints';
import {
  type ConnectionsFault,
  type ConnectionsRequest,
  gatewayConfigFromTemplate,
  type LocalExecuteApi,
  startExecuteApi,
  type WebSocketLambda,
} from './execute-api';
import { type LocalLambda, startLocalLambda } from './lambda-host';
import { type LexV2FulfillmentResult, type LocalLexRuntime, startLocalLexRuntime } from './lex-runtime';
import { type LocalWebServer, startWebServer } from './web-server';

export interface LocalStackPorts {
  web: number;
  gateway: number;
  dynamodb: number;
  bedrock: number;
  cognito: number;
  lex: number;
}

/** `npm start`'s ports (all on 127.0.0.1); tests pass 0 to get free ones. */
export const DEFAULT_PORTS: LocalStackPorts = {
  web: 8080,
  gateway: 8081,
  dynamodb: 8082,
  bedrock: 8083,
  cognito: 8084,
  lex: 8085,
};

export interface LocalStackOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default every port 0 (free ports) */
  ports?: Partial<LocalStackPorts>;
  /** @default 'us-east-1' */
  region?: string;
  /** @default 'streaming-sessions' */
  tableName?: string;
  /**
   * Values of the streaming template's parameters, e.g. `{ EnableDirectAsk: 'TRUE' }`. The gateway's
   * routes and the template's Lambdas follow them, conditions included. @default the template's defaults
   */
  parameters?: Record<string, string>;
  /**
   * `local`: the bundled knowledge-base model. `aws`: real Bedrock with the given AWS credentials
   * (the fulfillment Lambda signs with them; the other doubles accept them too).
   * @default 'local'
   */
  bedrock?: 'local' | { aws: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } };
  /** Model id the fulfillment Lambda asks. @default LOCAL_MODEL_ID (local) */
  modelId?: string;
  /**
   * Initial timing and faults of the local model (`npm start --model-tokens-per-second`,
   * `--model-ttft-ms` set `tokensPerSecond` and `timeToFirstTokenMs`).
   */
  modelBehaviour?: Partial<LocalBedrockBehaviour>;
  /** Gateway limits, shortened by tests. */
  idleTimeoutMs?: number;
  maxConnectionMs?: number;
  /** Latency and faults of `@connections`, for benchmarks and fault tests. */
  connectionsLatencyMs?: number | ((request: ConnectionsRequest) => number);
  connectionsFault?: (request: ConnectionsRequest) => ConnectionsFault | undefined;
  /** Extra environment of the fulfillment Lambda (e.g. coalescing settings). */
  fulfillmentEnvironment?: Record<string, string>;
  /** Receives every log line of the doubles and Lambdas. @default discard */
  onLog?: (line: string, source: string) => void;
  /** Serve the demo chat page at `/` (and the status page at `/status`). @default true */
  demo?: boolean;
}

export interface LocalStack {
  endpoints: LocalEndpoints;
  credentials: CredentialStore;
  gateway: LocalExecuteApi;
  dynamodb: LocalDynamoDb;
  /** Absent when real Bedrock is used. */
  bedrock?: LocalBedrock;
  cognito: LocalCognitoIdentity;
  lex: LocalLexRuntime;
  web: LocalWebServer;
  /** The synthesized streaming template the gateway and the Lambdas were configured from. */
  template: CfnTemplate;
  /** The demo page's bundle (absent with `demo: false`). */
  demo?: DemoBundle;
  stop(): Promise<void>;
}

/** The local stack could not start. */
export class LocalStackError extends QnaStreamingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalStackError';
  }
}

function loggerFor(source: string, onLog: LocalStackOptions['onLog']): Logger {
  return createLogger({ service: source, level: 'debug', write: (line) => onLog?.(line, source) });
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const tableName = options.tableName ?? 'streaming-sessions';
  const ports = { web: 0, gateway: 0, dynamodb: 0, bedrock: 0, cognito: 0, lex: 0, ...options.ports };
  const onLog = options.onLog;
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) {
      await stop().catch((error: unknown) =>
        onLog?.(
          JSON.stringify({ level: 'warn', message: 'stop failed', error: String(error) }),
          'local-stack',
        ),
      );
    }
    stoppers.length = 0;
  };

  try {
    // The ask Lambda (EnableDirectAsk=TRUE) answers with the same model as the fulfillment Lambda.
    const template = applyTemplateParameters(cachedSynthTemplates().streaming as unknown as CfnTemplate, {
      [STREAMING_PARAMETERS.directAskModelId]: options.modelId ?? LOCAL_MODEL_ID,
      ...options.parameters,
    });
    const credentials = new CredentialStore([devIdentity()]);
    const aws = options.bedrock && options.bedrock !== 'local' ? options.bedrock.aws : undefined;
    if (aws) {
      // Real Bedrock signs with the developer's own credentials; let the local doubles accept them too.
      credentials.register({ ...devIdentity(), ...aws });
    }
    const lambdaCredentials = aws ?? DEV_CREDENTIALS;

    const dynamodb = await startLocalDynamoDb({ host, port: ports.dynamodb, region });
    stoppers.push(() => dynamodb.stop());
    await dynamodb.createTable(createTableInputFromTemplate(template, tableName));

    let bedrock: LocalBedrock | undefined;
    if (!aws) {
      bedrock = await startLocalBedrock({
        host,
        port: ports.bedrock,
        region,
        credentials,
        ...(options.modelBehaviour ? { behaviour: options.modelBehaviour } : {}),
        logger: loggerFor('local-bedrock', onLog),
      });
      stoppers.push(() => (bedrock as LocalBedrock).stop());
    }

    // Every Lambda sees the doubles through the standard endpoint variables.
    const awsEnvironment: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: lambdaCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: lambdaCredentials.secretAccessKey,
      ...('sessionToken' in lambdaCredentials && lambdaCredentials.sessionToken
        ? { AWS_SESSION_TOKEN: lambdaCredentials.sessionToken }
        : {}),
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      ...(bedrock
        ? {
            AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.runtimeEndpoint,
            AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: bedrock.agentRuntimeEndpoint,
          }
        : {}),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LOG_LEVEL: 'debug',
    };

    // The streaming template's Lambdas (those its conditions keep), started once the gateway
    // listens: a publishing Lambda's `@connections` URL is the gateway's. They stop after it.
    const tableLogicalId = singleResourceId(template, 'AWS::DynamoDB::Table');
    const running: Record<string, LocalLambda> = {};
    const lambdas: Record<string, WebSocketLambda> = {};
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      lambdas[logicalId] = (event) =>
        running[logicalId]?.invoke(event) ??
        Promise.reject(new LocalStackError(`${logicalId} is not running`));
    }
    stoppers.push(async () => {
      for (const lambda of Object.values(running)) await lambda.stop();
    });

    const gateway = await startExecuteApi({
      config: gatewayConfigFromTemplate(template),
      lambdas,
      credentials,
      region,
      host,
      port: ports.gateway,
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      ...(options.maxConnectionMs !== undefined ? { maxConnectionMs: options.maxConnectionMs } : {}),
      ...(options.connectionsLatencyMs !== undefined
        ? { connectionsLatencyMs: options.connectionsLatencyMs }
        : {}),
      ...(options.connectionsFault ? { connectionsFault: options.connectionsFault } : {}),
      logger: loggerFor('local-execute-api', onLog),
    });
    stoppers.push(() => gateway.stop());

    const localTemplate = overrideFunctionEnvironment(template, {
      [ENV.callbackUrl]: gateway.callbackUrl,
      [ENV.webSocketEndpoint]: gateway.webSocketUrl,
    });
    for (const fn of templateFunctions(localTemplate, { [tableLogicalId]: tableName })) {
      running[fn.logicalId] = await startLocalLambda({
        asset: fn.asset,
        functionName: fn.logicalId,
        environment: { ...awsEnvironment, ...fn.environment },
        timeoutMs: fn.timeoutMs,
        onLog: (line) => onLog?.(line, fn.logicalId),
      });
    }

    // The example bot's fulfillment Lambda: a publisher, configured as the parent template wires it.
    const modelId = options.modelId ?? LOCAL_MODEL_ID;
    const fulfillment = await startLocalLambda({
      asset: 'fulfillment',
      functionName: 'FulfillmentFunction',
      environment: {
        ...awsEnvironment,
        [ENV.tableName]: tableName,
        [ENV.callbackUrl]: gateway.callbackUrl,
        [ENV.webSocketEndpoint]: gateway.webSocketUrl,
        [ENV.modelId]: modelId,
        ...options.fulfillmentEnvironment,
      },
      timeoutMs: 60_000,
      onLog: (line) => onLog?.(line, 'FulfillmentFunction'),
    });
    stoppers.push(() => fulfillment.stop());

    const cognito = await startLocalCognitoIdentity({
      credentials,
      region,
      host,
      port: ports.cognito,
      logger: loggerFor('local-cognito-identity', onLog),
    });
    stoppers.push(() => cognito.stop());

    const lex = await startLocalLexRuntime({
      credentials,
      region,
      host,
      port: ports.lex,
      fulfillmentTimeoutMs: 60_000,
      fulfill: async (event) => (await fulfillment.invoke(event)) as LexV2FulfillmentResult,
      logger: loggerFor('local-lex-runtime', onLog),
    });
    stoppers.push(() => lex.stop());

    const web = await startWebServer({ host, port: ports.web });
    stoppers.push(() => web.stop());

    const endpoints: LocalEndpoints = {
      region,
      webSocketUrl: gateway.webSocketUrl,
      callbackUrl: gateway.callbackUrl,
      dynamodb: dynamodb.endpoint,
      bedrockRuntime: bedrock?.runtimeEndpoint ?? `https://bedrock-runtime.${region}.amazonaws.com`,
      bedrockAgentRuntime:
        bedrock?.agentRuntimeEndpoint ?? `https://bedrock-agent-runtime.${region}.amazonaws.com`,
      cognitoIdentity: cognito.endpoint,
      identityPoolId: cognito.identityPoolId,
      lexRuntime: lex.endpoint,
      botId: lex.botId,
      botAliasId: lex.botAliasId,
      localeId: lex.localeId,
      tableName,
      credentials: { ...DEV_CREDENTIALS },
      webUrl: web.url,
      modelId,
      ...(bedrock
        ? {
            modelTiming: {
              timeToFirstTokenMs: bedrock.behaviour().timeToFirstTokenMs,
              tokensPerSecond: bedrock.behaviour().tokensPerSecond,
            },
          }
        : {}),
    };
    web.setAsset('/endpoints.json', {
      contentType: 'application/json',
      body: () => `${JSON.stringify(endpoints, null, 2)}\n`,
    });
    const demo = options.demo === false ? undefined : await serveDemo(web, endpoints);

    return {
      endpoints,
      credentials,
      gateway,
      dynamodb,
      ...(bedrock ? { bedrock } : {}),
      cognito,
      lex,
      web,
      template,
      ...(demo ? { demo } : {}),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    const message =
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? `a port is already in use (${(error as Error).message}); stop the other process or choose ports with --port-*`
        : `the local stack could not start: ${(error as Error).message}`;
    throw new LocalStackError(message, { cause: error });
  }
}
