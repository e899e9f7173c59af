import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsConfig } from '../config';
import { scrape } from './metrics-endpoint';
import { securityHeaders } from './security-headers';

/** What the management listener answers besides its path: the probes, as the server's own port does. */
const probes = { live: '/live', ready: ['/ready', '/health'] };

export interface Management {
  /** The metrics' text (with WEB_CONCURRENCY > 1, every worker's, gathered by the primary). */
  read: () => Promise<string>;
  /** Whether the server can serve: not stopping, and the database answers (with WEB_CONCURRENCY > 1, a worker's). */
  ready: () => Promise<boolean>;
}

/**
 * METRICS_PORT: a listener for operators, bound to METRICS_HOST (127.0.0.1 unless told otherwise),
 * so that the public port never answers the metrics. It answers GET METRICS_PATH (with
 * METRICS_TOKEN when one is set; 404 with METRICS=false), and the probes /live, /ready and /health
 * as the public port does, and nothing else (404).
 *
 * The probes are here because the public port cannot answer them in time when hundreds of
 * connections arrive at once: libuv takes one new connection of a listening socket per turn of the
 * event loop, each connection taken makes the next turns longer with its requests, and a probe's
 * new connection waits in the listen queue behind the rest for seconds (`npm run hostile`, the
 * storm's 300 clients connecting). This listener's queue holds only the operators' connections, so
 * its probes are answered within a turn or two. Resolves once it listens.
 */
export function listenForManagement(
  metrics: MetricsConfig,
  management: Management,
  production: boolean,
): Promise<{ server: Server; url: string }> {
  const headers = securityHeaders({ production, crossOrigin: false });
  const server = createServer((request, response) =>
    headers(request, response, () => {
      const path = (request.url ?? '/').split('?')[0];
      const read = request.method === 'GET' || request.method === 'HEAD';
      const answer = (status: number) => response.writeHead(status, { 'content-length': '0' }).end();
      if (read && path === probes.live) {
        answer(200);
      } else if (read && probes.ready.includes(path!)) {
        management.ready().then(
          (ready) => answer(ready ? 200 : 503),
          () => answer(503),
        );
      } else if (read && path === metrics.path && metrics.enabled) {
        scrape(management.read, request.headers.authorization, metrics.token).then(
          ({ status, headers, body }) => response.writeHead(status, headers).end(body),
          (error: Error) =>
            response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${error.message}\n`),
        );
      } else {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      }
    }),
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(metrics.port, metrics.host, () => {
      server.off('error', reject);
      const { address, family, port } = server.address() as AddressInfo;
      const host = family === 'IPv6' ? `[${address}]` : address;
      resolve({ server, url: `http://${host}:${port}${metrics.path}` });
    });
  });
}
