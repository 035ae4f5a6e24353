/**
 * Parameters a QnABot-style master and the streaming template share, defined once. The parent
 * declares them with the same names and meaning QnABot's master uses and passes them to the nested
 * streaming stack, so the stack drops into such a master unchanged (a VPC-deployed bot gets its
 * connection Lambda in the same subnets, its log retention and X-Ray setting apply here too).
 */
import { CfnParameter, Fn, type Stack } from 'aws-cdk-lib';
import { MIN_LOG_HASH_KEY_LENGTH } from '../functions/shared/config';
import { BINDING_DEFAULTS, IDENTITY_BINDINGS } from '../functions/shared/constants';
import { BINDING_LIMITS, LOG_RETENTION_DAYS } from './streaming-construct';

/** Parameter names shared with QnABot's master template. */
export const SHARED_PARAMETER_NAMES = {
  bootstrapBucket: 'BootstrapBucket',
  bootstrapPrefix: 'BootstrapPrefix',
  logRetentionPeriod: 'LogRetentionPeriod',
  xraySetting: 'XraySetting',
  vpcSubnetIdList: 'VPCSubnetIdList',
  vpcSecurityGroupIdList: 'VPCSecurityGroupIdList',
} as const;

export interface BootstrapParameters {
  readonly bucket: CfnParameter;
  readonly prefix: CfnParameter;
}

/**
 * QnABot's master template declares `BootstrapPrefix` with `AllowedPattern: '[^ ]*'` and passes
 * it to every nested stack (upstream source/templates/master/index.js). A nested template must
 * accept every value the master accepts, so this is the master's pattern, blank included.
 */
export const BOOTSTRAP_PREFIX_PATTERN = '[^ ]*';

/** Where `npm run package` output was uploaded (QnABot's names and meaning). */
export function addBootstrapParameters(stack: Stack): BootstrapParameters {
  return {
    bucket: new CfnParameter(stack, SHARED_PARAMETER_NAMES.bootstrapBucket, {
      type: 'String',
      description:
        'S3 bucket holding the templates and Lambda zips (npm run package, then upload build/publish/).',
    }),
    prefix: new CfnParameter(stack, SHARED_PARAMETER_NAMES.bootstrapPrefix, {
      type: 'String',
      description:
        'Key prefix of the artifacts in BootstrapBucket, without a trailing slash. The keys are <prefix>/templates/... and <prefix>/lambda/... as in QnABot, so a blank prefix means keys that start with "/".',
      allowedPattern: BOOTSTRAP_PREFIX_PATTERN,
      constraintDescription: 'must not contain spaces (may be blank, as in QnABot)',
    }),
  };
}

export interface SharedSettingsParameters {
  readonly logRetention: CfnParameter;
  readonly xray: CfnParameter;
  readonly subnets: CfnParameter;
  readonly securityGroups: CfnParameter;
}

/** Log retention, X-Ray and VPC settings (QnABot's names, types and meaning). */
export function addSharedSettingsParameters(stack: Stack): SharedSettingsParameters {
  return {
    logRetention: new CfnParameter(stack, SHARED_PARAMETER_NAMES.logRetentionPeriod, {
      type: 'Number',
      default: 30,
      allowedValues: LOG_RETENTION_DAYS.map(String),
      description: 'Days to keep the access logs and Lambda logs; 0 keeps them forever.',
    }),
    xray: new CfnParameter(stack, SHARED_PARAMETER_NAMES.xraySetting, {
      type: 'String',
      default: 'FALSE',
      allowedValues: ['TRUE', 'FALSE'],
      description: 'TRUE turns on X-Ray active tracing of the connection Lambda.',
    }),
    subnets: new CfnParameter(stack, SHARED_PARAMETER_NAMES.vpcSubnetIdList, {
      type: 'CommaDelimitedList',
      default: '',
      description:
        'Subnet ids for the connection Lambda; leave empty to run outside a VPC. The subnets need a route to DynamoDB (e.g. a gateway endpoint).',
    }),
    securityGroups: new CfnParameter(stack, SHARED_PARAMETER_NAMES.vpcSecurityGroupIdList, {
      type: 'CommaDelimitedList',
      default: '',
      description: 'Security group ids for the connection Lambda; used only together with VPCSubnetIdList.',
    }),
  };
}

