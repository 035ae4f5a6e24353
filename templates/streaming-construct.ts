/**
 * `QnaStreaming`: the WebSocket streaming add-on as one CDK construct. The standalone/nested
 * template (`streaming-stack.ts`) is this construct driven by CloudFormation parameters; CDK-based
 * bots use it directly.
 *
 * Resources are L1 (`Cfn*`) on purpose: every property may be a deploy-time value (a parameter or
 * an `Fn::If` on a condition), which the L2 constructs do not accept for VPC, tracing and log
 * retention. The construct ids below are a contract: changing one replaces the resource.
 *
 * ## Logical ids shared with QnABot's streaming template
 * The streaming template is a drop-in replacement for QnABot 7.4's nested streaming stack: a QnABot
 * admin uploads our streaming.json in place of QnABot's and updates the master, so CloudFormation
 * UPDATEs the nested stack from QnABot's template to ours (upstream
 * source/templates/streaming/resources.js). A resource both templates have must keep QnABot's
 * logical id, because under another id CloudFormation creates ours before it deletes QnABot's:
 * - the routes `$connect` and `ping` are unique per API, so a second route with the same key
 *   fails ("already exists"); and a second API would change the `wss://` URL (and API id) that
 *   every Lex Web UI config, QnABot's Cognito role (`execute-api:Invoke` on `<apiId>/Prod/*`,
 *   upstream source/templates/master/roles.json) and its fulfillment role (`ManageConnections` on
 *   `<apiId>/Prod/*`, upstream source/templates/util.js) hold;
 * - the stage is unique per API by its name, `Prod`;
 * - the table keeps its name, which QnABot's fulfillment reads from its `STREAMING_TABLE` setting,
 *   and its ARN, on which QnABot's fulfillment role may `GetItem`.
 * Hence `WebSocketAPI`, `ConnectRoute`, `ConnectIntegration`, `PingRoute`, `PingIntegration`,
 * `WebSocketDeployment`, `WebSocketStage`, `StreamingDynamoTable` and `StreamingLambda`, with
 * properties that update in place: the table has QnABot's key schema (`sessionId` HASH only),
 * billing, SSE, PITR and TTL; the API's protocol, the route keys, the integration types and the
 * stage name are QnABot's; the function sets no `FunctionName`, so it keeps its name and ARN, and
 * QnABot's last deployment (whose `$connect` integration names that ARN) keeps reaching it until
 * the stage has auto-deployed. `ConnectIntegration` serves all our connection routes, not only
 * `$connect`.
 *
 * Our other resources keep ids QnABot does not use. QnABot's resources without a counterpart here
 * (its Lambda role and invoke permission, its two explicitly named log groups, the
 * `Custom::S3Version`, the API Gateway logging role and account setting) are deleted in the
 * update's cleanup. Our log groups have generated names, so neither collides with QnABot's
 * `/aws/lambda/<stack>-StreamingLambda-…` or `/aws/apigatewayv2/<stack>-WebSocket-…`.
 */
import {
  Aws,
  type CfnCondition,
  type CfnResource,
  Fn,
  type IResolvable,
  Lazy,
  Stack,
  Token,
} from 'aws-cdk-lib';
import {
  CfnApi,
  CfnDeployment,
  CfnIntegration,
  CfnRoute,
  CfnRouteResponse,
  CfnStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import {
  CfnManagedPolicy,
  type CfnRole,
  type IManagedPolicy,
  type IRole,
  ManagedPolicy,
} from 'aws-cdk-lib/aws-iam';
import { CfnFunction, CfnPermission, type Code } from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROUTES } from '../functions/protocol/websocket';
import { MIN_LOG_HASH_KEY_LENGTH } from '../functions/shared/config';
import {
  BINDING_DEFAULTS,
  DEFAULT_SESSION_TTL_SECONDS,
  ENV,
  IDENTITY_BINDINGS,
  TABLE,
} from '../functions/shared/constants';
import { StreamingTemplateError } from './errors';
import { executeApiArn, lambdaInvocationUri, lambdaRole, type PolicyStatement } from './iam-arns';

/** The stage every client connects to; part of the `wss://…/Prod` and `@connections` URLs. */
export const STREAMING_STAGE_NAME = 'Prod';
/** Runtime of the connection Lambda; the bundles are built for it (templates/lambda-assets.ts). */
export const STREAMING_LAMBDA_RUNTIME = 'nodejs22.x';
/** Handler inside the zip: the bundle is `index.js`, exporting `handler`. */
export const STREAMING_LAMBDA_HANDLER = 'index.handler';

/** Retention values CloudWatch Logs accepts; 0 means never expire (as in QnABot). */
export const LOG_RETENTION_DAYS = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * Stable construct ids (and, in the streaming template, logical ids). Changing one replaces the
 * resource. Those in QNABOT_SHARED_IDS are QnABot's own logical ids (see the file comment).
 */
