/**
 * A scripted WebSocket for the timer-driven client tests (heartbeat, backoff, renewal), where a
 * real server cannot be driven through hours of fake time. Real sockets are tested in
 * client-ws.test.ts and, later, in the browser end-to-end tests.
 */
import type { WebSocketEventLike, WebSocketLike } from '../../web-plugin/client';

type Listener = (event: WebSocketEventLike) => void;

export class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];
  readyState = 0;
  readonly sent: string[] = [];
  closedWith: { code?: number; reason?: string } | undefined;
  private readonly listeners = new Map<string, Listener[]>();

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  static reset(): void {
    FakeWebSocket.instances = [];
  }

  static last(): FakeWebSocket {
    const socket = FakeWebSocket.instances.at(-1);
    if (!socket) throw new Error('no socket was created');
    return socket;
  }

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.closedWith = { code, reason };
    this.fire('close', { code: code ?? 1005, reason: reason ?? '' });
  }

  /** The server accepted the handshake. */
  open(): void {
    this.readyState = 1;
    this.fire('open', {});
  }

  receive(message: string | object): void {
    this.fire('message', { data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  /** The connection dropped (network, idle timeout, 2-hour limit). */
  drop(code = 1006): void {
    this.readyState = 3;
    this.fire('close', { code, reason: '' });
  }

  /** The handshake failed, as a browser reports a 403: an error, then a close, never an open. */
  refuse(): void {
    this.readyState = 3;
    this.fire('error', { message: 'Unexpected server response: 403' });
    this.fire('close', { code: 1006, reason: '' });
  }

  query(): URLSearchParams {
    return new URL(this.url).searchParams;
  }

  private fire(type: string, event: WebSocketEventLike): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}
