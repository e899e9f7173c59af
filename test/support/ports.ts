import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 now, for a server a test or bench starts (PostgreSQL, PgBouncer, ours). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
