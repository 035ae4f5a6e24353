/**
 * The local stack's web server: the page to open, the endpoints as JSON for scripts, and any
 * static asset the page needs (registered by path). GET and HEAD only; everything else is 405.
 */
import { createServer } from 'node:http';
import { listen } from './http';

export interface WebAsset {
  contentType: string;
  /** Produced on each request, so a rebuilt asset is served without a restart. */
  body: () => string | Buffer;
}

export interface LocalWebServer {
  port: number;
  /** `http://host:port/`, the page to open. */
  url: string;
  setAsset(path: string, asset: WebAsset): void;
  stop(): Promise<void>;
}

export async function startWebServer(
  options: { host?: string; port?: number } = {},
): Promise<LocalWebServer> {
  const assets = new Map<string, WebAsset>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('method not allowed\n');
      return;
    }
    const asset = assets.get(path);
    if (!asset) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    let body: string | Buffer;
    try {
      body = asset.body();
    } catch (error) {
      response
        .writeHead(500, { 'content-type': 'text/plain' })
        .end(`could not produce ${path}: ${String(error)}\n`);
      return;
    }
    response.writeHead(200, {
      'content-type': asset.contentType,
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(body),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  const host = options.host ?? '127.0.0.1';
  const { port } = await listen(server, options.port ?? 0, host);
  return {
    port,
    url: `http://${host}:${port}/`,
    setAsset: (path, asset) => assets.set(path, asset),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
