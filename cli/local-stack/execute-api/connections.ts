/**
 * The open WebSocket connections of the local execute-api: who they are, their idle and
 * maximum-duration timers (close 1001 "Going away" as API Gateway), the server-side close (the
 * connection is gone for `@connections` at once, the socket is dropped if the peer does not answer
 * the close frame), and sending to a client in frames of at most 32 KB.
 */
import { WebSocket } from 'ws';
import { MAX_FRAME_BYTES } from '../../../functions/protocol/websocket';
import type { ConnectionOrigin } from './events';

export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TOO_BIG = 1009;
/** A closing socket whose peer does not answer the close frame is dropped after this long. */
const CLOSE_GRACE_MS = 1000;

export interface Connection {
  origin: ConnectionOrigin;
  socket: WebSocket;
  lastActiveAt: number;
  idleTimer?: NodeJS.Timeout;
  maxTimer?: NodeJS.Timeout;
  /** Set when the gateway decided to close; its code/reason go into the `$disconnect` event. */
  closing?: { code: number; reason: string };
  terminateTimer?: NodeJS.Timeout;
}

export class ConnectionRegistry {
  private readonly connections = new Map<string, Connection>();

  constructor(private readonly timeouts: { idleTimeoutMs: number; maxConnectionMs: number }) {}

  /** Registers an accepted socket and starts its idle and maximum-duration timers. */
  add(origin: ConnectionOrigin, socket: WebSocket): Connection {
    const connection: Connection = { origin, socket, lastActiveAt: origin.connectedAt };
    this.connections.set(origin.connectionId, connection);
    connection.maxTimer = setTimeout(
      () => this.closeWith(connection, CLOSE_GOING_AWAY, 'Going away'),
      this.timeouts.maxConnectionMs,
    );
    this.resetIdleTimer(connection);
    return connection;
  }

  /** A message from the client: the connection is active as of `at`. */
  touch(connection: Connection, at: number): void {
    connection.lastActiveAt = at;
    this.resetIdleTimer(connection);
  }

  /** The socket has closed: its timers stop and it is forgotten. */
  forget(connection: Connection): void {
    clearTimeout(connection.idleTimer);
    clearTimeout(connection.maxTimer);
    clearTimeout(connection.terminateTimer);
    this.connections.delete(connection.origin.connectionId);
  }

  /** Server-side close; the connection is gone for `@connections` at once. */
  closeWith(connection: Connection, code: number, reason: string): void {
    if (connection.closing && connection.socket.readyState !== WebSocket.OPEN) return;
    connection.closing ??= { code, reason };
    this.connections.delete(connection.origin.connectionId);
    clearTimeout(connection.idleTimer);
    clearTimeout(connection.maxTimer);
    if (connection.socket.readyState === WebSocket.OPEN) connection.socket.close(code, reason);
    clearTimeout(connection.terminateTimer);
    connection.terminateTimer = setTimeout(() => connection.socket.terminate(), CLOSE_GRACE_MS);
  }

  get(connectionId: string): Connection | undefined {
    return this.connections.get(connectionId);
  }

  ids(): string[] {
    return [...this.connections.keys()];
  }

  all(): Connection[] {
    return [...this.connections.values()];
  }

  /** Sends to the client unless the connection is closing; long messages in 32 KB frames. */
  send(connection: Connection, data: string | Buffer, binary = false): void {
    if (connection.closing || connection.socket.readyState !== WebSocket.OPEN) return;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length <= MAX_FRAME_BYTES) {
      connection.socket.send(bytes, { binary });
      return;
    }
    // Longer messages go out as continuation frames of at most 32 KB, as API Gateway sends them.
    for (let offset = 0; offset < bytes.length; offset += MAX_FRAME_BYTES) {
      const end = Math.min(bytes.length, offset + MAX_FRAME_BYTES);
      connection.socket.send(bytes.subarray(offset, end), { binary, fin: end === bytes.length });
    }
  }

  private resetIdleTimer(connection: Connection): void {
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(
      () => this.closeWith(connection, CLOSE_GOING_AWAY, 'Going away'),
      this.timeouts.idleTimeoutMs,
    );
  }
}