export const STREAMING_IDS = {
  api: 'WebSocketAPI',
  connectRoute: 'ConnectRoute',
  disconnectRoute: 'DisconnectRoute',
  defaultRoute: 'DefaultRoute',
  defaultRouteResponse: 'DefaultRouteResponse',
  cancelRoute: 'CancelRoute',
  pingRoute: 'PingRoute',
  connectionIntegration: 'ConnectIntegration',
  pingIntegration: 'PingIntegration',
  deployment: 'WebSocketDeployment',
  stage: 'WebSocketStage',
  accessLogs: 'AccessLogs',
  table: 'StreamingDynamoTable',
  functionLogs: 'ConnectionFunctionLogs',
  role: 'ConnectionFunctionRole',
  function: 'StreamingLambda',
  invokePermission: 'ApiInvokePermission',
  publisherPolicy: 'PublisherPolicy',
} as const;

/** The ids above that QnABot 7.4's streaming template uses for the same resources. */
export const QNABOT_SHARED_IDS = [
  STREAMING_IDS.api,
  STREAMING_IDS.connectRoute,
  STREAMING_IDS.connectionIntegration,
  STREAMING_IDS.pingRoute,
  STREAMING_IDS.pingIntegration,
  STREAMING_IDS.deployment,
  STREAMING_IDS.stage,
  STREAMING_IDS.table,
  STREAMING_IDS.function,
] as const;

/**
 * Throttling of the `$default` route (unknown actions): no client of this API needs it (they send
 * `ping`, `cancel` and `ask`), yet each message costs a connection Lambda call and a table read, so
 * it gets far less than the stage's default. The limits are API Gateway's, for all clients together.
 */
export const UNKNOWN_ACTION_THROTTLE_DEFAULTS = { burstLimit: 50, rateLimit: 20 } as const;

/**
 * Reserved concurrency of the connection Lambda. It caps what a flood of `$connect`, `cancel` or
 * `$default` can take of the account's Lambda concurrency (the bot's fulfillment shares it), and
 * keeps that much for sockets when other functions are busy. At roughly 20-50 ms per call, 50
 * serves the stage's default 1,000 requests a second. The default is -1 (no reservation): a QnABot
 * master cannot pass this parameter, and on accounts with little concurrency (new accounts start
 * low) any reservation makes the drop-in update fail ("below its minimum value"). Admins who can
 * afford it set 50.
 */
export const CONNECTION_RESERVED_CONCURRENCY_DEFAULT = -1;

/** Throttling of one route of the `Prod` stage (its `RouteSettings` entry); values may be tokens. */
export interface RouteThrottle {
  readonly burstLimit: number;
  readonly rateLimit: number;
}

/** Ranges of the identity-binding limits (functions/shared/config.ts accepts the same). */
export const BINDING_LIMITS = {
  maxSessionsPerIdentity: { min: 1, max: 1000 },
  maxTabsPerSession: { min: 1, max: 100 },
} as const;

/** Subnets and security groups for the connection Lambda. */
export interface QnaStreamingVpcProps {
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
  /**
   * Deploy-time switch: the VPC config (and its ENI permissions) applies only when this condition
   * is true. Lets a template take possibly-empty subnet lists as parameters.
   * @default - always applied
   */
  readonly enabled?: CfnCondition;
}

