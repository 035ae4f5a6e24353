/**
 * The refs that stand for session ids and identities in logs (functions/shared/log-safe.ts), the
 * logger's refusal to write those keys raw, and the key's configuration.
 */
import { createHmac } from 'node:crypto';
import { readLogHashKey } from '../../functions/shared/config';
import { LOG_REF_HEX_DIGITS, logRef, REDACTED } from '../../functions/shared/log-safe';
import { createLogger } from '../../functions/shared/logger';

const IDENTITY = 'us-east-1:11111111-2222-3333-4444-555555555555';
const KEY = 'a-log-hash-key-of-32-characters!';

/** log-safe.ts as a new Lambda container with `env` loads it. */
function coldStart(
  env: Record<string, string | undefined>,
): typeof import('../../functions/shared/log-safe') {
  const saved = process.env;
  process.env = { ...saved, ...env };
  try {
    let loaded: typeof import('../../functions/shared/log-safe') | undefined;
    jest.isolateModules(() => {
      loaded = require('../../functions/shared/log-safe');
    });
    if (!loaded) throw new Error('log-safe not loaded');
    return loaded;
  } finally {
    process.env = saved;
  }
}

describe('logRef', () => {
  it('is the first 12 hex digits of HMAC-SHA256 under the key', () => {
    // Act
    const ref = logRef(IDENTITY, KEY);

    // Assess
    expect(ref).toMatch(new RegExp(`^[0-9a-f]{${LOG_REF_HEX_DIGITS}}$`));
    expect(ref).toBe(createHmac('sha256', KEY).update(IDENTITY).digest('hex').slice(0, 12));
    expect(logRef('lex-web-ui-4b1d', KEY)).not.toBe(ref);
  });

  it('with STREAMING_LOG_HASH_KEY set, gives the same ref in every container', () => {
    // Act
    const first = coldStart({ STREAMING_LOG_HASH_KEY: KEY }).logRef(IDENTITY);
    const second = coldStart({ STREAMING_LOG_HASH_KEY: KEY }).logRef(IDENTITY);

    // Assess
    expect(first).toBe(second);
    expect(first).toBe(logRef(IDENTITY, KEY));
  });

  it('without a key, uses a random key per container: refs match within a container only', () => {
    // Prepare
    const container = coldStart({ STREAMING_LOG_HASH_KEY: undefined });

    // Act
    const refs = [container.logRef(IDENTITY), container.logRef(IDENTITY)];
    const other = coldStart({ STREAMING_LOG_HASH_KEY: undefined }).logRef(IDENTITY);

    // Assess
    expect(refs[0]).toBe(refs[1]);
    expect(other).not.toBe(refs[0]);
  });

  it('fails at cold start on a key too short to be secret', () => {
    // Act / Assess
    expect(() => readLogHashKey({ STREAMING_LOG_HASH_KEY: 'short' })).toThrow(
      'STREAMING_LOG_HASH_KEY must be at least 16 characters, got 5',
    );
    expect(() => coldStart({ STREAMING_LOG_HASH_KEY: 'short' })).toThrow(/at least 16 characters/);
    expect(readLogHashKey({ STREAMING_LOG_HASH_KEY: '  ' })).toBeUndefined();
    expect(readLogHashKey({ STREAMING_LOG_HASH_KEY: KEY })).toBe(KEY);
  });
});

describe('logger', () => {
  it('writes refs for session ids and identities passed under their usual names, in a line or a child', () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({ service: 'test', write: (line) => lines.push(line) });

    // Act
    logger.child({ sessionId: IDENTITY }).info('one', {
      identityId: IDENTITY,
      identity: { cognitoIdentityId: IDENTITY },
      connectionId: 'conn=',
    });
    logger.warn('two', { cognitoIdentityId: IDENTITY, sessionId: undefined });
    logger.error('three', { userArn: 'arn:aws:iam::123456789012:user/me' });

    // Assess
    const [one, two, three] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(one).toMatchObject({
      message: 'one',
      sessionRef: logRef(IDENTITY),
      identityRef: logRef(IDENTITY),
      identity: REDACTED,
      connectionId: 'conn=',
    });
    expect(one).not.toHaveProperty('sessionId');
    expect(one).not.toHaveProperty('identityId');
    expect(two).toMatchObject({ message: 'two', identityRef: logRef(IDENTITY) });
    expect(two).not.toHaveProperty('sessionId');
    expect(three).toMatchObject({ identityRef: logRef('arn:aws:iam::123456789012:user/me') });
    expect(three).not.toHaveProperty('userArn');
    for (const line of lines) {
      expect(line).not.toContain(IDENTITY);
      expect(line).not.toContain('user/me');
    }
  });
});
