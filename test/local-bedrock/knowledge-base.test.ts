import { FALLBACK_ANSWER, KNOWLEDGE_BASE_ENTRIES } from '../../scripts/local/knowledge-base/entries';
import { documentUri, KnowledgeBase } from '../../scripts/local/knowledge-base/knowledge-base';
import { countTokens, tokenize } from '../../scripts/local/knowledge-base/tokenizer';

const knowledgeBase = new KnowledgeBase();
const bestSlug = (question: string) => knowledgeBase.answer(question).matches[0]?.entry.slug;

describe('tokenizer', () => {
  it.each([
    'Hello,  world! It’s 3.5 times — faster?\n ',
    '  leading spaces and trailing  ',
    '{"action":"ping"} every 9 minutes.',
    '',
  ])('keeps every character so the tokens concatenate to the text: %j', (text) => {
    // Act
    const tokens = tokenize(text);

    // Assess
    expect(tokens.join('')).toBe(text);
    expect(tokens.every((token) => token.length > 0)).toBe(true);
  });

  it('counts words and punctuation as separate tokens', () => {
    expect(tokenize('Hi, there!')).toEqual(['Hi', ',', ' there', '!']);
    expect(countTokens('Hi, there!')).toBe(4);
  });
});

describe('KnowledgeBase', () => {
  it('ships a few dozen entries with unique slugs', () => {
    const slugs = new Set(KNOWLEDGE_BASE_ENTRIES.map((entry) => entry.slug));

    expect(KNOWLEDGE_BASE_ENTRIES.length).toBeGreaterThanOrEqual(24);
    expect(slugs.size).toBe(KNOWLEDGE_BASE_ENTRIES.length);
  });

  it.each([
    ['How do I turn on streaming?', 'enable-streaming'],
    ['what is a websocket', 'websockets'],
    ['Why does my socket close after 10 minutes?', 'keep-alive'],
    ['How can I stop an answer?', 'cancel-answer'],
    ['What is Amazon Bedrock?', 'bedrock-overview'],
    ['Bedrock throttles my requests', 'throttling'],
    ['how much does it cost', 'cost'],
    ['Hi!', 'greeting'],
  ])('answers %j from the entry %s', (question, slug) => {
    expect(bestSlug(question)).toBe(slug);
  });

  it('answers politely when nothing matches', () => {
    // Act
    const answer = knowledgeBase.answer('Recommend a recipe with bananas');

    // Assess
    expect(answer.text).toBe(FALLBACK_ANSWER);
    expect(answer.matches).toEqual([]);
  });

  it('names each matched entry by its S3 document URI', () => {
    const [match] = knowledgeBase.answer('How do I enable streaming?').matches;

    expect(match?.uri).toBe('s3://local-knowledge-base/enable-streaming.md');
    expect(documentUri({ slug: 'x' })).toBe('s3://local-knowledge-base/x.md');
  });

  it('fits an answer to an exact token count, deterministically', () => {
    // Prepare
    const short = 'One two three.';

    // Act
    const long = knowledgeBase.fitToTokens(short, 500);
    const again = knowledgeBase.fitToTokens(short, 500);
    const cut = knowledgeBase.fitToTokens(short, 2);

    // Assess
    expect(countTokens(long)).toBe(500);
    expect(long.startsWith(short)).toBe(true);
    expect(again).toBe(long);
    expect(cut).toBe('One two');
  });
});
