import { connect, type Socket } from 'node:net';
import { Client } from 'pg';
import { type ServerProcess, startServer } from './support/server-process';

// Clients that pipeline requests or stop reading their answers cannot make the server hold them
// without bound (src/http/node-server.ts): pipelined requests past MAX_PIPELINED are refused unexecuted,
// a connection that reads nothing for HTTP_SEND_TIMEOUT_MS is closed, and while MAX_BUFFERED_BYTES
// of answers wait in connections, new operations past SMALL_OPERATION_COST get 503 and small ones
// still run. Over raw TCP, as such a client would send.

let server: ServerProcess;
let port: number;

beforeAll(async () => {
  server = await startServer({
    DATABASE_URL: process.env.DATABASE_URL!,
    MAX_PIPELINED: '2',
    HTTP_SEND_TIMEOUT_MS: '1500',
    MAX_BUFFERED_BYTES: '2000000',
    // The answer that stalls is 18 MB on purpose: above the default MAX_RESPONSE_BYTES (10 MB),
    // which would replace it with an error of a few hundred bytes.
    MAX_RESPONSE_BYTES: '100000000',
    SMALL_OPERATION_COST: '100',
    MAX_QUEUE_WAIT_MS: '0',
  });
  port = Number(new URL(server.url).port);
  // 2,000 heroes with 2,000-character names of U+0001, each 6 bytes in JSON: a page of 100 is
  // 1.2 MB of answer, 15 aliases of it 18 MB, more than loopback's socket buffers take.
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query(
    `INSERT INTO "Hero" (name, "secretName") SELECT repeat(chr(1), 2000), 'x' FROM generate_series(1, 2000)`,
  );
  await client.end();
}, 60_000);

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
});

const big = `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: heroes(first: 100, orderBy: { field: AGE }) { edges { node { name } } }`).join(' ')} }`;

/** What the whole answer to `big` would be, at least. */
const answerBytes = 15 * 100 * 2000 * 6;

function rawPost(query: string): string {
  const body = JSON.stringify({ query });
  return `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends on a socket until it closes it (or `ms` pass). */
function readAll(socket: Socket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

async function post(query: string) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, text: await response.text() };
}

it('pipelined requests past MAX_PIPELINED are answered 503 without running, then the connection closes', async () => {
  const socket = await open();
  // Six requests in one write: all arrive before the first is answered.
  socket.write(Array.from({ length: 6 }, () => rawPost('{ heroes(first: 1) { totalCount } }')).join(''));
  const text = await readAll(socket, 10_000);
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => Number(match[1]));
  expect(statuses.slice(0, 2)).toEqual([200, 200]);
  expect(statuses.slice(2).every((status) => status === 503)).toBe(true);
  expect(statuses.length).toBeGreaterThanOrEqual(3);
  expect(text).toContain('"code":"OVERLOADED"');
  expect(text).toMatch(/retry-after: 1/i);
}, 20_000);

it('a client that stops reading is cut off after HTTP_SEND_TIMEOUT_MS; meanwhile its buffered answer sheds big operations, never small ones or /live', async () => {
  const stalled = await open();
  stalled.pause(); // reads nothing
  stalled.write(rawPost(big));

  // Its answer fills the socket's buffers: past MAX_BUFFERED_BYTES, an operation of cost 201 is
  // refused; one of cost 2 still runs.
  const bigger = '{ heroes(first: 100) { edges { node { id } } } }';
  let refused: { status: number; text: string } | undefined;
  for (let i = 0; i < 50 && !refused; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answer = await post(bigger);
    if (answer.status === 503) refused = answer;
  }
  expect(refused?.text).toContain('"code":"OVERLOADED"');
  const small = await post('{ heroes(first: 1) { totalCount } }');
  expect(small.status).toBe(200);
  expect(small.text).toContain('"totalCount"');
  expect((await fetch(`${server.url}/live`)).status).toBe(200);

  // Then the server closes the stalled connection (the client, reading again, gets what the
  // socket buffers held and then the end: not the whole answer), and serves again.
  for (let i = 0; i < 100 && !server.output().includes('Closed connections whose clients'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(server.output()).toContain('Closed connections whose clients stopped reading their answers');
  stalled.resume();
  const received = await readAll(stalled, 10_000);
  expect(received.length).toBeGreaterThan(0);
  expect(received.length).toBeLessThan(answerBytes);
  const after = await post(bigger);
  expect(after.status).toBe(200);
}, 30_000);
