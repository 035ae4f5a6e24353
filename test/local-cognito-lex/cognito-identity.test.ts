import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  NotAuthorizedException,
  ResourceNotFoundException,
} from '@aws-sdk/client-cognito-identity';
import { type LocalCognitoIdentity, startLocalCognitoIdentity } from '../../cli/local-stack/cognito-identity';
import { CredentialStore } from '../../cli/local-stack/credentials';

const REGION = 'us-east-1';

/** The JWT shape a user pool hands out; only the `sub` claim matters locally. */
function fakeIdToken(sub: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'RS256' })}.${encode({ sub, token_use: 'id' })}.signature`;
}

describe('local Cognito Identity', () => {
  const credentials = new CredentialStore();
  let cognito: LocalCognitoIdentity;
  let client: CognitoIdentityClient;

  beforeAll(async () => {
    cognito = await startLocalCognitoIdentity({
      credentials,
      region: REGION,
      credentialLifetimeSeconds: 900,
    });
    // Both calls are unsigned on AWS: the client needs no credentials, exactly like a browser.
    client = new CognitoIdentityClient({ endpoint: cognito.endpoint, region: REGION, maxAttempts: 1 });
  });

  afterAll(async () => {
    client.destroy();
    await cognito.stop();
  });

  it('issues temporary credentials for a guest and registers them for the other doubles', async () => {
    // Prepare
    const before = Date.now();

    // Act: the two calls a browser makes without @aws-sdk/credential-providers.
    const { IdentityId } = await client.send(new GetIdCommand({ IdentityPoolId: cognito.identityPoolId }));
    const answer = await client.send(new GetCredentialsForIdentityCommand({ IdentityId }));
    const after = Date.now();

    // Assess
    expect(IdentityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
    expect(answer.IdentityId).toBe(IdentityId);
    const issued = answer.Credentials;
    expect(issued?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(issued?.SecretKey).toBeTruthy();
    expect(issued?.SessionToken).toBeTruthy();
    expect(issued?.Expiration).toBeInstanceOf(Date);
    // 900 s after issue (Expiration is whole seconds); bounded by when the calls ran, not by how fast.
    const expiresAt = issued?.Expiration?.getTime() ?? 0;
    expect(expiresAt).toBeGreaterThanOrEqual(before + 900_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(after + 900_000);

    const registered = credentials.lookup(issued?.AccessKeyId ?? '');
    expect(registered).toMatchObject({
      secretAccessKey: issued?.SecretKey,
      sessionToken: issued?.SessionToken,
      expiresAt: issued?.Expiration?.getTime(),
      cognitoIdentityId: IdentityId,
      cognitoIdentityPoolId: cognito.identityPoolId,
      cognitoAuthenticationType: 'unauthenticated',
      userArn:
        'arn:aws:sts::000000000000:assumed-role/qna_streaming_local-unauth-role/CognitoIdentityCredentials',
      accountId: '000000000000',
    });
    expect(registered?.caller).toMatch(/^AROA[A-Z2-7]{17}:CognitoIdentityCredentials$/);
    expect(cognito.issued()).toContainEqual(
      expect.objectContaining({ identityId: IdentityId, accessKeyId: issued?.AccessKeyId }),
    );
  });

  it('gives every guest a new identity but the same login the same identity', async () => {
    // Prepare
    const logins = { 'cognito-idp.us-east-1.amazonaws.com/us-east-1_local': fakeIdToken('user-1') };
    const laterToken = { 'cognito-idp.us-east-1.amazonaws.com/us-east-1_local': fakeIdToken('user-1') };

    // Act
    const guestA = await client.send(new GetIdCommand({ IdentityPoolId: cognito.identityPoolId }));
    const guestB = await client.send(new GetIdCommand({ IdentityPoolId: cognito.identityPoolId }));
    const user = await client.send(
      new GetIdCommand({ IdentityPoolId: cognito.identityPoolId, Logins: logins }),
    );
    const userAgain = await client.send(
      new GetIdCommand({ IdentityPoolId: cognito.identityPoolId, Logins: laterToken }),
    );
    const userCredentials = await client.send(
      new GetCredentialsForIdentityCommand({ IdentityId: user.IdentityId, Logins: logins }),
    );

    // Assess
    expect(guestA.IdentityId).not.toBe(guestB.IdentityId);
    expect(userAgain.IdentityId).toBe(user.IdentityId);
    expect(credentials.lookup(userCredentials.Credentials?.AccessKeyId ?? '')).toMatchObject({
      cognitoIdentityId: user.IdentityId,
      cognitoAuthenticationType: 'authenticated',
      cognitoAuthenticationProvider:
        'cognito-idp.us-east-1.amazonaws.com/us-east-1_local,cognito-idp.us-east-1.amazonaws.com/us-east-1_local:CognitoSignIn:user-1',
      userArn:
        'arn:aws:sts::000000000000:assumed-role/qna_streaming_local-auth-role/CognitoIdentityCredentials',
    });
  });

  it('refuses credentials for a signed-in identity to a caller without its login', async () => {
    // Prepare
    const logins = { 'accounts.google.com': fakeIdToken('user-2') };
    const { IdentityId } = await client.send(
      new GetIdCommand({ IdentityPoolId: cognito.identityPoolId, Logins: logins }),
    );

    // Act
    const attempt = client.send(new GetCredentialsForIdentityCommand({ IdentityId }));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(NotAuthorizedException);
  });

  it('answers ResourceNotFoundException for an unknown pool or identity', async () => {
    // Act
    const unknownPool = client.send(
      new GetIdCommand({ IdentityPoolId: 'us-east-1:11111111-2222-3333-4444-555555555555' }),
    );
    const unknownIdentity = client.send(
      new GetCredentialsForIdentityCommand({ IdentityId: 'us-east-1:11111111-2222-3333-4444-555555555555' }),
    );

    // Assess
    await expect(unknownPool).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(unknownPool).rejects.toMatchObject({
      message: "IdentityPool 'us-east-1:11111111-2222-3333-4444-555555555555' not found.",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(unknownIdentity).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses guests when the pool does not allow unauthenticated identities', async () => {
    // Prepare
    const closedPool = await startLocalCognitoIdentity({
      credentials,
      region: REGION,
      allowUnauthenticatedIdentities: false,
    });
    const closedClient = new CognitoIdentityClient({ endpoint: closedPool.endpoint, region: REGION });
    try {
      // Act
      const attempt = closedClient.send(new GetIdCommand({ IdentityPoolId: closedPool.identityPoolId }));

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(NotAuthorizedException);
    } finally {
      closedClient.destroy();
      await closedPool.stop();
    }
  });
});
