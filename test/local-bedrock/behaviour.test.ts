import { DEFAULT_BEHAVIOUR, mergeBehaviour } from '../../cli/local-stack/bedrock/behaviour';
import { LocalBedrockError } from '../../cli/local-stack/bedrock/errors';
import { startDouble } from './support';

describe('behaviour settings', () => {
  it('applies a partial change and keeps the rest', () => {
    const merged = mergeBehaviour(DEFAULT_BEHAVIOUR, { tokensPerSecond: 100, answerTokens: 500 });

    expect(merged).toEqual({ ...DEFAULT_BEHAVIOUR, tokensPerSecond: 100, answerTokens: 500 });
  });

  it('clears an optional switch set to undefined', () => {
    const failing = mergeBehaviour(DEFAULT_BEHAVIOUR, { failAfterTokens: 3 });

    expect(mergeBehaviour(failing, { failAfterTokens: undefined }).failAfterTokens).toBeUndefined();
  });

  it.each([
    [{ minTokensPerChunk: 4, maxTokensPerChunk: 2 }, 'maxTokensPerChunk must be an integer >= 4, got 2'],
    [{ timeToFirstTokenMs: -1 }, 'timeToFirstTokenMs must be a number >= 0, got -1'],
    [{ tokensPerSecond: 0 }, 'tokensPerSecond must be a number'],
    [{ answerTokens: 1.5 }, 'answerTokens must be an integer >= 1, got 1.5'],
    [{ failWith: 'boomException' as never }, 'failWith must be one of'],
  ])('refuses %j, naming the bad value', (change, message) => {
    expect(() => mergeBehaviour(DEFAULT_BEHAVIOUR, change)).toThrow(LocalBedrockError);
    expect(() => mergeBehaviour(DEFAULT_BEHAVIOUR, change)).toThrow(message);
  });

  it('rejects a bad setBehaviour on a running double and keeps the old behaviour', async () => {
    // Prepare
    const { bedrock } = await startDouble({ behaviour: { tokensPerSecond: 80 } });

    try {
      // Act
      const attempt = () => bedrock.setBehaviour({ maxTokensPerChunk: 0 });

      // Assess
      expect(attempt).toThrow(LocalBedrockError);
      expect(bedrock.behaviour().tokensPerSecond).toBe(80);
      expect(bedrock.behaviour().maxTokensPerChunk).toBe(5);
    } finally {
      await bedrock.stop();
    }
  });
});
