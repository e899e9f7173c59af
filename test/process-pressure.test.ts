import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { MemoryInUse } from '../src/http/admission';
import { serveWebSocket } from '../src/realtime/websocket';
import { yoga } from '../src/graphql/yoga';
import { answerWith, startHttpServer, type TestServer } from './support/http-server';

// Refusals before Yoga for the process's own state. While the event loop runs late (answers built
// synchronously, refusals by the hundred), admitting more GraphQL work only lengthens the queue in
// front of every request, /live included: past MAX_EVENT_LOOP_DELAY_MS the HTTP server refuses new
// GraphQL requests before they reach Yoga, and health endpoints are still answered. The loop is
// made late here by blocking it from the test. Past MAX_MEMORY_MB of heap in use, new streams are
// refused the same way, and other requests meet the admission queue, which starts only small
// operations (test/small-operations.test.ts).

let server: TestServer;
let handled = 0;

beforeAll(async () => {
  server = await startHttpServer(
    answerWith(() => {
      handled++;
      return 'ran';
    }),
    // Well above what a busy test machine's scheduling adds, well below the block below.
    { maxEventLoopDelayMs: 250 },
  );
});

afterAll(() => server.close());

const open = () => server.open();

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
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

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
  // Both requests reach the server while the loop is blocked; it reads them after 800 ms.
  graphql.write(get('/graphql?query=%7B__typename%7D'));
  live.write(get('/live'));
  block(800);
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

/** How a WebSocket upgrade (graphql-ws's protocol) to `port` is answered: opened, or the HTTP status and Retry-After. */
function upgrade(port: number): Promise<{ opened: true } | { status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
    socket.on('open', () => {
      socket.terminate();
      resolve({ opened: true });
    });
    socket.on('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode!, retryAfter: response.headers['retry-after'] as string | undefined });
      response.resume();
      socket.terminate();
    });
    socket.on('error', reject);
  });
}

it('refuses WebSocket upgrades while the loop is late (503, Retry-After), as requests, and accepts them once it caught up', async () => {
  const websocket = serveWebSocket(server.server, yoga);
  try {
    await settle();
    expect(await upgrade(server.port)).toEqual({ opened: true });
    // The upgrade request reaches the server while the loop is blocked; it reads it after 800 ms.
    const socket = await open();
    socket.write(
      'GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        'Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n',
    );
    block(800);
    expect(await answer(socket)).toMatchObject({ status: 503, retryAfter: '1' });
    await settle();
    expect(await upgrade(server.port)).toEqual({ opened: true });
  } finally {
    await websocket.close(0);
  }
});

describe('past MAX_MEMORY_MB', () => {
  let small: TestServer;
  // A bound below what any Node process holds: always past it.
  beforeAll(async () => {
    small = await startHttpServer(
      answerWith(() => 'ran'),
      { maxMemoryBytes: 1_000_000 },
      new MemoryInUse(),
      ['/metrics'],
    );
  });
  afterAll(() => small.close());

  it('refuses new event streams and WebSocket upgrades with 503 OVERLOADED; lets requests reach the admission queue; answers /live and /metrics', async () => {
    const stream = await fetch(`http://127.0.0.1:${small.port}/graphql`, { headers: { accept: 'text/event-stream' } });
    expect(stream.status).toBe(503);
    expect(stream.headers.get('retry-after')).toBe('1');
    expect(((await stream.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'OVERLOADED',
    );
    // Nor a WebSocket upgrade, which does not pass through the request handler.
    const websocket = serveWebSocket(small.server, yoga);
    try {
      expect(await upgrade(small.port)).toEqual({ status: 503, retryAfter: '1' });
    } finally {
      await websocket.close(0);
    }
    // A request's operation is admitted or refused by its cost (test/small-operations.test.ts);
    // the metrics matter most then.
    for (const path of ['/graphql?query=%7B__typename%7D', '/live', '/metrics']) {
      const answer = await fetch(`http://127.0.0.1:${small.port}${path}`);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe('ran');
    }
  });
});

// What counts against MAX_MEMORY_MB (what survived the last full collection): test/admission.test.ts.
