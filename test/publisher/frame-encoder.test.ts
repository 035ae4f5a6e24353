import type { DeltaFrame, Frame } from '../../functions/protocol/frames';
import { MAX_FRAME_BYTES } from '../../functions/protocol/websocket';
import { ConnectionEncoder } from '../../functions/streaming/pipeline/frame-encoder';
import { END_OF_TEXT_MARKER } from '../../functions/streaming/pipeline/text-protocol';
import { splitText } from '../../functions/streaming/pipeline/text-split';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const hasLoneSurrogate = (text: string) =>
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

describe('splitText', () => {
  it('keeps every piece within the byte budget and never cuts a code point or emoji sequence', () => {
    // Prepare: emoji (surrogate pairs), a ZWJ family, flags, CJK, combining accents, ASCII
    const unit = '👨‍👩‍👧‍👦 🇫🇷 日本語のテキスト é 😀 abc ';
    const text = unit.repeat(3000);
    // Act
    const pieces = splitText(text, 1000);
    // Assess
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces) {
      expect(bytes(piece)).toBeLessThanOrEqual(1000);
      expect(hasLoneSurrogate(piece)).toBe(false);
      expect(piece.startsWith('\u200d')).toBe(false); // no ZWJ sequence split
    }
  });

  it('returns short text untouched and nothing for empty text', () => {
    expect(splitText('hi', 100)).toEqual(['hi']);
    expect(splitText('', 100)).toEqual([]);
  });
});

describe('ConnectionEncoder', () => {
  it('text protocol: only raw answer text, each message ≤ 32 KB, then the end-of-text marker', () => {
    // Prepare
    const encoder = new ConnectionEncoder('text', 'turn-1');
    const long = '漢字😀'.repeat(10_000); // 70 000 bytes
    // Act
    const messages = [
      ...encoder.encode({ kind: 'start' }),
      ...encoder.encode({ kind: 'text', text: long }),
      ...encoder.encode({ kind: 'citations', citations: [{ sources: [{ title: 't' }] }] }),
      ...encoder.encode({ kind: 'end', stopReason: 'end_turn', totalMs: 5 }),
    ];
    // Assess: the marker lets Lex Web UI show the last real frame (text-protocol.ts)
    expect(messages.at(-1)).toBe(END_OF_TEXT_MARKER);
    expect(messages.slice(0, -1).join('')).toBe(long);
    expect(messages.length).toBeGreaterThanOrEqual(4);
    for (const message of messages) expect(bytes(message)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  });

  it('text protocol: a turn without text sends no end-of-text marker', () => {
    // Prepare
    const encoder = new ConnectionEncoder('text', 'turn-empty');

    // Act
    const messages = [
      ...encoder.encode({ kind: 'start' }),
      ...encoder.encode({ kind: 'text', text: '' }),
      ...encoder.encode({ kind: 'end', stopReason: 'end_turn', totalMs: 5 }),
    ];

    // Assess
    expect(messages).toEqual([]);
  });

  it('json protocol: frames.ts objects with turnId and gap-free seq, long deltas split under 32 KB', () => {
    // Prepare: quotes, backslashes and control characters grow when JSON-escaped
    const encoder = new ConnectionEncoder('json', 'turn-42');
    const long = 'say "hi"\\\n\t\u0001 😀 中文 '.repeat(4000);
    // Act
    const messages = [
      ...encoder.encode({ kind: 'start' }),
      ...encoder.encode({ kind: 'text', text: 'Hello ' }),
      ...encoder.encode({ kind: 'text', text: long }),
      ...encoder.encode({
        kind: 'citations',
        citations: [{ text: 'x', sources: [{ uri: 's3://b/k', excerpt: 'e' }] }],
      }),
      ...encoder.encode({
        kind: 'end',
        stopReason: 'end_turn',
        usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
        ttftMs: 10,
        totalMs: 99,
      }),
    ];
    const frames = messages.map((m) => JSON.parse(m) as Frame);
    // Assess
    for (const message of messages) expect(bytes(message)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
    expect(frames.every((f) => f.v === 1 && f.turnId === 'turn-42')).toBe(true);
    expect(frames[0]?.type).toBe('start');
    const deltas = frames.filter((f): f is DeltaFrame => f.type === 'delta');
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.map((d) => d.text).join('')).toBe(`Hello ${long}`);
    for (const delta of deltas) expect(hasLoneSurrogate(delta.text)).toBe(false);
    expect(frames.at(-2)).toMatchObject({
      type: 'citation',
      citations: [{ text: 'x', sources: [{ uri: 's3://b/k' }] }],
    });
    expect(frames.at(-1)).toEqual({
      v: 1,
      type: 'end',
      turnId: 'turn-42',
      seq: frames.length - 1,
      stopReason: 'end_turn',
      usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
      ttftMs: 10,
      totalMs: 99,
    });
  });

  it('json protocol: spreads many citations over frames and shortens a huge excerpt, all ≤ 32 KB', () => {
    const encoder = new ConnectionEncoder('json', 't');
    const citations = Array.from({ length: 40 }, (_, i) => ({
      sources: [{ title: `doc ${i}`, uri: `https://example.com/${i}`, excerpt: 'passage '.repeat(300) }],
    }));
    citations.push({
      sources: [{ title: 'huge', uri: 'https://example.com/huge', excerpt: '長'.repeat(40_000) }],
    });
    const messages = encoder.encode({ kind: 'citations', citations });
    const frames = messages.map((m) => JSON.parse(m) as Frame);
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) expect(bytes(message)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    const all = frames.flatMap((f) => (f.type === 'citation' ? f.citations : []));
    expect(all).toHaveLength(41);
    expect(all.at(-1)?.sources[0]?.uri).toBe('https://example.com/huge');
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
  });

  it('json protocol: error frame carries code and message', () => {
    const encoder = new ConnectionEncoder('json', 't');
    encoder.encode({ kind: 'start' });
    const [message] = encoder.encode({ kind: 'error', code: 'ModelStreamErrorException', message: 'boom' });
    expect(JSON.parse(message ?? '')).toEqual({
      v: 1,
      type: 'error',
      turnId: 't',
      seq: 1,
      code: 'ModelStreamErrorException',
      message: 'boom',
    });
  });
});