export interface QnaStreamingProps {
  /** Code of the connection Lambda: a zip whose `index.js` exports `handler`. */
  readonly code: Code;
  /**
   * Retention of the access-log and Lambda log groups, in days; 0 means never expire. May be a
   * token (the streaming template passes an `Fn::If` that drops the property for 0).
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * How `$connect` binds a session id to the identity that signed the request (IDENTITY_BINDINGS
   * in functions/shared/constants.ts): `OWNER` (the first identity to connect with a session id
   * owns it while it has live tabs or an unexpired claim), `STRICT` (`sessionId` must be the
   * caller's Cognito identity id) or `OFF` (any signed caller may use any session id, QnABot's
   * behaviour). May be a token.
   * @default 'OWNER'
   */
  readonly identityBinding?: string;
  /**
   * `OWNER` binding: how many session ids one identity may own at once (1 to 1000). May be a token.
   * @default BINDING_DEFAULTS.maxSessionsPerIdentity (10)
   */
  readonly maxSessionsPerIdentity?: number;
  /**
   * How many tabs (connections) one session may have open at once (1 to 100). May be a token.
   * @default BINDING_DEFAULTS.maxTabsPerSession (10)
   */
  readonly maxTabsPerSession?: number;
  /** Default route burst limit of the `Prod` stage. May be a token. @default 500 */
  readonly throttlingBurstLimit?: number;
  /** Default route steady-state rate limit (requests per second). May be a token. @default 1000 */
  readonly throttlingRateLimit?: number;
  /** Throttling of the `$default` route (unknown actions). May be tokens. @default UNKNOWN_ACTION_THROTTLE_DEFAULTS */
  readonly unknownActionThrottle?: RouteThrottle;
  /**
   * Reserved concurrency of the connection Lambda: -1 for none, 0 stops the function (every
   * `$connect` then fails: an emergency stop), N reserves N. May be a token (the streaming template
   * passes an `Fn::If` that drops the property for -1).
   * @default CONNECTION_RESERVED_CONCURRENCY_DEFAULT (-1: no reservation)
   */
  readonly reservedConcurrency?: number;
  /** Run the connection Lambda in a VPC. @default - no VPC */
  readonly vpc?: QnaStreamingVpcProps;
  /**
   * X-Ray active tracing of the connection Lambda: a fixed choice, or a condition decided at
   * deploy time. @default false
   */
  readonly tracing?: boolean | CfnCondition;
  /** Lifetime of a connection item in seconds. @default DEFAULT_SESSION_TTL_SECONDS (2 h 10 min) */
  readonly sessionTtlSeconds?: number;
  /**
   * Key of the keyed hashes that stand for session and identity ids in logs (`sessionRef`,
   * `identityRef`; functions/shared/log-safe.ts): STREAMING_LOG_HASH_KEY of the connection Lambda,
   * and part of `publisherEnvironment()`, so the ask Lambda and the publishers wired with it use the
   * same key and a session's refs match across functions and containers. At least
   * MIN_LOG_HASH_KEY_LENGTH (16) characters; '' counts as no key. Whoever holds it can compute the
   * ref of an id they know, so keep it as private as the logs (it is readable in the Lambda
   * configuration). May be a token (the streaming template passes a NoEcho parameter).
   * @default - no key: each Lambda container draws its own random key, and refs match only within one container
   */
  readonly logHashKey?: string;
  /** `LOG_LEVEL` of the connection Lambda. @default 'info' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Name of the WebSocket API. @default '<stack name>-streaming' */
  readonly apiName?: string;
}