/**
 * The nested stack's parameter values for the shared settings. Nested stack parameters are strings,
 * so the lists are joined with commas (as QnABot's master passes them).
 */
export function sharedSettingsForNestedStack(shared: SharedSettingsParameters): Record<string, string> {
  return {
    [SHARED_PARAMETER_NAMES.logRetentionPeriod]: shared.logRetention.valueAsString,
    [SHARED_PARAMETER_NAMES.xraySetting]: shared.xray.valueAsString,
    [SHARED_PARAMETER_NAMES.vpcSubnetIdList]: Fn.join(',', shared.subnets.valueAsList),
    [SHARED_PARAMETER_NAMES.vpcSecurityGroupIdList]: Fn.join(',', shared.securityGroups.valueAsList),
  };
}

/**
 * Parameters QnABot's master passes to its streaming nested stack that this template has no use
 * for (upstream source/templates/master/streamingstack.js): QnABot's streaming template uses
 * CFNLambda for a custom resource that reads the zip's S3 version; we key zips by content hash
 * instead. CloudFormation refuses a nested-stack parameter the template does not declare, so they
 * are declared, with a default so a standalone deploy can leave them out.
 */
export const QNABOT_MASTER_ONLY_PARAMETER_NAMES = {
  cfnLambda: 'CFNLambda',
  cfnInvokePolicy: 'CFNInvokePolicy',
  s3Clean: 'S3Clean',
} as const;

/** Declares CFNLambda, CFNInvokePolicy and S3Clean: accepted, never referenced. */
export function addQnabotMasterOnlyParameters(stack: Stack): CfnParameter[] {
  const what: Record<keyof typeof QNABOT_MASTER_ONLY_PARAMETER_NAMES, string> = {
    cfnLambda: "ARN of the QnABot master's custom-resource Lambda",
    cfnInvokePolicy: "ARN of the QnABot master's policy for invoking that Lambda",
    s3Clean: "ARN of the QnABot master's bucket-emptying Lambda",
  };
  return (Object.keys(QNABOT_MASTER_ONLY_PARAMETER_NAMES) as (keyof typeof what)[]).map(
    (key) =>
      new CfnParameter(stack, QNABOT_MASTER_ONLY_PARAMETER_NAMES[key], {
        type: 'String',
        default: '',
        description: `${what[key]}: accepted for compatibility with the QnABot master; unused. Leave empty.`,
      }),
  );
}

/** Name of the log hash key parameter, in the streaming template and in parents. */
export const LOG_HASH_KEY_PARAMETER = 'LogHashKey';

/**
 * Empty, or at least MIN_LOG_HASH_KEY_LENGTH characters: what functions/shared/config.ts
 * `readLogHashKey` accepts ('' is unset there, so the Lambdas draw a random key per container).
 */
export const LOG_HASH_KEY_PATTERN = `^$|^.{${MIN_LOG_HASH_KEY_LENGTH},}$`;

/**
 * `LogHashKey`: STREAMING_LOG_HASH_KEY of the Lambdas, declared the same way in the streaming
 * template and in parents (which pass it on and set it on their own publishers). NoEcho keeps it
 * out of the console and DescribeStacks; it keeps a default ('') because a QnABot master passes only
 * its own parameters to the nested stack.
 */
export function addLogHashKeyParameter(stack: Stack): CfnParameter {
  return new CfnParameter(stack, LOG_HASH_KEY_PARAMETER, {
    type: 'String',
    noEcho: true,
    default: '',
    allowedPattern: LOG_HASH_KEY_PATTERN,
    constraintDescription: `must be empty or at least ${MIN_LOG_HASH_KEY_LENGTH} characters`,
    description: `Key (at least ${MIN_LOG_HASH_KEY_LENGTH} characters) of the keyed hashes that stand for session and identity ids in the Lambda logs (sessionRef, identityRef): with one key, the lines of a session match across the connection, ask and publisher (fulfillment, QnABot hook) Lambdas and their containers; give publishers outside this stack the same value as STREAMING_LOG_HASH_KEY. Empty: each Lambda container draws its own random key, so refs match only within one container. Whoever holds the key can compute the ref of an id they know: keep it as private as the logs.`,
  });
}

