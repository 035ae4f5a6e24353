/**
 * The open tabs of one session during one answer: a ConnectionPoster per connection, kept in step
 * with the session watcher's reads. Everything sent goes to every tab; a tab that shows up
 * mid-answer first gets what the others already have (the catch-up: the turn's first status,
 * `thinking`, then before any text its latest status, or else the text and the citations), and a
 * tab that left stops.
 */
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { Citation } from '../../protocol/frames';
import type { Logger } from '../../shared/logger';
import type { ConnectionRecord, SessionTable } from '../../shared/session-table';
import { ConnectionPoster, type PosterRetryOptions } from './connection-poster';
import type { OutboundItem } from './frame-encoder';

type StatusItem = Extract<OutboundItem, { kind: 'status' }>;

export interface SessionTabsOptions {
  sessionId: string;
  turnId: string;
  managementApi: ApiGatewayManagementApiClient;
  /** Where a gone connection is forgotten. */
  table: Pick<SessionTable, 'deleteConnection'>;
  posterRetry?: PosterRetryOptions;
  logger: Logger;
}

export class SessionTabs {
  private readonly posters = new Map<string, ConnectionPoster>();
  /** The (coalesced) text every tab has been sent so far: a new tab's catch-up. */
  private delivered = '';
  /** The turn's first status (`thinking`: every tab gets it after `start`) and its latest (before any text). */
  private firstStatus: StatusItem | undefined;
  private latestStatus: StatusItem | undefined;
  /** Citations sent so far, in order; also the answer's citations. */
  readonly citations: Citation[] = [];
  private gone = 0;

  constructor(private readonly options: SessionTabsOptions) {}

  /** Opens a poster for each new connection (with the catch-up) and stops those no longer listed. */
  sync(records: ConnectionRecord[]): void {
    const live = new Set(records.map((record) => record.connectionId));
    for (const record of records) {
      if (!this.posters.has(record.connectionId)) this.open(record);
    }
    for (const [connectionId, poster] of this.posters) {
      if (!live.has(connectionId) && poster.state === 'open') poster.stop('closed');
    }
  }

  sendText(text: string): void {
    this.delivered += text;
    this.broadcast({ kind: 'text', text });
  }

  sendStatus(status: StatusItem): void {
    this.firstStatus ??= status;
    this.latestStatus = status;
    this.broadcast(status);
  }

  sendCitations(citations: Citation[]): void {
    this.citations.push(...citations);
    this.broadcast({ kind: 'citations', citations });
  }

  broadcast(item: OutboundItem): void {
    for (const poster of this.posters.values()) poster.enqueue(item);
  }

  /** Settles when every tab has posted everything queued (or stopped). */
  idle(): Promise<unknown> {
    return Promise.all([...this.posters.values()].map((poster) => poster.idle()));
  }

  /** Drops whatever is still queued. */
  stopAll(): void {
    for (const poster of this.posters.values()) poster.stop('closed');
  }

  /** Whether a text-protocol tab (Lex Web UI) still open was sent some text. */
  textTabGotText(): boolean {
    return [...this.posters.values()].some(
      (poster) => poster.protocol === 'text' && poster.state === 'open' && poster.stats.delivered > 0,
    );
  }

  /** The answer's statistics about tabs. */
  counts(): { posts: number; connections: number; goneConnections: number } {
    return {
      posts: [...this.posters.values()].reduce((sum, poster) => sum + poster.stats.posts, 0),
      connections: this.posters.size,
      goneConnections: this.gone,
    };
  }

  private open(record: ConnectionRecord): void {
    const { options } = this;
    const poster = new ConnectionPoster({
      client: options.managementApi,
      sessionId: options.sessionId,
      connectionId: record.connectionId,
      protocol: record.protocol,
      turnId: options.turnId,
      retry: options.posterRetry,
      logger: options.logger,
      onGone: async (connectionId) => {
        this.gone++;
        await options.table.deleteConnection(options.sessionId, connectionId);
      },
    });
    this.posters.set(record.connectionId, poster);
    poster.enqueue({ kind: 'start' });
    // A tab that shows up mid-answer first gets what the others already have.
    // Every json tab's turn opens with `start` and `thinking`, even when its first text is a catch-up.
    if (this.firstStatus) poster.enqueue(this.firstStatus);
    const latest = this.latestStatus;
    if (!this.delivered && latest && latest !== this.firstStatus) poster.enqueue(latest);
    if (this.delivered) poster.enqueue({ kind: 'text', text: this.delivered });
    if (this.citations.length > 0) poster.enqueue({ kind: 'citations', citations: [...this.citations] });
  }
}
