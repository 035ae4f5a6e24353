/**
 * A framework-free chat widget for any page, built on StreamingClient.
 *
 * The page passes `ask(question)`, which returns the final answer (e.g. Lex RecognizeText's
 * message). While it runs, the client's deltas are revealed word by word on animation frames
 * (reveal.ts: first words at once, never more than 200 characters or half a second behind what
 * arrived; everything at once for `prefers-reduced-motion: reduce` and hidden tabs) and rendered
 * as markdown while they stream (the same safe subset as the final answer, built as DOM). The
 * final answer then replaces them; for the same text the two look the same.
 *
 * A typing indicator shows the server's status frames ("Thinking…", "Searching the knowledge
 * base…"): before the first words, and again when the answer goes silent (`working`) or the model
 * is retried (`retrying`) after text showed. Retry asks the same question again through `ask`; it
 * is offered when the answer failed (`ask` rejected, or the server's error frame said a retry can
 * help), when the socket closed mid-answer, and after Stop (as chat apps offer "regenerate" on a
 * stopped answer: the user may have stopped by mistake, and asking again is one click either way).
 *
 * Screen readers: the conversation itself is not a live region (it would read every word as it is
 * revealed); a visually hidden live region (`qs-announcer`) gets the answer sentence by sentence,
 * as plain words (no markdown markers), and the streaming answer is `aria-busy` until it is done.
 *
 * Stable DOM hooks for tests and styling (`data-testid`); answers accumulate in the log, so the
 * current answer's elements are the last ones with their test id:
 *
 * | data-testid           | element                                                          |
 * |-----------------------|------------------------------------------------------------------|
 * | `qs-question-input`   | the question text box                                            |
 * | `qs-ask-button`       | submit button (disabled while an answer runs)                    |
 * | `qs-cancel-button`    | stop button (enabled while an answer runs)                       |
 * | `qs-log`              | the conversation                                                 |
 * | `qs-announcer`        | visually hidden `aria-live="polite"` region: the answer, a sentence at a time |
 * | `qs-question`         | one asked question                                               |
 * | `qs-status`           | typing indicator with the latest status message; hidden while text shows (unless a later `working`/`retrying` status comes) and once the answer is done |
 * | `qs-streamed-answer`  | streamed text of an answer, as markdown; `data-state` = `streaming`/`done`/`stopped`/`interrupted`/`replaced`; `data-revealed-chars` = characters of the received text shown so far |
 * | `qs-final-answer`     | final answer; hidden until it arrives; `data-state` = `ok`/`error` |
 * | `qs-error-reason`     | inside a failed final answer: why, in words (the error's message) |
 * | `qs-retry-button`     | Retry: asks the same question again (failed, interrupted or stopped answers) |
 * | `qs-ttft`             | time from the question to the first streamed words on screen ("First words on screen 412 ms after asking" or "No streamed text") |
 */
import type { StreamingClient } from './client';
import { renderMarkdown, StreamingMarkdown } from './markdown';
import { type FrameScheduler, TextReveal } from './reveal';

export interface ChatWidgetLabels {
  placeholder: string;
  ask: string;
  cancel: string;
  inputLabel: string;
  /** `{ms}` is replaced by the time from the question to the first streamed words on screen. */
  ttft: string;
  noStream: string;
  /** Shown when `ask` fails, followed by the error's message. */
  failed: string;
  retry: string;
  /** The typing indicator's text until the server says more. */
  waiting: string;
  /** Announced to screen readers when the live stream stopped mid-answer. */
  interrupted: string;
}

export const DEFAULT_LABELS: ChatWidgetLabels = {
  placeholder: 'Ask a question…',
  ask: 'Ask',
  cancel: 'Stop',
  inputLabel: 'Your question',
  ttft: 'First words on screen {ms} ms after asking',
  noStream: 'No streamed text',
  failed: 'Sorry, the answer could not be fetched.',
  retry: 'Retry',
  waiting: 'Thinking…',
  interrupted: 'The live answer was interrupted.',
};