/**
 * Settings of the streaming template an admin of a nested deployment sets on the parent (the
 * guides tell admins to set them: the identity binding and its caps, the region's API Gateway
 * logging role, the direct-ask route and the one model it may call, the alarms). Declared once,
 * here, by the streaming template and by parents alike, with the same names, defaults and
 * constraints, so a parent that leaves them alone deploys the nested stack exactly as before. The
 * other streaming parameters (throttles, reserved concurrency, the ask route's spend limits) keep
 * their template defaults under a parent.
 */
export const PARENT_SETTING_NAMES = {
  identityBinding: 'IdentityBinding',
  maxSessionsPerIdentity: 'MaxSessionsPerIdentity',
  maxTabsPerSession: 'MaxTabsPerSession',
  configureApiGatewayAccount: 'ConfigureApiGatewayAccount',
  enableDirectAsk: 'EnableDirectAsk',
  directAskModelId: 'DirectAskModelId',
  enableAlarms: 'EnableAlarms',
  alarmEmail: 'AlarmEmail',
  alarmTimeToFirstTokenMs: 'AlarmTimeToFirstTokenMs',
  alarmErrorThreshold: 'AlarmErrorThreshold',
} as const;

export interface IdentityBindingParameters {
  readonly identityBinding: CfnParameter;
  readonly maxSessions: CfnParameter;
  readonly maxTabs: CfnParameter;
}

/** `IdentityBinding`, `MaxSessionsPerIdentity`, `MaxTabsPerSession`. */
export function addIdentityBindingParameters(stack: Stack): IdentityBindingParameters {
  const n = PARENT_SETTING_NAMES;
  return {
    identityBinding: new CfnParameter(stack, n.identityBinding, {
      type: 'String',
      default: BINDING_DEFAULTS.identityBinding,
      allowedValues: [...IDENTITY_BINDINGS],
      description:
        "Who may open a socket for a session id. OWNER: the first identity to connect with a session id owns it while it has open tabs or a recent claim; a session id shaped like a Cognito identity id belongs to that identity only; stock Lex Web UI works. STRICT: sessionId must be the caller's Cognito identity id (the plugin's default). OFF: any signed caller may use any session id (QnABot's behaviour).",
    }),
    maxSessions: new CfnParameter(stack, n.maxSessionsPerIdentity, {
      type: 'Number',
      default: BINDING_DEFAULTS.maxSessionsPerIdentity,
      minValue: BINDING_LIMITS.maxSessionsPerIdentity.min,
      maxValue: BINDING_LIMITS.maxSessionsPerIdentity.max,
      description: 'OWNER binding: how many session ids one identity may own at once (403 past it).',
    }),
    maxTabs: new CfnParameter(stack, n.maxTabsPerSession, {
      type: 'Number',
      default: BINDING_DEFAULTS.maxTabsPerSession,
      minValue: BINDING_LIMITS.maxTabsPerSession.min,
      maxValue: BINDING_LIMITS.maxTabsPerSession.max,
      description: 'How many tabs (sockets) one session may have open at once (403 past it).',
    }),
  };
}

/** `ConfigureApiGatewayAccount`: TRUE sets the region-wide API Gateway CloudWatch Logs role. */
export function addConfigureApiGatewayAccountParameter(stack: Stack): CfnParameter {
  return new CfnParameter(stack, PARENT_SETTING_NAMES.configureApiGatewayAccount, {
    type: 'String',
    default: 'FALSE',
    allowedValues: ['TRUE', 'FALSE'],
    description:
      'TRUE sets the region-wide API Gateway CloudWatch Logs role (needed once per account and region for WebSocket access logs). Leave FALSE if it is already set: it is shared by every API in the region.',
  });
}

export interface DirectAskSwitchParameters {
  readonly enableDirectAsk: CfnParameter;
  readonly directAskModelId: CfnParameter;
}

