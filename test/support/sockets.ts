/**
 * WebSocket upgrades as the tests see them (the `ws` client): the refused upgrade's status and body
 * are what the gateway answered, which is what troubleshooting and abuse tests assert.
 */
import WebSocket from 'ws';

export interface UpgradeAnswer {
  /** 101 when the socket opened; the HTTP status of a refusal; 0 when nothing answered. */
  status: number;
  /** The refusal's body, or the network error's message. */
  body: string;
  /** The open socket when the upgrade succeeded (kept open: the caller closes it). */
  socket?: WebSocket;
}

/** One upgrade: the open socket (101), the refusal's status and body, or status 0 with the network error. */
export function upgrade(url: string, options?: WebSocket.ClientOptions): Promise<UpgradeAnswer> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, options);
    socket.once('open', () => resolve({ status: 101, body: '', socket }));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      response.on('end', () => {
        socket.terminate();
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    socket.once('error', (error) => resolve({ status: 0, body: error.message }));
  });
}

/** Resolves when `socket` opens; rejects with the HTTP status of a refused upgrade or the network error. */
export function whenOpen(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`connect refused with HTTP ${response.statusCode}`)),
    );
    socket.once('error', reject);
  });
}
