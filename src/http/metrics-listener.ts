import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsConfig } from '../config';
import { scrape } from './metrics-endpoint';
import { securityHeaders } from './security-headers';

/**
 * METRICS_PORT: the metrics on a listener of their own, bound to METRICS_HOST (127.0.0.1 unless
 * told otherwise), so that the public port never answers them. It answers GET METRICS_PATH and
 * nothing else (404), with METRICS_TOKEN when one is set. Resolves once it listens.
 */
export function listenForMetrics(
  metrics: MetricsConfig,
  read: () => Promise<string>,
  production: boolean,
): Promise<{ server: Server; url: string }> {
  const headers = securityHeaders({ production, crossOrigin: false });
  const server = createServer((request, response) =>
    headers(request, response, () => {
      const path = (request.url ?? '/').split('?')[0];
      if (path !== metrics.path || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
        return;
      }
      scrape(read, request.headers.authorization, metrics.token).then(
        ({ status, headers, body }) => response.writeHead(status, headers).end(body),
        (error: Error) =>
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${error.message}\n`),
      );
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
