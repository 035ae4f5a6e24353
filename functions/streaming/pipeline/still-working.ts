/**
 * The "still working" status: after `afterMs` with nothing sent to the user (no text, no status),
 * `onSilence` is called, and again after each further silence of `afterMs`, at most `max` times.
 * Anything sent (`activity()`) starts the silence over. Defaults: STILL_WORKING_AFTER_MS and
 * MAX_WORKING_STATUSES in functions/protocol/frames.ts, where the choice is explained.
 */
import { MAX_WORKING_STATUSES, STILL_WORKING_AFTER_MS } from '../../protocol/frames';
import { type Clock, systemClock } from './clock';

export interface StillWorkingOptions {
  onSilence: () => void;
  /** @default STILL_WORKING_AFTER_MS */
  afterMs?: number;
  /** @default MAX_WORKING_STATUSES */
  max?: number;
  clock?: Clock;
}

export class StillWorking {
  private readonly afterMs: number;
  private readonly max: number;
  private readonly clock: Clock;
  private timer: unknown;
  private lastActivityAt = 0;
  private stopped = false;
  /** `onSilence` calls so far. */
  sent = 0;

  constructor(private readonly options: StillWorkingOptions) {
    this.afterMs = options.afterMs ?? STILL_WORKING_AFTER_MS;
    this.max = options.max ?? MAX_WORKING_STATUSES;
    if (!(this.afterMs > 0)) throw new RangeError(`afterMs must be > 0, got ${this.afterMs}`);
    this.clock = options.clock ?? systemClock;
  }

  /** Starts counting silence (the turn began). */
  start(): void {
    this.lastActivityAt = this.clock.now();
    this.schedule(this.afterMs);
  }

  /**
   * Something reached the user: the silence starts over. Called for every piece of text, so it only
   * notes the time; the one timer checks it when it fires.
   */
  activity(): void {
    this.lastActivityAt = this.clock.now();
  }

  /** The answer is done: no more statuses. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped || this.sent >= this.max) return;
    this.timer = this.clock.setTimeout(() => this.check(), ms);
  }

  private check(): void {
    this.timer = undefined;
    const silentFor = this.clock.now() - this.lastActivityAt;
    if (silentFor < this.afterMs) {
      this.schedule(this.afterMs - silentFor);
      return;
    }
    this.sent++;
    this.lastActivityAt = this.clock.now();
    this.options.onSilence();
    this.schedule(this.afterMs);
  }
}
