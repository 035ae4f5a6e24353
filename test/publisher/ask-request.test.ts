/** Validation of the direct-ask event: what a client may send on the `ask` route. */
import { MAX_QUESTION_CHARS, parseAskRequest } from '../../functions/ask/ask-request';

const event = (body: unknown) => ({ connectionId: 'abc=', requestTimeEpoch: 1_700_000_000_000, body });

describe('parseAskRequest', () => {
  it('accepts a question, trimmed, with a valid client turn id and the request time', () => {
    expect(parseAskRequest(event({ action: 'ask', question: '  What is QnABot?  ', turnId: 't-1' }))).toEqual(
      {
        connectionId: 'abc=',
        question: 'What is QnABot?',
        turnId: 't-1',
        requestTimeEpoch: 1_700_000_000_000,
      },
    );
  });

  it.each([
    ['no question', { action: 'ask' }, /question as a string/],
    ['a number', { action: 'ask', question: 42 }, /question as a string/],
    ['blanks only', { action: 'ask', question: ' \n\t ' }, /empty/],
    [
      'too long',
      { action: 'ask', question: 'x'.repeat(MAX_QUESTION_CHARS + 1) },
      /4001 characters; at most 4000/,
    ],
    ['not an object', 'ask', /question as a string/],
  ])('refuses %s with InvalidQuestion naming the problem', (_name, body, reason) => {
    const parsed = parseAskRequest(event(body));
    expect(parsed).toMatchObject({ code: 'InvalidQuestion', connectionId: 'abc=' });
    expect('message' in parsed ? parsed.message : '').toMatch(reason);
  });

  it('counts characters, not UTF-16 units: 4,000 emoji are accepted', () => {
    const parsed = parseAskRequest(event({ action: 'ask', question: '🙂'.repeat(MAX_QUESTION_CHARS) }));
    expect(parsed).not.toHaveProperty('code');
  });

  it('ignores a turn id that does not look like an id', () => {
    const parsed = parseAskRequest(event({ action: 'ask', question: 'q', turnId: '<script>' }));
    expect(parsed).not.toHaveProperty('turnId');
  });

  it('throws DirectAskError for an event that did not come through the route (no connection id)', () => {
    expect(() => parseAskRequest({ body: { question: 'q' } })).toThrow(
      expect.objectContaining({ name: 'DirectAskError' }),
    );
  });
});