/**
 * Access log line: one JSON object per request; `$context.integration.error` says why a Lambda call
 * failed. No identity or session id: an unauthenticated Cognito identity id is a bearer secret (it
 * is enough to get that visitor's credentials), and the session id is often that identity id, so
 * neither `$context.identity.cognitoIdentityId`, `user`, `userArn`, `caller` nor the query string
 * (which holds `sessionId`) is logged. `sourceIp` stays: API Gateway WebSocket APIs have no
 * per-client throttling and no AWS WAF, so the source address is the only way to find and block a
 * flooding client; it lives as long as `LogRetentionPeriod` says. `connectionId` is no secret (only
 * a principal with `execute-api:ManageConnections` can use it) and ties the lines of one socket
 * together.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  status: '$context.status',
  connectionId: '$context.connectionId',
  sourceIp: '$context.identity.sourceIp',
  integrationStatus: '$context.integration.status',
  integrationError: '$context.integration.error',
  errorMessage: '$context.error.message',
});

export class QnaStreaming extends Construct {
  readonly api: CfnApi;
  readonly stage: CfnStage;
  readonly table: CfnTable;
  readonly connectionRole: CfnRole;
  readonly connectionFunction: CfnFunction;
  readonly publisherPolicy: CfnManagedPolicy;
  readonly accessLogGroup: CfnLogGroup;
  readonly functionLogGroup: CfnLogGroup;

  /** `wss://{api}.execute-api.{region}.{urlSuffix}/Prod`: what browsers connect to. */
  readonly webSocketEndpoint: string;
  /** `https://{api}.execute-api.{region}.{urlSuffix}/Prod`: the `@connections` endpoint publishers post to. */
  readonly callbackUrl: string;
  readonly apiId: string;
  readonly tableName: string;
  readonly tableArn: string;
  readonly functionArn: string;
  readonly publisherPolicyArn: string;

  /**
   * True when X-Ray tracing or a VPC is chosen at synth time: the role then has fixed statements
   * on `Resource: "*"` (neither service offers resource-level permissions for those actions).
   */
  readonly hasWildcardStatements: boolean;

  private publisherPolicyRef?: IManagedPolicy;
  /** STREAMING_LOG_HASH_KEY of the connection Lambda and the publishers, when given. */
  private readonly logHashKey?: string;
  /** `RouteSettings` of the stage: fixed entries, and entries that exist only under a condition. */
  private readonly routeThrottles: { routeKey: string; throttle: RouteThrottle; condition?: CfnCondition }[] =
    [];

  /**
   * Creates the resources in template order (the order of the template's `Resources`): log groups,
   * session table, API, connection Lambda, routes, deployment and stage, publisher policy.
   */
  constructor(scope: Construct, id: string, props: QnaStreamingProps) {
    super(scope, id);
    validateProps(props);
    this.logHashKey = props.logHashKey;

    const retention = retentionProperty(props.logRetentionDays ?? 30);
    this.accessLogGroup = new CfnLogGroup(this, STREAMING_IDS.accessLogs, { retentionInDays: retention });
    this.functionLogGroup = new CfnLogGroup(this, STREAMING_IDS.functionLogs, { retentionInDays: retention });
    this.table = this.createSessionTable();
    this.api = this.createApi(props.apiName);
    const apiId = this.api.ref;

    const tracing = props.tracing ?? false;
    this.hasWildcardStatements =
      tracing === true || (props.vpc !== undefined && props.vpc.enabled === undefined);
    this.connectionRole = this.createConnectionRole(tracing, props.vpc);
    this.connectionFunction = this.createConnectionFunction(props, tracing);
    this.allowApiToInvokeConnectionFunction(apiId);

    const routes = this.createRoutes(apiId);
    this.createDeployment(apiId, routes);
    this.stage = this.createStage(apiId, props);
    this.addRouteThrottle(ROUTES.default, props.unknownActionThrottle ?? UNKNOWN_ACTION_THROTTLE_DEFAULTS);
    // The stage is created or updated after every route and integration: in the drop-in update
    // the routes QnABot lacked exist before `Prod` turns auto-deploy on, so its first automatic
    // deployment includes them.
    for (const resource of routes.all) this.stage.addResourceDependency(resource);

    this.publisherPolicy = this.createPublisherPolicy(apiId);

    const host = stageHost(apiId);
    this.webSocketEndpoint = Fn.join('', ['wss://', host]);
    this.callbackUrl = Fn.join('', ['https://', host]);
    this.apiId = apiId;
    this.tableName = this.table.ref;
    this.tableArn = this.table.attrArn;
    this.functionArn = this.connectionFunction.attrArn;
    this.publisherPolicyArn = this.publisherPolicy.ref;
  }

  /**
   * QnABot's table exactly (key, billing, SSE, PITR, TTL), so the drop-in update leaves it as it
   * is. Session, connection (`c#…`) and identity (`i#…`) items share the one key
   * (functions/shared/session-table.ts): no sort key, no index.
   */
  private createSessionTable(): CfnTable {
    return new CfnTable(this, STREAMING_IDS.table, {
      billingMode: 'PAY_PER_REQUEST',
      attributeDefinitions: [{ attributeName: TABLE.partitionKey, attributeType: 'S' }],
      keySchema: [{ attributeName: TABLE.partitionKey, keyType: 'HASH' }],
      sseSpecification: { sseEnabled: true },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveSpecification: { attributeName: TABLE.ttlAttribute, enabled: true },
    });
  }

  /** The WebSocket API; a message's `action` picks its route. */
  private createApi(name: string | undefined): CfnApi {
    return new CfnApi(this, STREAMING_IDS.api, {
      name: name ?? `${Stack.of(this).stackName}-streaming`,
      protocolType: 'WEBSOCKET',
      routeSelectionExpression: '$request.body.action',
      description: 'Streams LLM answers to chat clients word by word (qna-streaming).',
    });
  }

  /** The connection Lambda's role: the session table, its own logs, and X-Ray and VPC when chosen. */
  private createConnectionRole(
    tracing: boolean | CfnCondition,
    vpc: QnaStreamingVpcProps | undefined,
  ): CfnRole {
    return lambdaRole(this, STREAMING_IDS.role, {
      description: 'Connection Lambda of the streaming WebSocket API: session table and its own logs only.',
      policyName: 'ConnectionFunction',
      logGroupArn: this.functionLogGroup.attrArn,
      statements: [
        {
          Sid: 'SessionTable',
          Effect: 'Allow',
          Action: [...CONNECTION_ITEM_ACTIONS],
          Resource: this.table.attrArn,
        },
        ...optionalStatement(tracing, {
          Sid: 'XRayTracing',
          Effect: 'Allow',
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Resource: '*',
        }),
        ...(vpc
          ? optionalStatement(vpc.enabled ?? true, {
              Sid: 'VpcNetworkInterfaces',
              Effect: 'Allow',
              Action: [
                'ec2:CreateNetworkInterface',
                'ec2:DescribeNetworkInterfaces',
                'ec2:DeleteNetworkInterface',
                'ec2:AssignPrivateIpAddresses',
                'ec2:UnassignPrivateIpAddresses',
              ],
              Resource: '*',
            })
          : []),
      ],
    });
  }

  /** The connection Lambda ($connect, $disconnect, cancel, $default), configured by environment. */
  private createConnectionFunction(props: QnaStreamingProps, tracing: boolean | CfnCondition): CfnFunction {
    const codeConfig = props.code.bind(this);
    if (!codeConfig.s3Location && codeConfig.inlineCode === undefined) {
      throw new StreamingTemplateError('QnaStreaming code must be an S3 or inline lambda.Code, not an image');
    }
    const connectionFunction = new CfnFunction(this, STREAMING_IDS.function, {
      description:
        'Registers and removes WebSocket connections of streaming sessions ($connect, $disconnect, cancel).',
      runtime: STREAMING_LAMBDA_RUNTIME,
      handler: STREAMING_LAMBDA_HANDLER,
      architectures: ['arm64'],
      memorySize: 256,
      timeout: 10,
      reservedConcurrentExecutions: reservedConcurrencyProperty(
        props.reservedConcurrency ?? CONNECTION_RESERVED_CONCURRENCY_DEFAULT,
      ),
      role: this.connectionRole.attrArn,
      code: codeConfig.s3Location
        ? {
            s3Bucket: codeConfig.s3Location.bucketName,
            s3Key: codeConfig.s3Location.objectKey,
            s3ObjectVersion: codeConfig.s3Location.objectVersion,
          }
        : { zipFile: codeConfig.inlineCode },
      environment: { variables: this.connectionEnvironment(props) },
      loggingConfig: { logGroup: this.functionLogGroup.ref },
      tracingConfig: { mode: toggleValue(tracing, 'Active', 'PassThrough') },
      vpcConfig: vpcConfigProperty(props.vpc),
    });
    props.code.bindToResource(connectionFunction);
    return connectionFunction;
  }

  /** The connection Lambda's environment (names from functions/shared/constants.ts ENV). */
  private connectionEnvironment(props: QnaStreamingProps): Record<string, string> {
    return {
      [ENV.tableName]: this.table.ref,
      [ENV.identityBinding]: props.identityBinding ?? BINDING_DEFAULTS.identityBinding,
      [ENV.maxSessionsPerIdentity]: numberString(
        props.maxSessionsPerIdentity ?? BINDING_DEFAULTS.maxSessionsPerIdentity,
      ),
      [ENV.maxTabsPerSession]: numberString(props.maxTabsPerSession ?? BINDING_DEFAULTS.maxTabsPerSession),
      [ENV.sessionTtlSeconds]: String(props.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS),
      [ENV.logLevel]: props.logLevel ?? 'info',
      ...this.logHashKeyEnvironment(),
    };
  }

  /** Lets API Gateway call the connection Lambda, from the `Prod` stage of this API only. */
  private allowApiToInvokeConnectionFunction(apiId: string): void {
    new CfnPermission(this, STREAMING_IDS.invokePermission, {
      action: 'lambda:InvokeFunction',
      functionName: this.connectionFunction.attrArn,
      principal: 'apigateway.amazonaws.com',
      sourceArn: executeApiArn(apiId, `/${STREAMING_STAGE_NAME}/*`),
    });
  }

  /**
   * The two integrations (the connection Lambda; `ping`'s MOCK) and the six routes: `$connect`
   * (IAM-signed), `$disconnect`, `cancel` and `$default` on the Lambda, `ping` on the MOCK.
   */
  private createRoutes(apiId: string): StreamingRoutes {
    const connectionIntegration = new CfnIntegration(this, STREAMING_IDS.connectionIntegration, {
      apiId,
      integrationType: 'AWS_PROXY',
      integrationUri: lambdaInvocationUri(this.connectionFunction.attrArn),
      description: 'Connection Lambda (Lambda proxy).',
    });
    const connectionTarget = Fn.join('/', ['integrations', connectionIntegration.ref]);

    // `ping` answers from API Gateway itself: no Lambda call, and no route response, so the
    // client gets no reply. Its only job is to reset the 10-minute idle timeout.
    const pingIntegration = new CfnIntegration(this, STREAMING_IDS.pingIntegration, {
      apiId,
      integrationType: 'MOCK',
      templateSelectionExpression: '\\$default',
      requestTemplates: { $default: '{"statusCode": 200}' },
      description: 'Keep-alive: answered by API Gateway, no reply to the client.',
    });

    const connectRoute = new CfnRoute(this, STREAMING_IDS.connectRoute, {
      apiId,
      routeKey: ROUTES.connect,
      authorizationType: 'AWS_IAM',
      operationName: 'Connect',
      target: connectionTarget,
    });
    const disconnectRoute = new CfnRoute(this, STREAMING_IDS.disconnectRoute, {
      apiId,
      routeKey: ROUTES.disconnect,
      authorizationType: 'NONE',
      operationName: 'Disconnect',
      target: connectionTarget,
    });
    const cancelRoute = new CfnRoute(this, STREAMING_IDS.cancelRoute, {
      apiId,
      routeKey: ROUTES.cancel,
      authorizationType: 'NONE',
      operationName: 'Cancel',
      target: connectionTarget,
    });
    // `$default` returns the Lambda's body (an error frame) to the client through a route response.
    // It stays a Lambda route, not a MOCK with a static reply: the reply depends on the socket's
    // protocol, which only the session table knows (a MOCK sees the message and `$context`, and
    // with IAM auth on `$connect` no per-connection context survives). A static error frame would
    // put non-answer text on text-protocol sockets, which show every message as answer text (Lex
    // Web UI during a Lex request); a silent MOCK would take away the UnknownAction frame that json
    // clients get and `qna-streaming ask` uses to tell an endpoint without the ask route. The cost
    // is bounded instead: one Lambda call and one item read per message, under the route's own
    // throttle (UNKNOWN_ACTION_THROTTLE_DEFAULTS, far below the stage default), and no client of
    // this API sends unknown actions.
    const defaultRoute = new CfnRoute(this, STREAMING_IDS.defaultRoute, {
      apiId,
      routeKey: ROUTES.default,
      authorizationType: 'NONE',
      operationName: 'Default',
      routeResponseSelectionExpression: '$default',
      target: connectionTarget,
    });
    const defaultRouteResponse = new CfnRouteResponse(this, STREAMING_IDS.defaultRouteResponse, {
      apiId,
      routeId: defaultRoute.ref,
      routeResponseKey: '$default',
    });
    const pingRoute = new CfnRoute(this, STREAMING_IDS.pingRoute, {
      apiId,
      routeKey: ROUTES.ping,
      authorizationType: 'NONE',
      operationName: 'Ping',
      target: Fn.join('/', ['integrations', pingIntegration.ref]),
    });
    return {
      connectRoute,
      pingRoute,
      all: [
        connectRoute,
        disconnectRoute,
        cancelRoute,
        defaultRoute,
        defaultRouteResponse,
        pingRoute,
        connectionIntegration,
        pingIntegration,
      ],
    };
  }

  /**
   * The stage auto-deploys, so this explicit deployment serves nothing in a fresh stack. It is
   * QnABot's `WebSocketDeployment` (same properties, same DependsOn), kept so that the drop-in
   * update never deletes the deployment QnABot's `Prod` stage points to while that stage switches
   * to auto-deploy: API Gateway refuses to delete a deployment an active stage uses.
   */
  private createDeployment(apiId: string, routes: StreamingRoutes): void {
    const deployment = new CfnDeployment(this, STREAMING_IDS.deployment, { apiId });
    deployment.addResourceDependency(routes.connectRoute);
    deployment.addResourceDependency(routes.pingRoute);
  }

  /**
   * `Prod`: auto-deployed, access-logged, throttled (stage default, and per route through
   * `addRouteThrottle`). Access logging of a WebSocket stage needs the region's API Gateway account
   * CloudWatch role; the streaming template can create it (ConfigureApiGatewayAccount) but does
   * not by default.
   */
  private createStage(apiId: string, props: QnaStreamingProps): CfnStage {
    return new CfnStage(this, STREAMING_IDS.stage, {
      apiId,
      stageName: STREAMING_STAGE_NAME,
      autoDeploy: true,
      description: 'The only stage; clients connect to wss://…/Prod.',
      accessLogSettings: {
        destinationArn: Fn.join('', [
          'arn:',
          Aws.PARTITION,
          ':logs:',
          Aws.REGION,
          ':',
          Aws.ACCOUNT_ID,
          ':log-group:',
          this.accessLogGroup.ref,
        ]),
        format: ACCESS_LOG_FORMAT,
      },
      defaultRouteSettings: {
        throttlingBurstLimit: props.throttlingBurstLimit ?? 500,
        throttlingRateLimit: props.throttlingRateLimit ?? 1000,
        dataTraceEnabled: false,
      },
      routeSettings: Lazy.any({ produce: () => this.renderRouteSettings() }),
    });
  }

  /**
   * Exactly what a publisher (fulfillment Lambda / QnABot hook) needs. Only POST: the publisher
   * sends frames and never reads connection info (GET) or closes sockets (DELETE).
   */
  private createPublisherPolicy(apiId: string): CfnManagedPolicy {
    return new CfnManagedPolicy(this, STREAMING_IDS.publisherPolicy, {
      description: 'Lets a Lambda stream answers to the sockets of this streaming WebSocket API.',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'PostToConnections',
            Effect: 'Allow',
            Action: 'execute-api:ManageConnections',
            Resource: executeApiArn(apiId, `/${STREAMING_STAGE_NAME}/POST/@connections/*`),
          },
          {
            // Reads the session's tabs; the writes forget a tab that answered 410 Gone (its
            // connection item, the tab in its session item, its owner's claim).
            Sid: 'SessionItems',
            Effect: 'Allow',
            Action: [...PUBLISHER_ITEM_ACTIONS],
            Resource: this.table.attrArn,
          },
        ],
      },
    });
  }

  /**
   * Gives one route its own throttling on the `Prod` stage. With `condition` (the route exists only
   * under it), the entry exists only then: API Gateway refuses route settings for a route key the
   * API does not have. `route` orders the stage after the route, whose key the settings name.
   */
  addRouteThrottle(
    routeKey: string,
    throttle: RouteThrottle,
    options: { condition?: CfnCondition; route?: CfnResource } = {},
  ): void {
    this.routeThrottles.push({
      routeKey,
      throttle,
      ...(options.condition ? { condition: options.condition } : {}),
    });
    const { route } = options;
    if (!route) return;
    if (!options.condition) {
      this.stage.addResourceDependency(route);
      return;
    }
    // DependsOn cannot name a resource that may not exist; a conditional reference in Metadata
    // orders the stage after the route when (and only when) it is created.
    this.stage.cfnOptions.metadata = {
      ...this.stage.cfnOptions.metadata,
      [route.logicalId]: Fn.conditionIf(options.condition.logicalId, route.ref, ''),
    };
  }

  private renderRouteSettings(): unknown {
    const settings = (entries: typeof this.routeThrottles) =>
      Object.fromEntries(
        entries.map(({ routeKey, throttle }) => [
          routeKey,
          {
            ThrottlingBurstLimit: throttle.burstLimit,
            ThrottlingRateLimit: throttle.rateLimit,
            DataTraceEnabled: false,
          },
        ]),
      );
    const fixed = settings(this.routeThrottles.filter((entry) => !entry.condition));
    const conditions = [...new Set(this.routeThrottles.flatMap((entry) => entry.condition ?? []))];
    const [condition, ...more] = conditions;
    if (!condition) return fixed;
    if (more.length > 0) {
      throw new StreamingTemplateError('route throttles under more than one condition are not supported');
    }
    return Fn.conditionIf(condition.logicalId, settings(this.routeThrottles), fixed);
  }

  /** Attaches the publisher policy to a role, so its Lambda can stream answers. */
  grantPublish(role: IRole): void {
    this.publisherPolicyRef ??= ManagedPolicy.fromManagedPolicyArn(
      this,
      'PublisherPolicyRef',
      this.publisherPolicyArn,
    );
    role.addManagedPolicy(this.publisherPolicyRef);
  }

  /**
   * Environment a publisher Lambda needs (names from functions/shared/constants.ts ENV), with the
   * log hash key when one was given, so its refs match the connection Lambda's.
   */
  publisherEnvironment(): Record<string, string> {
    return {
      [ENV.callbackUrl]: this.callbackUrl,
      [ENV.tableName]: this.tableName,
      [ENV.webSocketEndpoint]: this.webSocketEndpoint,
      ...this.logHashKeyEnvironment(),
    };
  }

  /** `{ STREAMING_LOG_HASH_KEY }` when a key was given, nothing otherwise. */
  private logHashKeyEnvironment(): Record<string, string> {
    return this.logHashKey === undefined ? {} : { [ENV.logHashKey]: this.logHashKey };
  }
}

