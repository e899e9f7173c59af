import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { ClientBounds } from '../../src/config';
import { createHttpServer } from '../../src/http/node-server';
import type { MemoryInUse } from '../../src/http/admission';

// src/http/node-server.ts in process, with a handler of the test's own instead of Yoga: its bounds are
// tested without GraphQL or a database.

export interface TestServer {
  server: Server;
  port: number;
  /** A raw TCP connection to it, as a client that misbehaves would open. */
  open(): Promise<Socket>;
  close(): Promise<void>;
}

/** Bounds loose enough to stay out of the way, but for those the test sets. */
const loose: ClientBounds = {
  sendTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 100,
  maxPipelined: 10,
  maxBufferedBytes: 1_000_000,
  maxEventLoopDelayMs: 0,
  maxMemoryBytes: 0,
};

export async function startHttpServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  bounds: Partial<ClientBounds>,
  memory?: MemoryInUse,
  unrefused?: readonly string[],
): Promise<TestServer> {
  const server = createHttpServer(handler, { ...loose, ...bounds }, memory, unrefused);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    open: () =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.once('error', reject);
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Answers every request with `body` as text/plain, with its length. */
export function answerWith(body: (request: IncomingMessage) => Buffer | string) {
  return (request: IncomingMessage, response: ServerResponse) => {
    const bytes = Buffer.from(body(request));
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(bytes.length) });
    response.end(bytes);
  };
}
