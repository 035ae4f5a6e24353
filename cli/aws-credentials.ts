/**
 * Credentials and region from the AWS SDK's default chain (environment, AWS_PROFILE / ~/.aws,
 * SSO, container and instance roles), reached through a client's resolved config, so the CLI needs
 * no credential-provider package of its own.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { ClientCredentials } from '../web-plugin/client';
import {
  CliError,
  credentialsUnreachable,
  isMissingCredentials,
  MISSING_CREDENTIALS_HELP,
  networkErrorCode,
} from './errors';

/** Resolves the default chain's credentials once; a clear CliError when there are none. */
export async function defaultCredentials(region: string): Promise<ClientCredentials> {
  const client = new CloudFormationClient({ region });
  try {
    const identity = await client.config.credentials();
    return {
      accessKeyId: identity.accessKeyId,
      secretAccessKey: identity.secretAccessKey,
      ...(identity.sessionToken ? { sessionToken: identity.sessionToken } : {}),
      ...(identity.expiration ? { expiration: identity.expiration } : {}),
    };
  } catch (error) {
    if (isMissingCredentials(error)) throw new CliError(MISSING_CREDENTIALS_HELP, { cause: error });
    if (networkErrorCode(error)) throw credentialsUnreachable(error);
    const detail = error instanceof Error ? error.message : String(error);
    throw new CliError(`could not load AWS credentials: ${detail}`, { cause: error });
  } finally {
    client.destroy();
  }
}