export interface ChatWidgetOptions {
  /** Element the widget is appended to. */
  container: Element;
  /** The streaming connection; `connect()` is the page's job (the widget works without it too). */
  client: Pick<StreamingClient, 'on' | 'cancel'>;
  /** Sends the question to the bot and resolves with the final answer (markdown subset). */
  ask: (question: string) => Promise<string>;
  labels?: Partial<ChatWidgetLabels>;
  /** @default performance.now */
  now?: () => number;
  /** Where a failed `ask` is reported, with the error itself. @default console */
  logger?: Pick<Console, 'error'>;
  /**
   * `'smooth'` reveals streamed text word by word on animation frames (and at once for reduced
   * motion or a hidden tab); `'instant'` shows each batch as it arrives. @default 'smooth'
   */
  reveal?: 'smooth' | 'instant';
  /** @default requestAnimationFrame / cancelAnimationFrame of the container's window */
  frames?: FrameScheduler;
}

export interface ChatWidget {
  /** The widget's root element. */
  readonly element: HTMLElement;
  /** Asks a question as if typed; resolves when the final answer is shown. */
  submit(question: string): Promise<void>;
  /** Removes the widget and its client listeners. */
  destroy(): void;
}

interface Exchange {
  question: string;
  answer: HTMLElement;
  streamed: HTMLElement;
  markdown: StreamingMarkdown;
  reveal: TextReveal;
  status: HTMLElement;
  statusText: HTMLElement;
  ttft: HTMLElement;
  startedAt: number;
  /** Text showed on screen. */
  shown: boolean;
  /** The turn's `end` frame came. */
  ended: boolean;
  cancelled: boolean;
  /** The socket closed while the answer streamed. */
  interrupted: boolean;
  /** The server's error frame said asking again can help. */
  retryable: boolean;
  /** Characters of the revealed text already given to the announcer. */
  announced: number;
  /** The final answer is being shown: it is announced instead of the streamed text. */
  muted: boolean;
}

const NEAR_BOTTOM_PX = 48;
/** Announcements kept in the live region (older ones are removed; they were read). */
const ANNOUNCEMENTS_KEPT = 4;

