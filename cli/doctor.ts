/**
 * `doctor`: reads a deployed bot (or streaming) stack and checks what admins get wrong: streaming
 * left off, the StreamingWebSocketEndpoint output missing, QnABot's own streaming template still in
 * place, the publisher policy not attached to the role of the Lambda that streams, the session
 * table's TTL off. It also says which identity binding the streaming stack runs and what that
 * means. Each failed check says what to do.
 *
 * IAM is read from the stack's own template, not from IAM (the CLI carries no IAM client): a role
 * defined outside the stack is reported as skipped, with the command to check it by hand.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  type Output,
  type Parameter,
  type Stack,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ENV, IDENTITY_BINDINGS, type IdentityBinding, TABLE } from '../functions/shared/constants';
import { STREAMING_OUTPUTS, STREAMING_PARAMETERS } from '../templates/streaming-stack';
import { type Command, requiredFlag, stringFlag } from './command';
import {
  CliError,
  EXIT,
  errorName,
  isMissingCredentials,
  MISSING_CREDENTIALS_HELP,
  networkErrorCode,
  networkFailure,
} from './errors';
import { line } from './io';

/** The parent's toggle (parent-fragment.json). */
export const ENABLE_STREAMING_PARAMETER = 'EnableStreaming';

/** Where QnABot admins learn to replace QnABot's streaming template with ours. */
export const QNABOT_GUIDE = 'docs/qnabot-admin-guide.md';

/** What each IdentityBinding mode means for who can read a session's stream (one line each). */
export const IDENTITY_BINDING_MEANINGS: Readonly<Record<IdentityBinding, string>> = {
  OWNER:
    'a session id belongs to the first identity that connects with it while it has open tabs or a recent claim; any other identity gets 403',
  STRICT: "sessionId must be the caller's Cognito identity id; any other $connect gets 403",
  OFF: "any signed caller can read any session's stream, QnABot's behaviour",
};

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface DoctorCheck {
  readonly status: CheckStatus;
  /** What was found. */
  readonly summary: string;
  /** What to do (failed and skipped checks). */
  readonly fix?: string;
}

