import { bufferedAnswerBytes } from '../src/http/node-server';
import { answerWith, startHttpServer, type TestServer } from './support/http-server';

// Past MAX_BUFFERED_BYTES of answers held for clients that do not read them, the connections whose
// clients have read nothing for 5 s are cut, well before HTTP_SEND_TIMEOUT_MS. Meanwhile other
// requests still reach the handler (the admission queue starts only small operations among them:
// test/small-operations.test.ts), and new event streams are refused. In process, with answers made
// by the test instead of GraphQL.

const bigBytes = 20_000_000;
let server: TestServer;

beforeAll(async () => {
  server = await startHttpServer(
    answerWith((request) => (request.url === '/big' ? Buffer.alloc(bigBytes, 'a') : 'ok')),
    { maxPipelined: 2, maxBufferedBytes: 1_000_000 },
  );
});

afterAll(() => server.close());

const open = () => server.open();

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

async function status(path: string, accept = '*/*'): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { accept } });
  await response.arrayBuffer();
  return response.status;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('cuts the clients that have read nothing for 5 s while answers past MAX_BUFFERED_BYTES wait, and serves others meanwhile', async () => {
  const stalled = await Promise.all([open(), open()]);
  const closed = stalled.map((socket) => {
    socket.pause(); // reads nothing
    socket.on('error', () => undefined);
    socket.write(get('/big'));
    return new Promise<void>((resolve) => socket.once('close', () => resolve()));
  });
  for (let i = 0; i < 50 && bufferedAnswerBytes() < bigBytes; i++) await sleep(50);
  expect(bufferedAnswerBytes()).toBeGreaterThan(bigBytes);

  // Past MAX_BUFFERED_BYTES, requests still reach the handler, health endpoints too; a new event
  // stream does not.
  expect(await status('/small')).toBe(200);
  expect(await status('/live')).toBe(200);
  expect(await status('/graphql', 'text/event-stream')).toBe(503);
  await sleep(2_000);
  expect(await status('/small')).toBe(200);
  expect(bufferedAnswerBytes()).toBeGreaterThan(bigBytes);
  await sleep(3_200);
  // Silent for 5 s: cut on the next check, made by the next request, which is served.
  expect(await status('/small')).toBe(200);
  expect(bufferedAnswerBytes()).toBeLessThan(1_000_000);
  expect(await status('/graphql', 'text/event-stream')).toBe(200);
  // Reading again, the clients find their connections closed.
  for (const socket of stalled) socket.resume();
  await Promise.all(closed);
  expect(bufferedAnswerBytes()).toBeLessThan(1_000_000);
}, 20_000);

it('counts the answer to a pipelined request, waiting behind an unread one, against MAX_BUFFERED_BYTES', async () => {
  const socket = await open();
  socket.pause(); // reads nothing
  socket.on('error', () => undefined);
  // Two requests in one write: the second's answer waits in its response until the first's is taken.
  socket.write(get('/big') + get('/big'));
  for (let i = 0; i < 50 && bufferedAnswerBytes() < 1.5 * bigBytes; i++) await sleep(50);
  expect(bufferedAnswerBytes()).toBeGreaterThan(1.5 * bigBytes);
  socket.destroy();
  await sleep(50);
  expect(bufferedAnswerBytes()).toBeLessThan(1_000_000);
});
