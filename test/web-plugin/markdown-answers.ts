/** Answers for the markdown tests (markdown-linear, markdown-timing, markdown-stream) and their work counter. */

/**
 * About 25 KB × `scale` of an answer using every construct and near-misses of each. Its paragraphs
 * are single lines (as models write them) that grow with `scale`, as do its lists and code block,
 * so a parser that is quadratic in the length of a line shows it.
 */
export function largeAnswer(scale: number): string {
  // Each paragraph uses a few constructs only, as real ones do: the others never match in it.
  const paragraphs = [
    'Set `EnableStreaming` to **TRUE** and keep `IdentityBinding` as it is; the stack adds the route. ',
    'Read [the guide](https://docs.aws.amazon.com/lex/) and https://example.com/a_b. for *details* now. ',
    'A snake_case_name, __strong__ and _em_ text; a lone ** or [bracket or `tick (and) more words. ',
  ];
  const item =
    '- one **item** with `x` and https://a.example/b, two *items* [docs](https://docs.aws.amazon.com/)';
  return [
    '## Streaming',
    ...paragraphs.flatMap((paragraph) => [paragraph.repeat(72 * scale), '']),
    ...Array.from({ length: 30 * scale }, () => item),
    '',
    '1. first _it_',
    '',
    '```',
    ...Array.from({ length: 30 * scale }, () => 'const a = b * c * d; // **not bold** here'),
    '```',
  ].join('\n');
}

/**
 * An answer as a model writes one, of about 2,000 tokens × `scale` (8 KB × `scale`): sections of
 * a heading, a paragraph line with bold, italic, code and a link, a bullet list, a numbered list and
 * a fenced code block. Well formed: every construct that opens closes on its line.
 */
export function streamedAnswer(scale: number): string {
  const section = (n: number) =>
    [
      `## Step ${n}: turn streaming on`,
      '',
      `In step ${n}, QnABot **streams** the answer *word by word* while Lex waits for the fulfillment: ` +
        'set `EnableStreaming` to `TRUE` in the stack parameters and read ' +
        '[the streaming guide](https://docs.aws.amazon.com/solutions/latest/qnabot-on-aws/streaming.html) ' +
        'before you deploy, because the **WebSocket endpoint** changes with _every_ new stage you create.',
      '',
      '- **Endpoint**: the `StreamingWebSocketEndpoint` output of the stack',
      '- **Table**: left empty, so QnABot streams its own answers',
      '- Credentials: the *unauthenticated* Cognito role, see https://docs.aws.amazon.com/cognito/',
      '',
      '1. Deploy the stack with `npm run deploy`',
      '2. Open the **Content Designer** and ask a question',
      '3. Watch the answer appear in the _web UI_',
      '',
      '```ts',
      `const client${n} = new StreamingClient({ endpoint, sessionId, credentials });`,
      `client${n}.on('delta', (frame) => { answer += frame.text; render(answer); });`,
      'await client.connect(); // **not bold** and <b>not HTML</b> inside code',
      '```',
      '',
    ].join('\n');
  return Array.from({ length: 8 * scale }, (_, n) => section(n + 1)).join('\n');
}

/** The text split after each word (with the spaces that follow it), as a model streams it. */
export function words(text: string): string[] {
  return text.match(/\s+|\S+\s*/g) ?? [];
}

/** Characters the parser's searches (RegExp exec/test, String indexOf and lastIndexOf) passed over. */
export function searchedCharacters(run: () => void): number {
  let searched = 0;
  const exec = RegExp.prototype.exec;
  const indexOf = String.prototype.indexOf;
  const execSpy = jest.spyOn(RegExp.prototype, 'exec').mockImplementation(function (this: RegExp, input) {
    const from = this.global || this.sticky ? this.lastIndex : 0;
    const result = exec.call(this, input);
    searched += (result ? result.index + result[0].length : input.length) - from;
    return result;
  });
  const indexOfSpy = jest.spyOn(String.prototype, 'indexOf').mockImplementation(function (
    this: string,
    search: string,
    position?: number,
  ) {
    const from = Math.max(0, position ?? 0);
    const found = indexOf.call(this, search, from);
    searched += (found === -1 ? this.length : found + search.length) - from;
    return found;
  });
  const lastIndexOf = String.prototype.lastIndexOf;
  const lastIndexOfSpy = jest.spyOn(String.prototype, 'lastIndexOf').mockImplementation(function (
    this: string,
    search: string,
    position?: number,
  ) {
    const from = Math.min(this.length, position ?? this.length);
    const found = lastIndexOf.call(this, search, from);
    searched += Math.min(this.length, from + search.length) - Math.max(found, 0);
    return found;
  });
  try {
    run();
  } finally {
    execSpy.mockRestore();
    indexOfSpy.mockRestore();
    lastIndexOfSpy.mockRestore();
  }
  return searched;
}