export interface DoctorDeps {
  readonly cloudFormation: CloudFormationClient;
  readonly dynamoDb: DynamoDBClient;
  /** The environment the clients read: names an AWS_ENDPOINT_URL_* override when AWS cannot be reached. @default {} */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Where a call went, for the message when it never arrived. */
interface CallTarget {
  readonly service: 'CloudFormation' | 'DynamoDB';
  readonly region: string;
  readonly deps: DoctorDeps;
}

type TemplateResources = Record<string, { Type?: string; Properties?: Record<string, unknown> }>;

const ok = (summary: string): DoctorCheck => ({ status: 'ok', summary });
const fail = (summary: string, fix: string): DoctorCheck => ({ status: 'fail', summary, fix });
const skip = (summary: string, fix: string): DoctorCheck => ({ status: 'skip', summary, fix });

function stackValue(items: readonly (Output | Parameter)[] | undefined, key: string): string | undefined {
  for (const item of items ?? []) {
    if ('OutputKey' in item && item.OutputKey === key) return item.OutputValue;
    if ('ParameterKey' in item && item.ParameterKey === key) return item.ParameterValue;
  }
  return undefined;
}

function awsFailure(error: unknown, doing: string, target: CallTarget): CliError {
  if (isMissingCredentials(error)) return new CliError(MISSING_CREDENTIALS_HELP, { cause: error });
  if (networkErrorCode(error)) {
    const { service, region, deps } = target;
    return networkFailure(error, { doing, service, region, env: deps.env ?? {} });
  }
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new CliError(`${doing} failed: ${detail}`, { cause: error });
}

async function describeStack(stackName: string, deps: DoctorDeps, region: string): Promise<Stack> {
  try {
    const result = await deps.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = result.Stacks?.[0];
    if (stack) return stack;
  } catch (error) {
    if (
      !(errorName(error) === 'ValidationError' && /does not exist/.test(String((error as Error).message)))
    ) {
      throw awsFailure(error, `reading stack ${stackName}`, { service: 'CloudFormation', region, deps });
    }
  }
  throw new CliError(
    `stack "${stackName}" does not exist in ${region}: pass the bot's stack name (aws cloudformation list-stacks --region ${region}) and --region with its region`,
  );
}

function statusCheck(stack: Stack): DoctorCheck {
  const status = stack.StackStatus ?? 'UNKNOWN';
  if (/_COMPLETE$/.test(status) && !/ROLLBACK|DELETE/.test(status)) return ok(`stack status ${status}`);
  return fail(
    `stack status ${status}`,
    /IN_PROGRESS$/.test(status)
      ? 'wait for the stack operation to finish, then run doctor again'
      : `the last operation did not succeed: read why with aws cloudformation describe-stack-events --stack-name ${stack.StackName}`,
  );
}

async function listResources(stackName: string, deps: DoctorDeps): Promise<StackResourceSummary[]> {
  const out: StackResourceSummary[] = [];
  let token: string | undefined;
  do {
    const page = await deps.cloudFormation.send(
      new ListStackResourcesCommand({ StackName: stackName, ...(token ? { NextToken: token } : {}) }),
    );
    out.push(...(page.StackResourceSummaries ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

interface NestedStreamingStack {
  readonly logicalId: string;
  readonly stack: Stack;
  /** `ours`: this project's template (it has the publisher policy output); `qnabot`: QnABot's own. */
  readonly template: 'ours' | 'qnabot';
}

/**
 * The streaming nested stack among the parent's resources: ours names the publisher policy in its
 * outputs; QnABot 7's own streaming template has the WebSocket API id output but not that one.
 */
async function findStreamingNestedStack(
  stackName: string,
  deps: DoctorDeps,
): Promise<NestedStreamingStack | undefined> {
  const resources = await listResources(stackName, deps);
  let qnabot: NestedStreamingStack | undefined;
  for (const resource of resources) {
    if (resource.ResourceType !== 'AWS::CloudFormation::Stack' || !resource.PhysicalResourceId) continue;
    const result = await deps.cloudFormation.send(
      new DescribeStacksCommand({ StackName: resource.PhysicalResourceId }),
    );
    const nested = result.Stacks?.[0];
    if (!nested) continue;
    const logicalId = resource.LogicalResourceId ?? resource.PhysicalResourceId;
    if (stackValue(nested.Outputs, STREAMING_OUTPUTS.publisherPolicyArn) !== undefined) {
      return { logicalId, stack: nested, template: 'ours' };
    }
    if (stackValue(nested.Outputs, STREAMING_OUTPUTS.apiId) !== undefined) {
      qnabot ??= { logicalId, stack: nested, template: 'qnabot' };
    }
  }
  return qnabot;
}

function isIdentityBinding(value: string): value is IdentityBinding {
  return (IDENTITY_BINDINGS as readonly string[]).includes(value);
}

/** Which IdentityBinding the streaming stack runs (its parameter), and what that means. */
export function identityBindingCheck(streaming: Stack): DoctorCheck {
  const parameter = STREAMING_PARAMETERS.identityBinding;
  const mode = stackValue(streaming.Parameters, parameter);
  const update = `package the current release and update the stack (a QnABot master: ${QNABOT_GUIDE})`;
  if (mode === undefined) {
    return skip(
      `identity binding: the streaming stack has no ${parameter} parameter, so its template predates the binding modes`,
      update,
    );
  }
  if (!isIdentityBinding(mode)) {
    return skip(
      `identity binding: ${parameter}=${mode} comes from an older streaming template (the modes now are ${IDENTITY_BINDINGS.join(', ')})`,
      update,
    );
  }
  return ok(`identity binding ${mode}: ${IDENTITY_BINDING_MEANINGS[mode]}`);
}

function contains(value: unknown, predicate: (node: unknown) => boolean): boolean {
  if (predicate(value)) return true;
  if (Array.isArray(value)) return value.some((item) => contains(item, predicate));
  if (value && typeof value === 'object')
    return Object.values(value).some((item) => contains(item, predicate));
  return false;
}

/** A template value that is (or contains) the publisher policy: the nested output, or its ARN. */
function referencesPublisherPolicy(value: unknown, policyArn: string | undefined): boolean {
  const output = `Outputs.${STREAMING_OUTPUTS.publisherPolicyArn}`;
  return contains(
    value,
    (node) =>
      (typeof node === 'string' && (node === policyArn || node.endsWith(`.${output}`))) ||
      (Array.isArray(node) && node.length === 2 && node[1] === output),
  );
}

/** An inline policy that grants what the publisher policy grants (execute-api:ManageConnections). */
function grantsManageConnections(policies: unknown): boolean {
  return contains(
    policies,
    (node) =>
      node === 'execute-api:ManageConnections' ||
      node === 'execute-api:*' ||
      (Array.isArray(node) && node.includes('execute-api:ManageConnections')),
  );
}

function roleLogicalId(role: unknown): string | undefined {
  if (!role || typeof role !== 'object') return undefined;
  const getAtt = (role as Record<string, unknown>)['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string' && getAtt.endsWith('.Arn')) return getAtt.slice(0, -'.Arn'.length);
  return undefined;
}

/** Checks, from the stack's template, that every Lambda that streams has the publisher policy. */
export function publisherPolicyChecks(templateBody: string, policyArn: string | undefined): DoctorCheck[] {
  const attachHow = policyArn
    ? `aws iam attach-role-policy --role-name <role> --policy-arn ${policyArn}`
    : 'attach the StreamingPublisherPolicyArn output of the streaming stack to that role';
  let template: { Resources?: TemplateResources };
  try {
    template = JSON.parse(templateBody) as { Resources?: TemplateResources };
  } catch {
    return [
      skip(
        'publisher policy: the stack template is not JSON (YAML?), so its roles were not read',
        `make sure the role of your fulfillment Lambda / QnABot hook has the publisher policy: ${attachHow}`,
      ),
    ];
  }
  const resources = template.Resources ?? {};
  const publishers = Object.entries(resources).filter(
    ([, resource]) =>
      resource.Type === 'AWS::Lambda::Function' &&
      contains(resource.Properties?.Environment, (node) => {
        if (!node || typeof node !== 'object' || Array.isArray(node)) return false;
        return ENV.callbackUrl in node;
      }),
  );
  if (publishers.length === 0) {
    return [
      skip(
        `publisher policy: no Lambda of this stack sets ${ENV.callbackUrl}, so the Lambda that streams lives elsewhere`,
        `attach the policy to that Lambda's role yourself (${attachHow}); check with aws iam list-attached-role-policies --role-name <role>`,
      ),
    ];
  }
  return publishers.map(([functionId, resource]) => {
    const roleId = roleLogicalId(resource.Properties?.Role);
    const role = roleId ? resources[roleId] : undefined;
    if (!roleId || role?.Type !== 'AWS::IAM::Role') {
      return skip(
        `publisher policy of ${functionId}: its role is defined outside this stack and this tool does not read IAM`,
        `check it with aws iam list-attached-role-policies --role-name <role>, and if the policy is missing: ${attachHow}`,
      );
    }
    const properties = role.Properties ?? {};
    if (
      referencesPublisherPolicy(properties.ManagedPolicyArns, policyArn) ||
      grantsManageConnections(properties.Policies)
    ) {
      return ok(`publisher policy attached to ${roleId}, the role of ${functionId}`);
    }
    return fail(
      `${functionId} streams (${ENV.callbackUrl} is set) but its role ${roleId} lacks the publisher policy: every post to the socket is refused with 403 and only Lex's final answer arrives`,
      `add { "Fn::GetAtt": ["<streaming nested stack>", "Outputs.${STREAMING_OUTPUTS.publisherPolicyArn}"] } to ManagedPolicyArns of ${roleId} (as parent-example.json does) and update the stack, or: ${attachHow}`,
    );
  });
}

async function ttlCheck(
  tableName: string | undefined,
  deps: DoctorDeps,
  region: string,
): Promise<DoctorCheck> {
  if (!tableName) {
    return skip(
      'session table TTL: no StreamingDynamoDbTable output to read the table name from',
      'deploy the current streaming template, which has the output',
    );
  }
  const fixCommand = `aws dynamodb update-time-to-live --table-name ${tableName} --time-to-live-specification Enabled=true,AttributeName=${TABLE.ttlAttribute}`;
  try {
    const result = await deps.dynamoDb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const description = result.TimeToLiveDescription;
    const status = description?.TimeToLiveStatus ?? 'DISABLED';
    if (status === 'ENABLED' || status === 'ENABLING') {
      if (description?.AttributeName !== TABLE.ttlAttribute) {
        return fail(
          `session table ${tableName}: TTL is on attribute "${description?.AttributeName}", but connection items expire by "${TABLE.ttlAttribute}"`,
          `turn TTL off, wait for it to be disabled, then: ${fixCommand}`,
        );
      }
      return ok(`session table ${tableName}: TTL ${status.toLowerCase()} on "${TABLE.ttlAttribute}"`);
    }
    return fail(
      `session table ${tableName}: TTL is ${status.toLowerCase()}, so items of closed connections pile up forever`,
      fixCommand,
    );
  } catch (error) {
    switch (errorName(error)) {
      case 'ResourceNotFoundException':
        return fail(
          `session table ${tableName} does not exist`,
          'the streaming stack is damaged: update it so CloudFormation recreates the table',
        );
      case 'AccessDeniedException':
        return skip(
          `session table ${tableName}: not allowed to read its TTL setting`,
          'run doctor with credentials that may call dynamodb:DescribeTimeToLive',
        );
      default:
        throw awsFailure(error, `reading the TTL of ${tableName}`, { service: 'DynamoDB', region, deps });
    }
  }
}

/** Runs every check on `stackName`; the first failure that hides the rest ends the list. */
export async function diagnoseStack(
  stackName: string,
  region: string,
  deps: DoctorDeps,
): Promise<DoctorCheck[]> {
  const stack = await describeStack(stackName, deps, region);
  const checks: DoctorCheck[] = [statusCheck(stack)];
  const isStreamingStack = stackValue(stack.Outputs, STREAMING_OUTPUTS.publisherPolicyArn) !== undefined;

  const toggle = stackValue(stack.Parameters, ENABLE_STREAMING_PARAMETER);
  if (!isStreamingStack) {
    if (toggle === undefined) {
      checks.push(
        fail(
          `${stackName} has no ${ENABLE_STREAMING_PARAMETER} parameter and is not a streaming stack`,
          'merge build/templates/parent-fragment.json into the bot template (docs/admin-guide.md), or pass --stack with the streaming stack',
        ),
      );
    } else if (toggle !== 'TRUE') {
      checks.push(
        fail(
          `${ENABLE_STREAMING_PARAMETER} is ${toggle}`,
          `aws cloudformation update-stack --stack-name ${stackName} --use-previous-template --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --parameters ParameterKey=${ENABLE_STREAMING_PARAMETER},ParameterValue=TRUE plus ParameterKey=<name>,UsePreviousValue=true for each other parameter`,
        ),
      );
      return checks;
    } else {
      checks.push(ok(`${ENABLE_STREAMING_PARAMETER} is TRUE`));
    }
  }

  const endpoint = stackValue(stack.Outputs, STREAMING_OUTPUTS.webSocketEndpoint);
  checks.push(
    endpoint
      ? ok(`${STREAMING_OUTPUTS.webSocketEndpoint} = ${endpoint}`)
      : fail(
          `the ${STREAMING_OUTPUTS.webSocketEndpoint} output is missing, so chat clients cannot be configured from the stack`,
          `add the output of parent-fragment.json ({ "Fn::GetAtt": ["<streaming nested stack>", "Outputs.${STREAMING_OUTPUTS.webSocketEndpoint}"] } under the StreamingEnabled condition) and update the stack`,
        ),
  );

  let streaming: Stack | undefined = isStreamingStack ? stack : undefined;
  try {
    if (!streaming) {
      const nested = await findStreamingNestedStack(stackName, deps);
      if (nested?.template === 'qnabot') {
        checks.push(
          fail(
            `streaming nested stack ${nested.logicalId} runs QnABot's own streaming template: ${IDENTITY_BINDING_MEANINGS.OFF}, and one tab per session`,
            `upload qna-streaming's templates/streaming.json and lambda/*.zip under the master's BootstrapPrefix and update the master with every parameter unchanged (${QNABOT_GUIDE})`,
          ),
        );
      } else if (nested) {
        streaming = nested.stack;
        checks.push(ok(`streaming nested stack ${nested.logicalId} (${nested.stack.StackStatus})`));
      } else {
        checks.push(
          fail(
            'no streaming nested stack among the stack’s resources',
            `add the StreamingStack resource of parent-fragment.json (TemplateURL of templates/streaming.json as printed by qna-streaming publish) and update with ${ENABLE_STREAMING_PARAMETER}=TRUE`,
          ),
        );
      }
    }
  } catch (error) {
    throw awsFailure(error, `listing the resources of ${stackName}`, {
      service: 'CloudFormation',
      region,
      deps,
    });
  }
  if (streaming) checks.push(identityBindingCheck(streaming));

  const policyArn = stackValue(streaming?.Outputs, STREAMING_OUTPUTS.publisherPolicyArn);
  if (isStreamingStack) {
    checks.push(
      skip(
        'publisher policy: this is the streaming stack; the Lambdas that stream live in another stack',
        `run doctor on the bot's stack, or attach the policy yourself: aws iam attach-role-policy --role-name <role> --policy-arn ${policyArn}`,
      ),
    );
  } else {
    let body: string | undefined;
    try {
      const result = await deps.cloudFormation.send(
        new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }),
      );
      body = result.TemplateBody;
    } catch (error) {
      throw awsFailure(error, `reading the template of ${stackName}`, {
        service: 'CloudFormation',
        region,
        deps,
      });
    }
    checks.push(...publisherPolicyChecks(body ?? '{}', policyArn));
  }

  if (streaming)
    checks.push(await ttlCheck(stackValue(streaming.Outputs, STREAMING_OUTPUTS.tableName), deps, region));
  return checks;
}

const LABELS: Record<CheckStatus, string> = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' };

export function formatChecks(checks: readonly DoctorCheck[]): string {
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`  ${LABELS[check.status]}  ${check.summary}`);
    if (check.fix) lines.push(`        ${check.status === 'fail' ? 'fix' : 'do '}: ${check.fix}`);
  }
  const failures = checks.filter((check) => check.status === 'fail').length;
  lines.push(
    failures === 0
      ? 'no problems found'
      : `${failures} problem${failures === 1 ? '' : 's'} found: fix ${failures === 1 ? 'it' : 'them'} and run doctor again`,
  );
  return `${lines.join('\n')}\n`;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Check a deployed stack for what breaks streaming, and say how to fix it.',
  synopsis: 'doctor --stack NAME [--region REGION]',
  flags: {
    stack: {
      type: 'string',
      placeholder: 'NAME',
      description: "the bot's stack (with EnableStreaming) or the streaming stack itself",
      required: true,
    },
    region: {
      type: 'string',
      placeholder: 'REGION',
      description: "the stack's region (default: AWS_REGION or your profile's region)",
    },
  },
  details: `Checks: stack status, ${ENABLE_STREAMING_PARAMETER}=TRUE, the ${STREAMING_OUTPUTS.webSocketEndpoint} output, the streaming
nested stack (and that a QnABot master runs this project's streaming template, not QnABot's), which
${STREAMING_PARAMETERS.identityBinding} it runs and what that means, the publisher policy on the role of each Lambda that sets ${ENV.callbackUrl} (read from the
stack's template; roles outside the stack are skipped, as this tool does not call IAM), and the
session table's TTL on "${TABLE.ttlAttribute}". Exit code 1 when a check fails.
Unused here but related: ${STREAMING_PARAMETERS.enableDirectAsk}=TRUE enables \`qna-streaming ask\`.`,
  async run(args, io) {
    const stackName = requiredFlag(args, 'stack');
    const regionFlag = stringFlag(args, 'region') ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    const config = regionFlag ? { region: regionFlag } : {};
    const deps: DoctorDeps = {
      cloudFormation: new CloudFormationClient(config),
      dynamoDb: new DynamoDBClient(config),
      env: io.env,
    };
    try {
      let region: string;
      try {
        region = await deps.cloudFormation.config.region();
      } catch (error) {
        throw new CliError("no AWS region: pass --region (the stack's region) or set AWS_REGION", {
          cause: error,
        });
      }
      line(io, `doctor: stack ${stackName} in ${region}`);
      const checks = await diagnoseStack(stackName, region, deps);
      io.out(formatChecks(checks));
      return checks.some((check) => check.status === 'fail') ? EXIT.failure : EXIT.ok;
    } finally {
      deps.cloudFormation.destroy();
      deps.dynamoDb.destroy();
    }
  },
};
