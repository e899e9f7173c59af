import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { CompressionConfig } from '../config';

// Answers compressed (brotli at quality 4, or gzip at level 6, as the client's Accept-Encoding
// prefers), in front of Yoga's handler. Written here rather than taken from expressjs' compression
// middleware, which this replaces: the middleware hooks writeHead, write and end of every answer
// and negotiates the encoding for each, also for the small answers it then leaves alone, and that
// cost 9 % of a small query's throughput (issue 30's measurement). Here an answer that will not be
// compressed costs one header check: the client asked for no encoding we have, or at writeHead its
// type is not compressible, its length unknown or under the threshold. The answers Yoga sends are
// whole (a length, then the body), so a compressed one is compressed in one call on libuv's thread
// pool, and sent with its new length. Not @whatwg-node/server's useContentEncoding either: it
// compresses every answer whatever its size or type, event streams included, and inflates
// compressed request bodies, which MAX_BODY_BYTES would then bound only before inflating.

/**
 * Types worth compressing and complete when sent: GraphQL's JSON answers, the GraphiQL page and
 * the metrics. Not text/event-stream nor multipart/mixed (subscriptions, @defer): each event must
 * go out as it comes; not the GraphiQL assets, compressed once ahead of time (src/http/graphiql.ts).
 */
const compressible = /^(application\/(graphql-response\+)?json|text\/html|text\/plain)\b/i;

type Encoding = 'br' | 'gzip';

/**
 * The encoding to answer in, from Accept-Encoding (RFC 9110 §12.5.3): the one of ours with the
 * highest weight, brotli on a tie; none when neither is acceptable (absent, or `q=0`). `*` stands
 * for those not named.
 */
export function chooseEncoding(header: string | undefined): Encoding | null {
  if (!header) return null;
  const weights: Record<string, number> = {};
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    let weight = 1;
    for (const param of params) {
      const [key, value] = param.trim().split('=');
      if (key === 'q') weight = Number(value);
    }
    if (Number.isFinite(weight)) weights[name.trim()] = weight;
  }
  const weightOf = (encoding: Encoding) => weights[encoding] ?? weights['*'] ?? 0;
  const br = weightOf('br');
  const gz = weightOf('gzip');
  if (br <= 0 && gz <= 0) return null;
  return br >= gz ? 'br' : 'gzip';
}

const brotliOptions = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } };

function compress(encoding: Encoding, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result: Buffer) => (error ? reject(error) : resolve(result));
    if (encoding === 'br') brotliCompress(body, brotliOptions, done);
    else gzip(body, done);
  });
}

/** A chunk given to write or end, as bytes (none for a callback or nothing). */
function toBuffer(chunk: unknown, encoding: unknown): Buffer | null {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return null;
  if (typeof chunk === 'string')
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return Buffer.from(chunk as Uint8Array);
}

function headerOf(headers: OutgoingHttpHeaders | undefined, response: ServerResponse, name: string): unknown {
  if (headers) {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key];
  }
  return response.getHeader(name);
}

/**
 * A Node handler that compresses `response` when it is worth it, then calls `next`. Every answer
 * says `Vary: Accept-Encoding` (src/http/security-headers.ts sets it with Origin), compressed or
 * not, since it would be compressed for a client that asked.
 */
export function compressAnswers(
  options: CompressionConfig,
): (request: IncomingMessage, response: ServerResponse, next: () => void) => void {
  return (request, response, next) => {
    const encoding = request.method === 'HEAD' ? null : chooseEncoding(request.headers['accept-encoding']);
    if (encoding) holdForCompression(response, encoding, options.thresholdBytes);
    next();
  };
}

/**
 * Decides at writeHead (explicit, or Node's implicit one at the first write or end) whether the
 * answer is compressed; if it is, holds the headers and the body until end, then sends them
 * compressed, with their compressed length.
 */
function holdForCompression(response: ServerResponse, encoding: Encoding, threshold: number): void {
  const writeHead = response.writeHead;
  const write = response.write;
  const end = response.end;
  let held: { args: unknown[]; chunks: Buffer[] } | null = null;

  response.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    response.writeHead = writeHead;
    const headers = rest.find((arg) => typeof arg === 'object' && arg !== null) as OutgoingHttpHeaders | undefined;
    const length = Number(headerOf(headers, response, 'content-length'));
    const worth =
      statusCode >= 200 &&
      statusCode !== 204 &&
      statusCode !== 304 &&
      headerOf(headers, response, 'content-encoding') === undefined &&
      compressible.test(String(headerOf(headers, response, 'content-type') ?? '')) &&
      Number.isFinite(length) &&
      length >= threshold;
    if (!worth) {
      response.write = write;
      response.end = end;
      return (writeHead as (...args: unknown[]) => ServerResponse).call(this, statusCode, ...rest);
    }
    held = { args: [statusCode, ...rest], chunks: [] };
    return this;
  } as ServerResponse['writeHead'];

  response.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    if (!this.headersSent && !held) this.writeHead(this.statusCode);
    if (!held) return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    const buffer = toBuffer(chunk, rest[0]);
    if (buffer) held.chunks.push(buffer);
    return true;
  } as ServerResponse['write'];

  response.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (!this.headersSent && !held) this.writeHead(this.statusCode);
    if (!held) return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    const hold = held;
    const buffer = toBuffer(chunk, rest[0]);
    if (buffer) hold.chunks.push(buffer);
    const callback = [chunk, ...rest].find((arg) => typeof arg === 'function') as (() => void) | undefined;
    const send = (body: Buffer, compressed: boolean) => {
      const [statusCode, ...headArgs] = hold.args as [number, ...unknown[]];
      const headers = headArgs.find((arg) => typeof arg === 'object' && arg !== null) as
        OutgoingHttpHeaders | undefined;
      if (headers) {
        for (const key of Object.keys(headers)) {
          if (key.toLowerCase() === 'content-length') delete headers[key];
        }
      }
      this.setHeader('content-length', String(body.length));
      if (compressed) this.setHeader('content-encoding', encoding);
      (writeHead as (...args: unknown[]) => ServerResponse).call(this, statusCode, ...headArgs);
      (end as (...args: unknown[]) => ServerResponse).call(this, body, callback);
    };
    const body = Buffer.concat(hold.chunks);
    compress(encoding, body).then(
      (compressed) => send(compressed, true),
      // zlib failing on a buffer is not expected; the answer then goes out as it is.
      () => send(body, false),
    );
    return this;
  } as ServerResponse['end'];
}
