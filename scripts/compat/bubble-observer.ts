/**
 * Watches Lex Web UI's chat the way a user sees it, inside the page: every text its typing bubble
 * shows (components/MessageLoading.vue: `.messsge-loading .message-bubble`, the class name's typo
 * is Lex Web UI's) and every bot message (components/Message.vue:
 * `.message-bubble.message-bubble-row-bot`), each with the time it was rendered. Works in every
 * frame (the iframe build too) when installed with `addInitScript({ content: BUBBLE_OBSERVER_SCRIPT })`. The Lex Web UI stand-in of the
 * browser tests (test/browser/lex-web-ui-page.ts) renders the same classes.
 *
 * `summarizeBubble` turns the log of one question into the figures the compat script prints.
 */

/** One change of what the chat shows. `t` is the page's performance.now(). */
export interface BubbleLogEntry {
  t: number;
  /** Text of the typing bubble, or null when there is none. */
  bubble: string | null;
  /** Number of bot messages shown. */
  bots: number;
  /**
   * Text of the last bot message as read: its `.message-text` (MessageText.vue) without the
   * visually hidden `.sr-only` "bot says: " and outside the status icon's ligature ("done").
   */
  lastBot: string;
  /** A mark the driver set (`window.__qsMark(name)`), e.g. 'asked'. */
  mark?: string;
}

declare global {
  interface Window {
    __qsBubbleLog?: BubbleLogEntry[];
    __qsMark?: (name: string) => void;
  }
}

/**
 * The observer, as page source for `addInitScript({ content })`: plain JavaScript, because a
 * function handed to Playwright is serialized and tsx/esbuild may wrap it in helpers the page lacks.
 */
export const BUBBLE_OBSERVER_SCRIPT = `(() => {
  const log = [];
  window.__qsBubbleLog = log;
  const text = (element) => (element ? (element.textContent || '').replace(/\\s+/g, ' ').trim() : null);
  const botText = (bot) => {
    if (!bot) return '';
    const copy = (bot.querySelector('.message-text') || bot).cloneNode(true);
    for (const hidden of copy.querySelectorAll('.sr-only')) hidden.remove();
    return text(copy) || '';
  };
  const read = () => {
    const bubbles = document.querySelectorAll('.messsge-loading .message-bubble');
    const bots = document.querySelectorAll('.message-bubble.message-bubble-row-bot');
    return {
      bubble: text(bubbles[bubbles.length - 1]),
      bots: bots.length,
      lastBot: botText(bots[bots.length - 1]),
    };
  };
  let last = '';
  const record = () => {
    const now = read();
    const key = JSON.stringify(now);
    if (key === last) return;
    last = key;
    log.push({ t: performance.now(), ...now });
  };
  window.__qsMark = (name) => log.push({ t: performance.now(), ...read(), mark: name });
  new MutationObserver(record).observe(document, { subtree: true, childList: true, characterData: true });
})();`;

/** What one question looked like in the chat. */
export interface BubbleSummary {
  /** From the 'asked' mark to the first non-empty bubble text; undefined when none appeared. */
  firstWordsMs: number | undefined;
  /** From the 'asked' mark to Lex's answer (a new bot message). */
  finalMs: number | undefined;
  /** Distinct non-empty bubble texts shown before Lex's answer, in order. */
  progressive: string[];
  /** The bot message Lex's answer produced, as rendered. */
  finalText: string;
  /** The last streamed text showed the answer's last words before Lex's answer replaced it. */
  lastWordsShown: boolean;
  /** Every progressive text was the start of the answer (nothing doubled, nothing out of order). */
  allPrefixesOfFinal: boolean;
  /** Readable characters of the last streamed text, and of the answer. */
  streamedChars: number;
  answerChars: number;
}

/** Collapses whitespace and drops markdown emphasis, so streamed and final text compare as read. */
export function readable(text: string): string {
  return text
    .replace(/[*_`#]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface SummarizeOptions {
  /**
   * The answer as Lex returned it (markdown source). The bubble shows the streamed source text,
   * while the rendered final message loses list markers and code fences, so compare with this
   * when known. @default the rendered final message
   */
  answer?: string | undefined;
  /** How many of the answer's last words must have been shown. @default 3 */
  lastWords?: number;
}

/** Figures of the question asked at the last 'asked' mark of `log`. */
export function summarizeBubble(log: BubbleLogEntry[], options: SummarizeOptions = {}): BubbleSummary {
  const askedIndex = log.map((entry) => entry.mark).lastIndexOf('asked');
  const asked = log[askedIndex];
  if (!asked) throw new Error("no 'asked' mark in the bubble log");
  const after = log.slice(askedIndex + 1);
  const finalEntry = after.find((entry) => entry.bots > asked.bots);
  const before = finalEntry ? after.slice(0, after.indexOf(finalEntry)) : after;
  const progressive: string[] = [];
  for (const entry of before) {
    if (entry.bubble && entry.bubble !== progressive[progressive.length - 1]) progressive.push(entry.bubble);
  }
  const firstShown = before.find((entry) => entry.bubble);
  const finalText = finalEntry?.lastBot ?? '';
  const answer = readable(options.answer ?? finalText);
  const lastStreamed = readable(progressive[progressive.length - 1] ?? '');
  const tail = answer
    .split(' ')
    .slice(-(options.lastWords ?? 3))
    .join(' ');
  // Compared without whitespace: blocks rendered as DOM (the adapter's formatted text) have no text
  // between them where marked's HTML has a newline, so their textContent differs only there.
  const compact = (text: string) => readable(text).replace(/ /g, '');
  return {
    firstWordsMs: firstShown ? Math.round(firstShown.t - asked.t) : undefined,
    finalMs: finalEntry ? Math.round(finalEntry.t - asked.t) : undefined,
    progressive,
    finalText,
    lastWordsShown: answer !== '' && compact(lastStreamed).endsWith(compact(tail)),
    allPrefixesOfFinal: progressive.every((text) => compact(answer).startsWith(compact(text))),
    streamedChars: lastStreamed.length,
    answerChars: answer.length,
  };
}
