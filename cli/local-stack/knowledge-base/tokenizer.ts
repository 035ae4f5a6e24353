/**
 * A model-ish tokenizer: a token is a word (letters, digits, apostrophes inside a word) or one
 * punctuation mark, carrying the whitespace before it. Trailing whitespace is a token of its own.
 * Nothing is dropped, so `tokenize(text).join('') === text` for every input: deltas streamed from
 * these tokens concatenate to the answer exactly.
 */
const TOKEN_PATTERN = /\s*(?:[\p{L}\p{N}_]+(?:['’][\p{L}\p{N}_]+)*|[^\s\p{L}\p{N}_])|\s+/gu;

export function tokenize(text: string): string[] {
  return text.match(TOKEN_PATTERN) ?? [];
}

/** Approximate token count of a text, as reported in `usage`. */
export function countTokens(text: string): number {
  return tokenize(text).length;
}

const WORD_PATTERN = /[\p{L}\p{N}]+/gu;

const STOP_WORDS = new Set(
  (
    'a an and are as at be by can could do does for from how i if in is it its me my of or ' +
    'should so that the their then there this to was what when where which who why will with would ' +
    'you your we our us they them about into than too very just also any some need want please tell'
  ).split(' '),
);

/**
 * Search terms of a text: lower-cased words without stop words, with a light plural/verb stem
 * (`sockets` → `socket`, `streaming` → `stream`) so simple variations still overlap.
 */
export function searchTerms(text: string): string[] {
  const terms: string[] = [];
  for (const word of text.toLowerCase().match(WORD_PATTERN) ?? []) {
    if (STOP_WORDS.has(word)) continue;
    terms.push(stem(word));
  }
  return terms;
}

function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && word.endsWith('es') && /(?:ss|sh|ch|x)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  return word;
}
