import {
  ALL_KNOWLEDGE_BASE_ENTRIES,
  FALLBACK_ANSWER,
  KNOWLEDGE_BASE_ENTRIES,
  LONG_ANSWER_ENTRIES,
  LONG_ANSWER_QUESTIONS,
} from '../../cli/local-stack/knowledge-base/entries';
import {
  ANSWER_TERMS_AT_FULL_WEIGHT,
  answerTermWeight,
  documentUri,
  KnowledgeBase,
} from '../../cli/local-stack/knowledge-base/knowledge-base';
import { countTokens, tokenize } from '../../cli/local-stack/knowledge-base/tokenizer';
import { SUGGESTED_QUESTIONS } from '../../web-plugin/demo/demo-app';

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

describe('long answers', () => {
  const longest = (slug: string) => LONG_ANSWER_ENTRIES.find((entry) => entry.slug === slug);

  it('ships several, each ~300–700 tokens with paragraphs, a bulleted list, a numbered list and a code block', () => {
    expect(LONG_ANSWER_ENTRIES.length).toBeGreaterThanOrEqual(4);
    for (const { slug, answer } of LONG_ANSWER_ENTRIES) {
      const tokens = countTokens(answer);
      expect({ slug, long: tokens >= 300 && tokens <= 700 }).toEqual({ slug, long: true });
      expect({ slug, paragraphs: answer.split('\n\n').length >= 4 }).toEqual({ slug, paragraphs: true });
      expect({ slug, bullets: /^- \S/m.test(answer) }).toEqual({ slug, bullets: true });
      expect({ slug, numbered: /^1\. \S[\s\S]*^2\. \S/m.test(answer) }).toEqual({ slug, numbered: true });
      expect({ slug, fence: /^```[a-z]+\n[\s\S]+?\n```$/m.test(answer) }).toEqual({ slug, fence: true });
    }
  });

  it('are searched by the default knowledge base, after the short entries, with unique slugs', () => {
    expect(new KnowledgeBase().entries).toEqual(ALL_KNOWLEDGE_BASE_ENTRIES);
    expect(ALL_KNOWLEDGE_BASE_ENTRIES).toEqual([...KNOWLEDGE_BASE_ENTRIES, ...LONG_ANSWER_ENTRIES]);
    expect(new Set(ALL_KNOWLEDGE_BASE_ENTRIES.map((entry) => entry.slug)).size).toBe(
      ALL_KNOWLEDGE_BASE_ENTRIES.length,
    );
  });

  it.each(LONG_ANSWER_QUESTIONS.map((question, index) => [question, LONG_ANSWER_ENTRIES[index]?.slug]))(
    'answers its own question %j with the long entry %s',
    (question, slug) => {
      expect(bestSlug(question as string)).toBe(slug);
    },
  );

  it.each([
    ['How do I write a streaming QnABot hook?', 'guide-write-streaming-hook'],
    ['Explain how the session table works', 'guide-session-table'],
    ['Give me a checklist to enable streaming', 'guide-enable-checklist'],
    ['What happens, step by step, between my question and the streamed answer?', 'guide-answer-journey'],
    ['How do I add the chat widget to my web page?', 'guide-embed-widget'],
  ])('answers the everyday phrasing %j with %s', (question, slug) => {
    expect(longest(slug)).toBeDefined();
    expect(bestSlug(question)).toBe(slug);
  });

  it.each(KNOWLEDGE_BASE_ENTRIES.map((entry) => [entry.question, entry.slug]))(
    'still answers the short question %j with %s',
    (question, slug) => {
      expect(bestSlug(question)).toBe(slug);
    },
  );

  it('weigh the answer-only terms of a long answer less, and leave short answers at full weight', () => {
    expect(answerTermWeight(ANSWER_TERMS_AT_FULL_WEIGHT)).toBe(1);
    expect(answerTermWeight(18)).toBe(1);
    expect(answerTermWeight(160)).toBeCloseTo(0.5);
  });

  it('the demo page offers one of them', () => {
    expect(SUGGESTED_QUESTIONS.some((question) => LONG_ANSWER_QUESTIONS.includes(question))).toBe(true);
    for (const question of SUGGESTED_QUESTIONS) expect(bestSlug(question)).toBeDefined();
  });
});
