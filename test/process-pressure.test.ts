import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import type { Server } from 'node:http';
import { createHttpServer } from '../src/http-server';
import { MemoryInUse } from '../src/load-shedding';

// Refusals before Yoga for the process's own state. While the event loop runs late (answers built
// synchronously, refusals by the hundred), admitting
// more GraphQL work only lengthens the queue in front of every request, /live included: past
// MAX_EVENT_LOOP_DELAY_MS the HTTP server refuses new GraphQL requests before they reach Yoga, and
// health endpoints are still answered. The loop is made late here by blocking it from the test.
// Past MAX_MEMORY_MB of resident memory, the same.

let server: Server;
let port: number;
let handled = 0;

beforeAll(async () => {
  server = createHttpServer(
    (_request, response) => {
      handled++;
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' });
      response.end('ran');
    },
    {
      sendTimeoutMs: 5_000,
      headersTimeoutMs: 5_000,
      requestTimeoutMs: 5_000,
      keepAliveTimeoutMs: 1_000,
      maxConnections: 100,
      maxPipelined: 10,
      maxBufferedBytes: 1_000_000,
      maxEventLoopDelayMs: 100,
      maxMemoryBytes: 0,
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The status line and body of the one answer on `socket`. */
function answer(socket: Socket): Promise<{ status: number; body: string; retryAfter: string | null }> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? NaN);
      const body = text.slice(end + 4);
      if (body.length < length) return;
      socket.destroy();
      resolve({
        status: Number(text.slice(9, 12)),
        body,
        retryAfter: /retry-after: (\S+)/i.exec(text)?.[1] ?? null,
      });
    });
    socket.once('error', reject);
  });
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

/** Keeps the event loop busy for `ms`, as a long synchronous piece of work does. */
function block(ms: number) {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** Lets the loop run on time for a while. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 120));

it('admits GraphQL requests while the loop is on time', async () => {
  await settle();
  const socket = await open();
  socket.write(get('/graphql?query=%7B__typename%7D'));
  expect(await answer(socket)).toMatchObject({ status: 200, body: 'ran' });
});

it('refuses GraphQL requests that arrive while the loop is late, with 503 and Retry-After, and still answers /live', async () => {
  await settle();
  const before = handled;
  const graphql = await open();
  const live = await open();
  // Both requests reach the server while the loop is blocked; it reads them after 300 ms.
  graphql.write(get('/graphql?query=%7B__typename%7D'));
  live.write(get('/live'));
  block(300);
  const refused = await answer(graphql);
  expect(refused.status).toBe(503);
  expect(refused.retryAfter).toBe('1');
  expect(JSON.parse(refused.body)).toEqual({
    errors: [{ message: expect.stringContaining('overloaded'), extensions: { code: 'OVERLOADED' } }],
  });
  expect((await answer(live)).status).toBe(200);
  // Only /live reached the handler.
  expect(handled).toBe(before + 1);
});

it('admits again once the loop has caught up', async () => {
  await settle();
  const socket = await open();
  socket.write(get('/graphql?query=%7B__typename%7D'));
  expect(await answer(socket)).toMatchObject({ status: 200, body: 'ran' });
});

describe('past MAX_MEMORY_MB', () => {
  let small: Server;
  let smallPort: number;
  beforeAll(async () => {
    // A bound below what any Node process holds: always past it.
    small = createHttpServer(
      (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' });
        response.end('ran');
      },
      {
        sendTimeoutMs: 5_000,
        headersTimeoutMs: 5_000,
        requestTimeoutMs: 5_000,
        keepAliveTimeoutMs: 1_000,
        maxConnections: 100,
        maxPipelined: 10,
        maxBufferedBytes: 1_000_000,
        maxEventLoopDelayMs: 0,
        maxMemoryBytes: 1_000_000,
      },
      new MemoryInUse(),
    );
    await new Promise<void>((resolve) => small.listen(0, '127.0.0.1', resolve));
    smallPort = (small.address() as AddressInfo).port;
  });
  afterAll(async () => {
    small.closeAllConnections();
    await new Promise((resolve) => small.close(resolve));
  });

  it('refuses GraphQL requests with 503 OVERLOADED before they reach Yoga, and answers /live', async () => {
    const graphql = await fetch(`http://127.0.0.1:${smallPort}/graphql?query=%7B__typename%7D`);
    expect(graphql.status).toBe(503);
    expect(graphql.headers.get('retry-after')).toBe('1');
    expect(((await graphql.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'OVERLOADED',
    );
    const live = await fetch(`http://127.0.0.1:${smallPort}/live`);
    expect(live.status).toBe(200);
    expect(await live.text()).toBe('ran');
  });
});

it('counts what survives a collection, not garbage waiting for one, against MAX_MEMORY_MB', async () => {
  const memory = new MemoryInUse();
  try {
    const bound = process.memoryUsage().heapUsed + 50_000_000;
    // About 150 MB of garbage that V8 has no reason to collect yet.
    let garbage: string[] | null = Array.from({ length: 1_500_000 }, (_, i) => `garbage ${i} `.repeat(4));
    garbage = null;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(garbage).toBeNull();
    expect(memory.now()).toBeGreaterThan(bound);
    expect(memory.past(bound)).toBe(false);
    expect(memory.now()).toBeLessThan(bound);
  } finally {
    memory.stop();
  }
});
