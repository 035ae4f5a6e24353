/** Answers for the markdown parser's linearity tests (markdown-linear, markdown-timing). */

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
