/**
 * Parameters a QnABot-style master and the streaming template share, defined once. The parent
 * declares them with the same names and meaning QnABot's master uses and passes them to the nested
 * streaming stack, so the stack drops into such a master unchanged (a VPC-deployed bot gets its
 * connection Lambda in the same subnets, its log retention and X-Ray setting apply here too).
 */
import { CfnParameter, Fn, type Stack } from 'aws-cdk-lib';
import { LOG_RETENTION_DAYS } from './streaming-construct';

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
      description: 'Key prefix of the artifacts in BootstrapBucket, without leading or trailing slash.',
      allowedPattern: '^[^/](.*[^/])?$',
      constraintDescription: 'must be non-empty and must not start or end with "/"',
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