/** The routes and integrations of the API: the deployment waits for two, the stage for all. */
interface StreamingRoutes {
  readonly connectRoute: CfnRoute;
  readonly pingRoute: CfnRoute;
  /** Every route, route response and integration, in the order the stage depends on them. */
  readonly all: readonly CfnResource[];
}

/** `{api}.execute-api.{region}.{urlSuffix}/Prod`: the host and stage of both endpoints. */
function stageHost(apiId: string): string {
  return Fn.join('', [apiId, '.execute-api.', Aws.REGION, '.', Aws.URL_SUFFIX, '/', STREAMING_STAGE_NAME]);
}

/**
 * Item-level DynamoDB actions of publishers on the session table: every item is read and written by
 * its key (no Query, no Scan, no index). GetItem reads a session and a connection; a 410 Gone makes
 * the publisher write the session item and the owner's identity item (PutItem, conditional on their
 * version) and delete the connection item (DeleteItem) (functions/shared/session-table.ts
 * `listConnections`, `findConnection`, `deleteConnection`).
 */
export const PUBLISHER_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
] as const;

/** The connection Lambda's: the publisher's, plus UpdateItem for `cancel` (`requestCancel`). */
export const CONNECTION_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

function validateProps(props: QnaStreamingProps): void {
  const { identityBinding, logRetentionDays, throttlingBurstLimit, throttlingRateLimit, vpc } = props;
  if (
    identityBinding !== undefined &&
    !Token.isUnresolved(identityBinding) &&
    !(IDENTITY_BINDINGS as readonly string[]).includes(identityBinding)
  ) {
    throw new StreamingTemplateError(
      `identityBinding must be one of ${IDENTITY_BINDINGS.join(', ')}, got "${identityBinding}"`,
    );
  }
  if (
    logRetentionDays !== undefined &&
    !Token.isUnresolved(logRetentionDays) &&
    !(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)
  ) {
    throw new StreamingTemplateError(
      `logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${logRetentionDays}`,
    );
  }
  for (const name of ['maxSessionsPerIdentity', 'maxTabsPerSession'] as const) {
    const value = props[name];
    const { min, max } = BINDING_LIMITS[name];
    if (
      value !== undefined &&
      !Token.isUnresolved(value) &&
      !(Number.isInteger(value) && value >= min && value <= max)
    ) {
      throw new StreamingTemplateError(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
    }
  }
  for (const [name, value] of [
    ['throttlingBurstLimit', throttlingBurstLimit],
    ['throttlingRateLimit', throttlingRateLimit],
    ['unknownActionThrottle.burstLimit', props.unknownActionThrottle?.burstLimit],
    ['unknownActionThrottle.rateLimit', props.unknownActionThrottle?.rateLimit],
  ] as const) {
    if (value !== undefined && !Token.isUnresolved(value) && !(value > 0)) {
      throw new StreamingTemplateError(`${name} must be a positive number, got ${value}`);
    }
  }
  const { logHashKey } = props;
  if (logHashKey !== undefined && !Token.isUnresolved(logHashKey)) {
    // What functions/shared/config.ts `readLogHashKey` accepts: '' (no key) or 16+ characters after trimming.
    const length = logHashKey.trim().length;
    if (length > 0 && length < MIN_LOG_HASH_KEY_LENGTH) {
      throw new StreamingTemplateError(
        `logHashKey must be empty or at least ${MIN_LOG_HASH_KEY_LENGTH} characters, got ${length}`,
      );
    }
  }
  if (vpc && !vpc.enabled) {
    for (const [name, list] of [
      ['subnetIds', vpc.subnetIds],
      ['securityGroupIds', vpc.securityGroupIds],
    ] as const) {
      if (!Token.isUnresolved(list) && list.length === 0) {
        throw new StreamingTemplateError(`vpc.${name} must not be empty (omit vpc to run outside a VPC)`);
      }
    }
  }
}

/**
 * `ReservedConcurrentExecutions`: -1 drops the property (no reservation); tokens pass through (the
 * template resolves -1 with an `Fn::If`).
 */
export function reservedConcurrencyProperty(value: number): number | undefined {
  if (Token.isUnresolved(value)) return value;
  if (!(Number.isInteger(value) && value >= -1)) {
    throw new StreamingTemplateError(
      `reserved concurrency must be -1 (none) or a whole number from 0, got ${value}`,
    );
  }
  return value === -1 ? undefined : value;
}

/** A number as an environment variable value; a token (a parameter's Ref) stays a token. */
function numberString(value: number): string {
  return Token.isUnresolved(value) ? Token.asString(value) : String(value);
}

/** `RetentionInDays`: 0 (never expire) drops the property; tokens pass through unchanged. */
function retentionProperty(days: number): number | undefined {
  if (Token.isUnresolved(days)) return days;
  return days === 0 ? undefined : days;
}

/** `VpcConfig`: fixed, or inside an `Fn::If` (raw CloudFormation keys, as CDK does not map inside intrinsics). */
function vpcConfigProperty(
  vpc: QnaStreamingVpcProps | undefined,
): CfnFunction.VpcConfigProperty | IResolvable | undefined {
  if (!vpc) return undefined;
  if (!vpc.enabled) return { subnetIds: vpc.subnetIds, securityGroupIds: vpc.securityGroupIds };
  return Fn.conditionIf(
    vpc.enabled.logicalId,
    { SubnetIds: vpc.subnetIds, SecurityGroupIds: vpc.securityGroupIds },
    Aws.NO_VALUE,
  );
}

/** `whenOn` or `whenOff` for a fixed toggle; an `Fn::If` for a deploy-time condition. */
function toggleValue(toggle: boolean | CfnCondition, whenOn: string, whenOff: string): string {
  if (typeof toggle === 'boolean') return toggle ? whenOn : whenOff;
  return Token.asString(Fn.conditionIf(toggle.logicalId, whenOn, whenOff));
}

/** A policy statement present only when the toggle is on (an `Fn::If` with `AWS::NoValue` at deploy time). */
function optionalStatement(toggle: boolean | CfnCondition, statement: PolicyStatement): PolicyStatement[] {
  if (typeof toggle === 'boolean') return toggle ? [statement] : [];
  // An Fn::If in a statement list is a token that CloudFormation resolves to the statement or nothing.
  return [Fn.conditionIf(toggle.logicalId, statement, Aws.NO_VALUE) as unknown as PolicyStatement];
}