/** Markdown as a screen reader should say it: no fences, markers or link targets. */
export function speakable(markdown: string): string {
  return markdown
    .replace(/^\s*```.*$/gm, '')
    .replace(/^\s{0,3}(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+)/gm, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)?/g, '$1')
    .replace(/[*_`]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** End (exclusive) of the last whole sentence or line in `text` after `from`, or `from`. */
function sentenceEnd(text: string, from: number): number {
  for (let index = text.length - 1; index >= from; index -= 1) {
    const char = text.charAt(index);
    if (char === '\n') return index + 1;
    if ('.!?:;…'.includes(char) && /\s/.test(text.charAt(index + 1))) return index + 1;
  }
  return from;
}

export function createChatWidget(options: ChatWidgetOptions): ChatWidget {
  const labels = { ...DEFAULT_LABELS, ...options.labels };
  const now = options.now ?? (() => performance.now());
  const doc = options.container.ownerDocument;
  const view = doc.defaultView;
  const frames: FrameScheduler = options.frames ?? {
    request: (callback) => (view ?? globalThis).requestAnimationFrame(() => callback()),
    cancel: (handle) => (view ?? globalThis).cancelAnimationFrame(handle as number),
  };
  const reducedMotion = view?.matchMedia?.('(prefers-reduced-motion: reduce)');
  const instant = () =>
    options.reveal === 'instant' || reducedMotion?.matches === true || doc.visibilityState === 'hidden';
  const make = <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    testId?: string,
    className?: string,
  ): HTMLElementTagNameMap[K] => {
    const element = doc.createElement(tag);
    if (testId) element.setAttribute('data-testid', testId);
    if (className) element.className = className;
    return element;
  };

  const root = make('section', 'qs-widget', 'qs-widget');
  const log = make('div', 'qs-log', 'qs-log');
  const announcer = make('div', 'qs-announcer', 'qs-announcer');
  announcer.setAttribute('aria-live', 'polite');
  announcer.setAttribute('aria-relevant', 'additions');
  const form = make('form', 'qs-form', 'qs-form');
  const input = make('input', 'qs-question-input', 'qs-input');
  input.type = 'text';
  input.placeholder = labels.placeholder;
  input.setAttribute('aria-label', labels.inputLabel);
  input.autocomplete = 'off';
  const askButton = make('button', 'qs-ask-button', 'qs-ask');
  askButton.type = 'submit';
  askButton.textContent = labels.ask;
  const cancelButton = make('button', 'qs-cancel-button', 'qs-cancel');
  cancelButton.type = 'button';
  cancelButton.textContent = labels.cancel;
  cancelButton.disabled = true;
  form.append(input, askButton, cancelButton);
  root.append(log, announcer, form);
  options.container.appendChild(root);

  let current: Exchange | undefined;

  const scrollIfFollowing = (wasNearBottom: boolean) => {
    if (wasNearBottom) log.scrollTop = log.scrollHeight;
  };
  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight <= NEAR_BOTTOM_PX;

  const announce = (text: string) => {
    const words = speakable(text);
    if (!words) return;
    const line = make('p');
    line.textContent = words;
    announcer.append(line);
    while (announcer.childElementCount > ANNOUNCEMENTS_KEPT) announcer.firstElementChild?.remove();
  };
  /** Gives the announcer the whole sentences revealed since the last call (all of it when `all`). */
  const announceRevealed = (exchange: Exchange, all: boolean) => {
    if (exchange.muted) return;
    const visible = exchange.reveal.visible;
    const end = all ? visible.length : sentenceEnd(visible, exchange.announced);
    if (end <= exchange.announced) return;
    announce(visible.slice(exchange.announced, end));
    exchange.announced = end;
  };

  const showStatus = (exchange: Exchange, message: string | undefined) => {
    if (message !== undefined) exchange.statusText.textContent = message;
    exchange.status.hidden = message === undefined;
  };

  const setStreamState = (exchange: Exchange, state: string) => {
    exchange.streamed.setAttribute('data-state', state);
    if (state !== 'streaming') exchange.streamed.removeAttribute('aria-busy');
  };

  /** The streamed text is complete on screen: its final form, announced, not busy. */
  const finishStream = (exchange: Exchange, state: 'done' | 'stopped' | 'interrupted') => {
    if (exchange.streamed.getAttribute('data-state') !== 'streaming') return;
    exchange.markdown.finish(exchange.reveal.visible);
    announceRevealed(exchange, true);
    if (state === 'interrupted') announce(labels.interrupted);
    setStreamState(exchange, state);
    showStatus(exchange, undefined);
  };

  const onVisibility = () => {
    if (doc.visibilityState === 'hidden') current?.reveal.flush();
  };
  doc.addEventListener('visibilitychange', onVisibility);

  const unsubscribe = [
    options.client.on('delta', (frame) => {
      const exchange = current;
      if (!exchange || exchange.cancelled || !frame.text) return;
      exchange.reveal.push(frame.text);
    }),
    options.client.on('end', () => {
      const exchange = current;
      if (!exchange || exchange.cancelled) return;
      exchange.ended = true;
      exchange.reveal.end();
      if (exchange.reveal.lagChars === 0) finishStream(exchange, 'done');
    }),
    options.client.on('error', (error) => {
      // `retryable`: the error frame's word on whether asking again can help (false when absent).
      if (current && error.code === 'SERVER_ERROR' && error.retryable) {
        current.retryable = true;
      }
    }),
    options.client.on('close', () => {
      const exchange = current;
      if (!exchange || exchange.cancelled || exchange.ended || !exchange.shown) return;
      exchange.interrupted = true;
      // What arrived shows; text a new socket may catch up on is left to the final answer.
      exchange.reveal.flush();
      exchange.reveal.stop();
      finishStream(exchange, 'interrupted');
    }),
    // Status frames (json protocol): the typing indicator's text.
    options.client.on('status', (frame) => {
      const exchange = current;
      if (!exchange || exchange.cancelled || exchange.ended) return;
      // Once text shows, only a silence (working) or a retry brings the indicator back.
      if (exchange.shown && frame.phase !== 'working' && frame.phase !== 'retrying') return;
      const follow = nearBottom();
      showStatus(exchange, frame.message);
      scrollIfFollowing(follow);
    }),
  ];

  function onReveal(exchange: Exchange, visible: string): void {
    const follow = nearBottom();
    if (!exchange.shown) {
      exchange.shown = true;
      exchange.ttft.textContent = labels.ttft.replace('{ms}', String(Math.round(now() - exchange.startedAt)));
    }
    showStatus(exchange, undefined);
    exchange.markdown.update(visible);
    exchange.streamed.setAttribute('data-revealed-chars', String(visible.length));
    announceRevealed(exchange, false);
    if (exchange.ended && exchange.reveal.lagChars === 0) finishStream(exchange, 'done');
    scrollIfFollowing(follow);
  }

  function addRetry(exchange: Exchange): void {
    const retry = make('button', 'qs-retry-button', 'qs-retry');
    retry.type = 'button';
    retry.textContent = labels.retry;
    retry.addEventListener('click', () => {
      if (current) return;
      retry.remove();
      void submit(exchange.question);
    });
    exchange.ttft.before(retry);
  }

  async function submit(question: string): Promise<void> {
    const trimmed = question.trim();
    if (!trimmed || current) return;
    const follow = nearBottom();
    const questionElement = make('div', 'qs-question', 'qs-question');
    questionElement.textContent = trimmed;
    const answer = make('div', 'qs-answer', 'qs-answer');
    const status = make('div', 'qs-status', 'qs-status');
    const statusText = make('span', undefined, 'qs-status-text');
    const dots = make('span', undefined, 'qs-dots');
    dots.setAttribute('aria-hidden', 'true');
    dots.append(make('i'), make('i'), make('i'));
    status.append(dots, statusText);
    const streamed = make('div', 'qs-streamed-answer', 'qs-streamed');
    streamed.setAttribute('data-state', 'streaming');
    streamed.setAttribute('aria-busy', 'true');
    streamed.setAttribute('data-revealed-chars', '0');
    const final = make('div', 'qs-final-answer', 'qs-final');
    final.hidden = true;
    const ttft = make('div', 'qs-ttft', 'qs-ttft');
    answer.append(streamed, status, final, ttft);
    log.append(questionElement, answer);

    const exchange: Exchange = {
      question: trimmed,
      answer,
      streamed,
      markdown: new StreamingMarkdown(streamed, doc),
      reveal: new TextReveal({
        onReveal: (visible) => onReveal(exchange, visible),
        frames,
        now,
        instant,
      }),
      status,
      statusText,
      ttft,
      startedAt: now(),
      shown: false,
      ended: false,
      cancelled: false,
      interrupted: false,
      retryable: false,
      announced: 0,
      muted: false,
    };
    showStatus(exchange, labels.waiting);
    scrollIfFollowing(follow);
    current = exchange;
    input.value = '';
    askButton.disabled = true;
    cancelButton.disabled = false;
    let failed = false;
    /** What the screen reader gets when the final answer is shown. */
    let spoken = '';
    try {
      const finalAnswer = await options.ask(trimmed);
      renderMarkdown(final, finalAnswer, doc);
      final.setAttribute('data-state', 'ok');
      // What the reader has not heard yet: the rest of the answer (or all of it, when nothing streamed).
      const heard = exchange.reveal.visible.slice(0, exchange.announced);
      spoken = finalAnswer.startsWith(heard) ? finalAnswer.slice(heard.length) : finalAnswer;
    } catch (error) {
      failed = true;
      (options.logger ?? console).error('[qna-streaming] the answer could not be fetched:', error);
      const reason = make('span', 'qs-error-reason', 'qs-error-reason');
      // The message in words (never a stack); the error's name when it has no message.
      reason.textContent = String((error as Error)?.message || (error as Error)?.name || error);
      final.replaceChildren(`${labels.failed} `, reason);
      final.setAttribute('data-state', 'error');
      spoken = final.textContent ?? '';
    } finally {
      const followEnd = nearBottom();
      // What was received is complete now (a no-op after Stop): the hidden streamed text keeps it all.
      exchange.muted = true;
      exchange.reveal.flush();
      exchange.reveal.stop();
      finishStream(exchange, 'done');
      announce(spoken);
      if (!exchange.shown) ttft.textContent = labels.noStream;
      // The final answer replaces the streamed text (kept in the DOM, hidden, for inspection).
      streamed.hidden = true;
      setStreamState(exchange, 'replaced');
      showStatus(exchange, undefined);
      final.hidden = false;
      if (failed || exchange.retryable || exchange.interrupted || exchange.cancelled) addRetry(exchange);
      current = undefined;
      askButton.disabled = false;
      cancelButton.disabled = true;
      scrollIfFollowing(followEnd);
      input.focus();
    }
  }

  const onSubmit = (event: Event) => {
    event.preventDefault();
    void submit(input.value);
  };
  const onCancel = () => {
    if (!current) return;
    current.cancelled = true;
    current.reveal.stop();
    finishStream(current, 'stopped');
    options.client.cancel();
    cancelButton.disabled = true;
  };
  form.addEventListener('submit', onSubmit);
  cancelButton.addEventListener('click', onCancel);

  return {
    element: root,
    submit,
    destroy() {
      for (const off of unsubscribe) off();
      current?.reveal.stop();
      doc.removeEventListener('visibilitychange', onVisibility);
      form.removeEventListener('submit', onSubmit);
      cancelButton.removeEventListener('click', onCancel);
      root.remove();
    },
  };
}