/** `EnableDirectAsk` and `DirectAskModelId`: the ask route, and the one model it may call. */
export function addDirectAskSwitchParameters(stack: Stack): DirectAskSwitchParameters {
  const n = PARENT_SETTING_NAMES;
  return {
    enableDirectAsk: new CfnParameter(stack, n.enableDirectAsk, {
      type: 'String',
      default: 'FALSE',
      allowedValues: ['TRUE', 'FALSE'],
      description:
        'TRUE adds the "ask" route for apps without Lex: a client sends {"action":"ask","question":"..."} on its socket and the answer streams back to its session.',
    }),
    directAskModelId: new CfnParameter(stack, n.directAskModelId, {
      type: 'String',
      default: 'amazon.nova-micro-v1:0',
      minLength: 1,
      description:
        'Bedrock foundation model (a model id, not an inference profile) that answers "ask" messages; the only model the ask Lambda may call. Used only when EnableDirectAsk=TRUE.',
    }),
  };
}

export interface AlarmParameters {
  readonly enableAlarms: CfnParameter;
  readonly alarmEmail: CfnParameter;
  readonly alarmTtft: CfnParameter;
  readonly alarmErrors: CfnParameter;
}

/** `EnableAlarms`, `AlarmEmail`, `AlarmTimeToFirstTokenMs`, `AlarmErrorThreshold`. */
export function addAlarmParameters(stack: Stack): AlarmParameters {
  const n = PARENT_SETTING_NAMES;
  return {
    enableAlarms: new CfnParameter(stack, n.enableAlarms, {
      type: 'String',
      default: 'FALSE',
      allowedValues: ['TRUE', 'FALSE'],
      description:
        'TRUE creates CloudWatch alarms (failed answers, p90 time to first token) and an SNS topic for them. Setting AlarmEmail turns them on as well.',
    }),
    alarmEmail: new CfnParameter(stack, n.alarmEmail, {
      type: 'String',
      default: '',
      allowedPattern: '^$|^[^@\\s]+@[^@\\s]+$',
      constraintDescription: 'must be empty or an email address',
      description:
        'Email address subscribed to the alarm topic (confirm the subscription mail); empty for none. Non-empty turns the alarms on.',
    }),
    alarmTtft: new CfnParameter(stack, n.alarmTimeToFirstTokenMs, {
      type: 'Number',
      default: 3000,
      minValue: 100,
      description:
        'Alarm when the p90 time to first token of any publisher stays above this many milliseconds.',
    }),
    alarmErrors: new CfnParameter(stack, n.alarmErrorThreshold, {
      type: 'Number',
      default: 1,
      minValue: 1,
      description: 'Alarm when this many answers fail (plus connection Lambda errors) within 5 minutes.',
    }),
  };
}

/** The parent-settable streaming parameters, declared together (a parent's, in this order). */
export interface ParentSettingsParameters {
  readonly binding: IdentityBindingParameters;
  readonly configureApiGatewayAccount: CfnParameter;
  readonly directAsk: DirectAskSwitchParameters;
  readonly alarms: AlarmParameters;
}

export function addParentSettingsParameters(stack: Stack): ParentSettingsParameters {
  return {
    binding: addIdentityBindingParameters(stack),
    configureApiGatewayAccount: addConfigureApiGatewayAccountParameter(stack),
    directAsk: addDirectAskSwitchParameters(stack),
    alarms: addAlarmParameters(stack),
  };
}

/** The nested stack's values for the parent-settable parameters: each the parent's own. */
export function parentSettingsForNestedStack(settings: ParentSettingsParameters): Record<string, string> {
  const n = PARENT_SETTING_NAMES;
  const { binding, directAsk, alarms } = settings;
  return {
    [n.identityBinding]: binding.identityBinding.valueAsString,
    [n.maxSessionsPerIdentity]: binding.maxSessions.valueAsString,
    [n.maxTabsPerSession]: binding.maxTabs.valueAsString,
    [n.configureApiGatewayAccount]: settings.configureApiGatewayAccount.valueAsString,
    [n.enableDirectAsk]: directAsk.enableDirectAsk.valueAsString,
    [n.directAskModelId]: directAsk.directAskModelId.valueAsString,
    [n.enableAlarms]: alarms.enableAlarms.valueAsString,
    [n.alarmEmail]: alarms.alarmEmail.valueAsString,
    [n.alarmTimeToFirstTokenMs]: alarms.alarmTtft.valueAsString,
    [n.alarmErrorThreshold]: alarms.alarmErrors.valueAsString,
  };
}
