/**
 * Who may call the local AWS doubles. Every double that checks SigV4 looks the access key up here;
 * the local Cognito Identity double registers the temporary credentials it issues, so a request
 * signed with them is attributed to that identity (as `requestContext.identity.cognitoIdentityId`).
 */

export interface LocalIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  /** Required on requests when set (temporary credentials). */
  sessionToken?: string;
  /** Epoch milliseconds after which requests signed with these credentials are refused. */
  expiresAt?: number;
  /** Cognito identity the credentials were issued for. */
  cognitoIdentityId?: string;
  cognitoIdentityPoolId?: string;
  /** `cognito-identity.amazonaws.com` style provider string, for `requestContext.identity`. */
  cognitoAuthenticationProvider?: string;
  cognitoAuthenticationType?: 'authenticated' | 'unauthenticated';
  /** ARN reported as `requestContext.identity.userArn`. */
  userArn: string;
  /** Reported as `requestContext.identity.caller`. */
  caller: string;
  accountId: string;
}

/** Fixed developer credentials of the local stack (printed by `npm start`; never valid on AWS). */
export const DEV_ACCOUNT_ID = '000000000000';
export const DEV_CREDENTIALS = {
  accessKeyId: 'AKIALOCALSTREAMING01',
  secretAccessKey: 'local-streaming-secret-key-not-for-aws-000000',
} as const;

export class CredentialStore {
  private readonly identities = new Map<string, LocalIdentity>();

  constructor(identities: readonly LocalIdentity[] = [devIdentity()]) {
    for (const identity of identities) this.register(identity);
  }

  register(identity: LocalIdentity): void {
    this.identities.set(identity.accessKeyId, identity);
  }

  lookup(accessKeyId: string): LocalIdentity | undefined {
    return this.identities.get(accessKeyId);
  }

  revoke(accessKeyId: string): void {
    this.identities.delete(accessKeyId);
  }
}

export function devIdentity(): LocalIdentity {
  return {
    ...DEV_CREDENTIALS,
    userArn: `arn:aws:iam::${DEV_ACCOUNT_ID}:user/local-developer`,
    caller: DEV_CREDENTIALS.accessKeyId,
    accountId: DEV_ACCOUNT_ID,
  };
}
