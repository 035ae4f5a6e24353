/**
 * A framework-free chat widget for any page, built on StreamingClient.
 *
 * The page passes `ask(question)`, which returns the final answer (e.g. Lex RecognizeText's
 * message); while it runs, the client's deltas are shown as they arrive with a cursor, and the
 * final answer (a small markdown subset, rendered without innerHTML) then replaces them.
 *
 * Stable DOM hooks for tests and styling (`data-testid`); answers accumulate in the log, so the
 * current answer's elements are the last ones with their test id:
 *
 * | data-testid           | element                                                          |
 * |-----------------------|------------------------------------------------------------------|
 * | `qs-question-input`   | the question text box                                            |
 * | `qs-ask-button`       | submit button (disabled while an answer runs)                    |
 * | `qs-cancel-button`    | stop button (enabled while an answer runs)                       |
 * | `qs-log`              | the conversation, an `aria-live="polite"` region                 |
 * | `qs-question`         | one asked question                                               |
 * | `qs-streamed-answer`  | streamed text of an answer; `data-state` = `streaming`/`done`/`replaced` |
 * | `qs-final-answer`     | final answer; hidden until it arrives; `data-state` = `ok`/`error` |
 * | `qs-error-reason`     | inside a failed final answer: why, in words (the error's message) |
 * | `qs-ttft`             | time from the question to the first streamed words on screen ("First words on screen 412 ms after asking" or "No streamed text") |
 */
import type { StreamingClient } from './client';
import { renderMarkdown } from './markdown';

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
}

export const DEFAULT_LABELS: ChatWidgetLabels = {
  placeholder: 'Ask a question…',
  ask: 'Ask',
  cancel: 'Stop',
  inputLabel: 'Your question',
  ttft: 'First words on screen {ms} ms after asking',
  noStream: 'No streamed text',
  failed: 'Sorry, the answer could not be fetched.',
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
  streamed: HTMLElement;
  text: Text;
  cursor: HTMLElement;
  ttft: HTMLElement;
  startedAt: number;
  received: boolean;
  cancelled: boolean;
}

const NEAR_BOTTOM_PX = 48;

export function createChatWidget(options: ChatWidgetOptions): ChatWidget {
  const labels = { ...DEFAULT_LABELS, ...options.labels };
  const now = options.now ?? (() => performance.now());
  const doc = options.container.ownerDocument;
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
  log.setAttribute('aria-live', 'polite');
  log.setAttribute('aria-relevant', 'additions text');
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
  root.append(log, form);
  options.container.appendChild(root);

  let current: Exchange | undefined;

  const scrollIfFollowing = (wasNearBottom: boolean) => {
    if (wasNearBottom) log.scrollTop = log.scrollHeight;
  };
  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight <= NEAR_BOTTOM_PX;

  const stopCursor = (exchange: Exchange) => {
    exchange.cursor.remove();
    if (exchange.streamed.getAttribute('data-state') === 'streaming') {
      exchange.streamed.setAttribute('data-state', 'done');
    }
  };

  const unsubscribe = [
    options.client.on('delta', (frame) => {
      const exchange = current;
      if (!exchange || exchange.cancelled || !frame.text) return;
      const follow = nearBottom();
      if (!exchange.received) {
        exchange.received = true;
        exchange.ttft.textContent = labels.ttft.replace(
          '{ms}',
          String(Math.round(now() - exchange.startedAt)),
        );
      }
      exchange.text.appendData(frame.text);
      scrollIfFollowing(follow);
    }),
    options.client.on('end', () => {
      if (current) stopCursor(current);
    }),
  ];

  async function submit(question: string): Promise<void> {
    const trimmed = question.trim();
    if (!trimmed || current) return;
    const follow = nearBottom();
    const questionElement = make('div', 'qs-question', 'qs-question');
    questionElement.textContent = trimmed;
    const answer = make('div', 'qs-answer', 'qs-answer');
    const streamed = make('div', 'qs-streamed-answer', 'qs-streamed');
    streamed.setAttribute('data-state', 'streaming');
    const text = doc.createTextNode('');
    const cursor = make('span', undefined, 'qs-cursor');
    cursor.setAttribute('aria-hidden', 'true');
    cursor.textContent = '▍';
    streamed.append(text, cursor);
    const final = make('div', 'qs-final-answer', 'qs-final');
    final.hidden = true;
    const ttft = make('div', 'qs-ttft', 'qs-ttft');
    answer.append(streamed, final, ttft);
    log.append(questionElement, answer);
    scrollIfFollowing(follow);

    const exchange: Exchange = {
      streamed,
      text,
      cursor,
      ttft,
      startedAt: now(),
      received: false,
      cancelled: false,
    };
    current = exchange;
    input.value = '';
    askButton.disabled = true;
    cancelButton.disabled = false;
    try {
      const finalAnswer = await options.ask(trimmed);
      renderMarkdown(final, finalAnswer, doc);
      final.setAttribute('data-state', 'ok');
    } catch (error) {
      (options.logger ?? console).error('[qna-streaming] the answer could not be fetched:', error);
      const reason = make('span', 'qs-error-reason', 'qs-error-reason');
      // The message in words (never a stack); the error's name when it has no message.
      reason.textContent = String((error as Error)?.message || (error as Error)?.name || error);
      final.replaceChildren(`${labels.failed} `, reason);
      final.setAttribute('data-state', 'error');
    } finally {
      const followEnd = nearBottom();
      stopCursor(exchange);
      if (!exchange.received) ttft.textContent = labels.noStream;
      // The final answer replaces the streamed text (kept in the DOM, hidden, for inspection).
      streamed.hidden = true;
      streamed.setAttribute('data-state', 'replaced');
      final.hidden = false;
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
    stopCursor(current);
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
      form.removeEventListener('submit', onSubmit);
      cancelButton.removeEventListener('click', onCancel);
      root.remove();
    },
  };
}
