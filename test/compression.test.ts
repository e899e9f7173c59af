import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { chooseEncoding, compressAnswers } from '../src/http/compression';

// src/http/compression.ts on a bare Node server, its answers written as Yoga's node adapter writes
// them (writeHead with the headers and the length, then write, then end), and as other handlers
// might: which are compressed, with which encoding, with a length that is the bytes sent, and
// which go out as they are (small, unknown length, HEAD, an event stream, which must not be held).

const big = JSON.stringify({ data: { heroes: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `Hero ${i}` })) } });
const small = JSON.stringify({ data: { __typename: 'Query' } });

let server: Server;
let base: string;
let releaseStream: () => void = () => undefined;

beforeAll(async () => {
  const compress = compressAnswers({ enabled: true, thresholdBytes: 1024 });
  server = createServer((req, res) =>
    compress(req, res, () => {
      const json = (body: string) => {
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        });
        res.write(body);
        res.end();
      };
      if (req.url === '/big') json(big);
      else if (req.url === '/small') json(small);
      else if (req.url === '/implicit') {
        res.setHeader('content-type', 'application/json');
        res.end(big);
      } else if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${'x'.repeat(2000)}\n\n`);
        releaseStream = () => res.end('event: complete\n\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '10' }).end('Not found\n');
      }
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function get(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ response: IncomingMessage; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const sent = request(`${base}${path}`, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ response, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end();
  });
}

it.each([
  [undefined, null],
  ['', null],
  ['identity', null],
  ['gzip', 'gzip'],
  ['br', 'br'],
  ['gzip, br', 'br'],
  ['gzip;q=1, br;q=0.5', 'gzip'],
  ['br;q=0, gzip', 'gzip'],
  ['br;q=0, gzip;q=0', null],
  ['*', 'br'],
  ['*;q=0.5, gzip', 'gzip'],
  ['deflate, GZIP;Q=0.8', 'gzip'],
])('Accept-Encoding %p: %p', (header, expected) => {
  expect(chooseEncoding(header)).toBe(expected);
});

it.each([
  ['gzip', gunzipSync],
  ['br', brotliDecompressSync],
] as const)(
  'compresses a big JSON answer with %s: its length is the bytes sent, and it inflates to the answer',
  async (encoding, inflate) => {
    const { response, body } = await get('/big', { 'accept-encoding': encoding });
    expect(response.headers['content-encoding']).toBe(encoding);
    expect(Number(response.headers['content-length'])).toBe(body.length);
    expect(body.length).toBeLessThan(Buffer.byteLength(big) / 4);
    expect(inflate(body).toString()).toBe(big);
  },
);

it('sends as they are: answers to clients that ask for no encoding, small answers, answers of unknown length, HEAD, other types', async () => {
  for (const [path, headers, method] of [
    ['/big', {}, 'GET'],
    ['/big', { 'accept-encoding': 'identity' }, 'GET'],
    ['/small', { 'accept-encoding': 'gzip, br' }, 'GET'],
    ['/implicit', { 'accept-encoding': 'gzip' }, 'GET'],
    ['/nowhere', { 'accept-encoding': 'gzip' }, 'GET'],
  ] as const) {
    const { response, body } = await get(path, headers, method);
    expect({ path, encoding: response.headers['content-encoding'] }).toEqual({ path, encoding: undefined });
    if (path !== '/nowhere') expect(body.toString()).toBe(path === '/small' ? small : big);
  }
  const head = await get('/big', { 'accept-encoding': 'gzip' }, 'HEAD');
  expect(head.response.headers['content-encoding']).toBeUndefined();
  expect(head.body.length).toBe(0);
});

it('an event stream is not held: its first event arrives before the stream ends, uncompressed', async () => {
  const first = await new Promise<{ encoding: unknown; chunk: string }>((resolve, reject) => {
    const sent = request(`${base}/stream`, { headers: { 'accept-encoding': 'gzip, br' } }, (response) => {
      response.once('data', (chunk: Buffer) => {
        resolve({ encoding: response.headers['content-encoding'], chunk: chunk.toString() });
        releaseStream();
        response.resume();
      });
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end();
  });
  expect(first.encoding).toBeUndefined();
  expect(first.chunk).toMatch(/^data: x{2000}\n\n/);
});
