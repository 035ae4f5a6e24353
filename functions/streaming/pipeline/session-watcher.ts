/**
 * Keeps the publisher's view of a session current while it streams: the first read starts at once
 * (in parallel with the model call), then the session's items are re-read every `pollMs` (~350 ms),
 * which picks up tabs that connect mid-answer, drops tabs that left, and notices a `cancel` (the
 * connection Lambda sets `cancelRequestedAt`) newer than the turn's start — well within 1 s.
 */
import type { Logger } from '../../shared/logger';
import { type ConnectionRecord, cancelRequestedSince, type SessionTable } from '../../shared/session-table';

export interface SessionWatcherOptions {
  table: Pick<SessionTable, 'listConnections'>;
  sessionId: string;
  /** Epoch ms the turn started; older cancels belong to earlier answers. */
  turnStartedAt: number;
  pollMs: number;
  onConnections: (records: ConnectionRecord[]) => void;
  onCancel: (requestedAt: number) => void;
  logger?: Logger;
}

export class SessionWatcher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private firstRead: Promise<boolean> | undefined;
  /** Reads of the table so far. */
  reads = 0;

  constructor(private readonly options: SessionWatcherOptions) {}

  /** Starts watching; resolves after the first read (true when it succeeded). Never rejects. */
  start(): Promise<boolean> {
    if (!this.firstRead) {
      this.firstRead = this.read().then((ok) => {
        this.schedule();
        return ok;
      });
    }
    return this.firstRead;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.read().then(() => this.schedule());
    }, this.options.pollMs);
  }

  private async read(): Promise<boolean> {
    if (this.stopped) return false;
    let records: ConnectionRecord[];
    try {
      this.reads++;
      records = await this.options.table.listConnections(this.options.sessionId);
    } catch (error) {
      this.options.logger?.warn('could not read the session connections', { error });
      return false;
    }
    if (this.stopped) return true;
    this.options.onConnections(records);
    const cancelledAt = cancelRequestedSince(records, this.options.turnStartedAt);
    if (cancelledAt !== undefined) this.options.onCancel(cancelledAt);
    return true;
  }
}
