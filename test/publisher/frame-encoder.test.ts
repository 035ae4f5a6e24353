import type { Citation, DeltaFrame, Frame } from '../../functions/protocol/frames';
import { MAX_FRAME_BYTES } from '../../functions/protocol/websocket';
import { ConnectionEncoder, fitCitation } from '../../functions/streaming/pipeline/frame-encoder';
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
      retryable: false,
    });
  });
});

describe('ConnectionEncoder limits', () => {
  const parse = (message: string) => JSON.parse(message) as Frame;

  it('json protocol: an error message is sent whole when it fits, cut to the frame limit when not, empty when empty', () => {
    // Prepare
    const encoder = new ConnectionEncoder('json', 't');
    const fits = 'the model stopped: '.repeat(20);
    const huge = 'é'.repeat(40_000);
    // Act
    const [whole = '', cut = '', empty = ''] = [fits, huge, ''].map(
      (message) => encoder.encode({ kind: 'error', code: 'E', message })[0] ?? '',
    );
    // Assess
    expect(parse(whole)).toMatchObject({ type: 'error', code: 'E', message: fits });
    expect(bytes(cut)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(bytes(cut)).toBeGreaterThan(MAX_FRAME_BYTES - 20);
    const cutMessage = (parse(cut) as { message: string }).message;
    expect(huge.startsWith(cutMessage)).toBe(true);
    expect(parse(empty)).toEqual({
      v: 1,
      type: 'error',
      turnId: 't',
      seq: 2,
      code: 'E',
      message: '',
      retryable: false,
    });
  });

  it('json protocol: an end frame leaves out what is not known', () => {
    const encoder = new ConnectionEncoder('json', 't');
    const [message] = encoder.encode({ kind: 'end', stopReason: 'cancelled', totalMs: 7 });
    expect(JSON.parse(message ?? '')).toEqual({
      v: 1,
      type: 'end',
      turnId: 't',
      seq: 0,
      stopReason: 'cancelled',
      totalMs: 7,
    });
  });

  it('json protocol: a delta frame is filled to the limit, not beyond (JSON escapes counted)', () => {
    // Prepare: 2 bytes per quote once escaped
    const encoder = new ConnectionEncoder('json', 'turn', 200);
    const text = '"'.repeat(300);
    // Act
    const messages = encoder.encode({ kind: 'text', text });
    // Assess: every frame ≤ 200 bytes and all but the last within a seq's digits of it
    expect(messages.map((m) => (parse(m) as DeltaFrame).text).join('')).toBe(text);
    for (const message of messages) expect(bytes(message)).toBeLessThanOrEqual(200);
    for (const message of messages.slice(0, -1)) expect(bytes(message)).toBeGreaterThanOrEqual(190);
  });

  it('text protocol: messages are filled to the limit in UTF-8 bytes', () => {
    const encoder = new ConnectionEncoder('text', 'turn', 100);
    const messages = encoder.encode({ kind: 'text', text: 'é'.repeat(120) });
    expect(messages.map(bytes)).toEqual([100, 100, 40]);
  });

  it('json protocol: packs as many citations per frame as fit, none over the limit', () => {
    // Prepare: 60 small citations, 400-byte frames
    const encoder = new ConnectionEncoder('json', 't', 400);
    const citations = Array.from({ length: 60 }, (_, i) => ({ sources: [{ title: `doc ${i}` }] }));
    // Act
    const messages = encoder.encode({ kind: 'citations', citations });
    // Assess: all of them, in order; each frame ≤ 400 and the next citation would not have fit
    const frames = messages.map(parse);
    expect(frames.flatMap((f) => (f.type === 'citation' ? f.citations : []))).toEqual(citations);
    for (const [index, message] of messages.entries()) {
      expect(bytes(message)).toBeLessThanOrEqual(400);
      const next = (frames[index + 1] as { citations: unknown[] } | undefined)?.citations[0];
      if (next) expect(bytes(message) + bytes(JSON.stringify(next)) + 1).toBeGreaterThan(400 - 10);
    }
  });
});

describe('ConnectionEncoder room for the sequence number', () => {
  const parse = (message: string) => JSON.parse(message) as Frame;
  /** A frame must still fit when its seq has ten digits: bytes + the digits its seq does not use. */
  const sizeAtTenDigits = (message: string) => bytes(message) + 10 - String(parse(message).seq).length;

  it('json protocol: error, delta and citation frames still fit the limit once seq reaches ten digits', () => {
    // Prepare: 600-byte frames; a long error, long text, and citations of uneven sizes
    const encoder = new ConnectionEncoder('json', 'turn-7', 600);
    const citations: Citation[] = Array.from({ length: 90 }, (_, i) => ({
      text: 'cited '.repeat(1 + ((i * 7) % 13)),
      sources: [{ title: `doc ${i}`, uri: `s3://bucket/${'k'.repeat((i * 11) % 37)}` }],
    }));
    // Act
    const messages = [
      ...encoder.encode({ kind: 'error', code: 'ModelStreamErrorException', message: 'é'.repeat(2_000) }),
      ...encoder.encode({ kind: 'text', text: 'ü'.repeat(3_000) }),
      ...encoder.encode({ kind: 'citations', citations }),
    ];
    // Assess: every citation arrives, and no frame would outgrow 600 bytes at seq 9,999,999,999
    const frames = messages.map(parse);
    expect(frames.flatMap((f) => (f.type === 'citation' ? f.citations : []))).toEqual(citations);
    expect(frames.filter((f) => f.type === 'citation').length).toBeGreaterThan(5);
    for (const message of messages) expect(sizeAtTenDigits(message)).toBeLessThanOrEqual(600);
  });

  it('json protocol: no citations make no frame and use no seq', () => {
    // Prepare
    const encoder = new ConnectionEncoder('json', 't');
    // Act
    const messages = encoder.encode({ kind: 'citations', citations: [] });
    const [next] = encoder.encode({ kind: 'start' });
    // Assess
    expect(messages).toEqual([]);
    expect(parse(next ?? '').seq).toBe(0);
    expect(encoder.nextSeq).toBe(1);
  });

  it('text protocol: once text was sent, only the end adds the end-of-text marker', () => {
    // Prepare
    const encoder = new ConnectionEncoder('text', 't');
    encoder.encode({ kind: 'text', text: 'hello' });
    // Act
    const others = [
      ...encoder.encode({ kind: 'start' }),
      ...encoder.encode({ kind: 'citations', citations: [{ sources: [{ title: 'doc' }] }] }),
      ...encoder.encode({ kind: 'error', code: 'E', message: 'failed' }),
    ];
    const end = encoder.encode({ kind: 'end', stopReason: 'end_turn', totalMs: 1 });
    // Assess
    expect(others).toEqual([]);
    expect(end).toEqual([END_OF_TEXT_MARKER]);
  });
});

describe('fitCitation', () => {
  const size = (citation: Citation) => bytes(JSON.stringify(citation)) + 1;

  it('returns a citation that fits as it is', () => {
    const citation = { text: 'x', sources: [{ title: 't', uri: 'u', excerpt: 'e' }] };
    expect(fitCitation(citation, size(citation))).toBe(citation);
  });

  it('cuts long text, excerpts and titles with an ellipsis (never inside a character), keeping uris', () => {
    // Prepare
    const citation = {
      text: '文'.repeat(3000),
      sources: [
        { title: 'T'.repeat(5000), uri: 'https://example.com/a', excerpt: '😀'.repeat(3000) },
        { uri: 'https://example.com/b' },
      ],
    };
    // Act
    const fitted = fitCitation(citation, 6000);
    // Assess
    expect(size(fitted)).toBeLessThanOrEqual(6000);
    expect(fitted.text?.endsWith('…')).toBe(true);
    expect(citation.text.startsWith(fitted.text?.slice(0, -1) ?? 'x')).toBe(true);
    const [first, second] = fitted.sources;
    expect(first?.uri).toBe('https://example.com/a');
    expect(first?.title?.endsWith('…')).toBe(true);
    expect(first?.excerpt?.endsWith('…')).toBe(true);
    expect(hasLoneSurrogate(first?.excerpt ?? '')).toBe(false);
    expect(second).toEqual({ uri: 'https://example.com/b' });
    // the input is not changed
    expect(citation.text).toHaveLength(3000);
  });

  it('cuts no more than needed: a little too long keeps most of its text', () => {
    const citation = { sources: [{ excerpt: 'a'.repeat(3000) }] };
    const fitted = fitCitation(citation, 2500);
    expect(size(fitted)).toBeLessThanOrEqual(2500);
    expect(fitted.sources[0]?.excerpt?.length).toBeGreaterThan(2000);
  });

  it('drops trailing sources when cut texts still do not fit, then gives an empty citation', () => {
    // Prepare: 10 sources of long uris (uris are never cut)
    const citation = {
      text: 'short',
      sources: Array.from({ length: 10 }, (_, i) => ({ uri: `https://example.com/${i}/${'p'.repeat(100)}` })),
    };
    // Act
    const fitted = fitCitation(citation, 400);
    const tiny = fitCitation(citation, 20);
    // Assess
    expect(size(fitted)).toBeLessThanOrEqual(400);
    expect(fitted.text).toBe('short');
    expect(fitted.sources).toEqual(citation.sources.slice(0, fitted.sources.length));
    expect(fitted.sources.length).toBeGreaterThan(0);
    expect(tiny).toEqual({ sources: [] });
  });
});
