/**
 * What the model has said so far in one answer: each event of the source is recorded here (the
 * answer's text, chunks, time to first text, stop reason, usage, guardrail) and its text, citations
 * and statuses go on to the tabs, the text through the coalescer. It also sends the turn's own
 * statuses: `thinking` when the turn begins and `working` after each silence (still-working.ts).
 */
import { STATUS_MESSAGES, type StatusPhase, type Usage } from '../../protocol/frames';
import type { Logger } from '../../shared/logger';
import type { StreamEvent } from '../sources/events';
import { Coalescer } from './coalescer';
import type { SessionTabs } from './session-tabs';
import { StillWorking } from './still-working';

export interface AnswerCollectorOptions {
  /** Epoch ms the answer started (time to first text counts from it). */
  startedAt: number;
  tabs: SessionTabs;
  coalesceWindowMs: number;
  coalesceMaxBytes: number;
  /** Silence before a `working` status. @default STILL_WORKING_AFTER_MS */
  stillWorkingAfterMs?: number;
  /** Each piece of text as the model produces it (before coalescing). */
  onContent?: (text: string) => void;
  logger: Logger;
}

export class AnswerCollector {
  /** The whole text so far (what Lex gets back). */
  text = '';
  chunks = 0;
  ttftMs: number | undefined;
  /** The model's own stop reason, when it gave one. */
  stopReason: string | undefined;
  usage: Usage | undefined;
  guardrailIntervened = false;
  private readonly coalescer: Coalescer;
  private readonly stillWorking: StillWorking;

  constructor(private readonly options: AnswerCollectorOptions) {
    this.coalescer = new Coalescer({
      windowMs: options.coalesceWindowMs,
      maxBytes: options.coalesceMaxBytes,
      emit: (text) => options.tabs.sendText(text),
    });
    this.stillWorking = new StillWorking({
      onSilence: () => this.sendStatus('working'),
      ...(options.stillWorkingAfterMs !== undefined ? { afterMs: options.stillWorkingAfterMs } : {}),
    });
  }

  /** The turn begins: `thinking`, and the silence count starts. */
  begin(): void {
    this.sendStatus('thinking');
    this.stillWorking.start();
  }

  /** The model is done: no more `working` statuses. */
  end(): void {
    this.stillWorking.stop();
  }

  /** Records one event of the source (a plain string is text). */
  readonly handle = (event: StreamEvent | string): void => {
    const normalized: StreamEvent = typeof event === 'string' ? { type: 'text', text: event } : event;
    switch (normalized.type) {
      case 'text':
        if (!normalized.text) return;
        if (this.ttftMs === undefined) this.ttftMs = Date.now() - this.options.startedAt;
        this.text += normalized.text;
        this.chunks++;
        this.stillWorking.activity();
        this.coalescer.push(normalized.text);
        if (this.options.onContent) {
          const onContent = this.options.onContent;
          safely(this.options.logger, 'onContent', () => onContent(normalized.text));
        }
        return;
      case 'citations':
        if (normalized.citations.length === 0) return;
        this.coalescer.flush(); // the citation follows the text it supports
        this.options.tabs.sendCitations(normalized.citations);
        return;
      case 'stop':
        this.stopReason = normalized.stopReason;
        return;
      case 'metadata':
        if (normalized.usage) this.usage = normalized.usage;
        return;
      case 'guardrail':
        if (normalized.action === 'INTERVENED') this.guardrailIntervened = true;
        return;
      case 'status':
        this.stillWorking.activity();
        this.sendStatus(normalized.phase, normalized.message, normalized.retryInMs);
        return;
    }
  };

  private sendStatus(phase: StatusPhase, message = STATUS_MESSAGES[phase], retryInMs?: number): void {
    this.coalescer.flush(); // a status follows the text before it
    this.options.tabs.sendStatus({
      kind: 'status',
      phase,
      message,
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    });
  }

  /** Sends the text the coalescer still holds. */
  flush(): void {
    this.coalescer.flush();
  }
}

/** Runs a caller's callback; a throw is logged and ignored (it must not break the answer). */
export function safely(logger: Logger, name: string, callback: () => void): void {
  try {
    callback();
  } catch (error) {
    logger.warn(`${name} callback threw; ignored`, { error });
  }
}
