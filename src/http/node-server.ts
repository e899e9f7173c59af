import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ClientBounds } from '../config';
import { burstLog } from '../ops/logger';
import { countShed, type ShedReason } from '../ops/metrics';
import { EventLoopDelay, refusal, reportOverload, type MemoryInUse, type Refusal } from './admission';

// The HTTP server and its bounds on what clients can make it hold. An answer is produced whole,
// then written to its socket; a client that never reads keeps it in the process's memory, and one
// that pipelines many requests without reading gets all of them executed and held. So:
// - a connection that neither sends nor reads for `sendTimeoutMs` is closed (its buffers freed);
// - a connection may have at most `maxPipelined` requests whose answers are not yet written out;
//   more are answered 503 (and the connection closed after them) without being executed;
// - while the answers waiting in all connections' buffers exceed `maxBufferedBytes`, or V8's heap
//   uses more than `maxMemoryBytes`, the connections whose clients have read nothing for 5 s are
//   closed, and new streams (WebSocket upgrades, text/event-stream requests: what they hold lasts)
//   are answered 503; other requests are parsed, and the admission queue (src/http/admission.ts)
//   starts only the small operations among them (SMALL_OPERATION_COST) until enough is freed. An
//   answer to `{ teams(first: 5) { ... } }` adds nothing that matters to what non-reading clients
//   hold, and refusing it before parsing let them deny service to every other client (the hostile
//   run's polite clients got 0 of 92 answered while 160 connections held their answers unread);
// - while the event loop runs late by more than `maxEventLoopDelayMs` (src/http/admission.ts),
//   new GraphQL requests are answered 503 before they are parsed;
// - headers, a whole request and an idle keep-alive connection have deliberate time limits, and
//   the number of connections a cap.
// Health endpoints (and the metrics) are never refused, so that probes see a live process and
// scrapes what it does under any of this.

const healthPaths = ['/live', '/ready', '/health'];

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

const refusalBytes = Buffer.byteLength(refusal.body);

function refuse(response: ServerResponse, why: ShedReason, reason: string, close: boolean): void {
  countShed(why);
  reportOverload(reason);
  const headers = { ...refusal.headers, 'content-length': String(refusalBytes) };
  response.writeHead(503, close ? { ...headers, connection: 'close' } : headers);
  response.end(refusal.body);
}

const reportStalled = burstLog('Closed connections whose clients stopped reading their answers');

// Every connection of every server this process runs: what their answers hold is one memory.
// (Answers to pipelined requests do not pile up behind them: Node stops reading a connection's
// requests while its answers wait past the socket's high-water mark.)
const sockets = new Set<Socket>();

/**
 * Answers to pipelined requests made while an earlier answer of their connection is still being
 * written: Node keeps each in its response, not in the socket, until its turn comes, so the
 * sockets' buffers do not show them (60 connections pipelining two 9 MB answers unread held 550 MB
 * that MAX_BUFFERED_BYTES did not see).
 */
const queuedAnswers = new Map<ServerResponse, Socket>();

/** Bytes of answers written to connections, or waiting for their turn to be, not yet taken by their clients. */
export function bufferedAnswerBytes(): number {
  let bytes = 0;
  for (const socket of sockets) if (!socket.destroyed) bytes += socket.writableLength;
  for (const [response, socket] of queuedAnswers) {
    if (socket.destroyed) queuedAnswers.delete(response);
    else if (!response.socket) bytes += response.writableLength;
  }
  return bytes;
}

/** While answers past the bound are held, a client that has read nothing for this long is cut. */
const STALLED_MS = 5_000;
const progress = new WeakMap<Socket, { waiting: number; since: number }>();

/**
 * Closes the connections whose clients have taken none of their answers' bytes for STALLED_MS,
 * seen over successive calls: while they hold the memory every other client is refused, so they
 * go first, before HTTP_SEND_TIMEOUT_MS would close them. A client that reads, however slowly,
 * makes progress and stays.
 */
function closeStalled(sendTimeoutMs: number): void {
  const now = Date.now();
  const stalledMs = Math.min(STALLED_MS, sendTimeoutMs);
  for (const socket of sockets) {
    if (socket.writableLength === 0 || socket.destroyed) continue;
    // What waits shrinks as the client reads (bytesWritten would not tell: it counts what waits).
    const seen = progress.get(socket);
    if (!seen || seen.waiting !== socket.writableLength) {
      progress.set(socket, { waiting: socket.writableLength, since: now });
    } else if (now - seen.since >= stalledMs) {
      reportStalled(`nothing read for ${stalledMs} ms while answers past MAX_BUFFERED_BYTES wait`);
      socket.destroy();
    }
  }
}

/** Why the process holds too much to take on new work, or null. */
export interface Held {
  reason: Extract<ShedReason, 'buffered_bytes' | 'memory'>;
  detail: string;
}

/**
 * Whether the answers waiting for their clients are past MAX_BUFFERED_BYTES, or the heap in use
 * past MAX_MEMORY_MB: checked by the admission queue before an operation past
 * SMALL_OPERATION_COST starts (src/graphql/yoga.ts), and here when a new stream arrives.
 */
export function heldTooMuch(
  bounds: Pick<ClientBounds, 'maxBufferedBytes' | 'maxMemoryBytes'>,
  memory: MemoryInUse | undefined,
): Held | null {
  const bytes = bufferedAnswerBytes();
  if (bytes > bounds.maxBufferedBytes) {
    return {
      reason: 'buffered_bytes',
      detail: `${bytes} bytes of answers wait for their clients, MAX_BUFFERED_BYTES=${bounds.maxBufferedBytes}`,
    };
  }
  if (memory && bounds.maxMemoryBytes > 0 && memory.past(bounds.maxMemoryBytes)) {
    return {
      reason: 'memory',
      detail: `${Math.round(memory.now() / 1e6)} MB of heap in use, MAX_MEMORY_MB=${Math.round(bounds.maxMemoryBytes / 1e6)}`,
    };
  }
  return null;
}

export function createHttpServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  bounds: ClientBounds,
  memory?: MemoryInUse,
  /** Paths besides the health endpoints that are never refused (the metrics: overload is when they matter). */
  unrefused: readonly string[] = [],
  /**
   * Why a request arriving now would not start in time, or null: the admission queue's estimate
   * for its client (src/http/admission.ts), checked before it is parsed.
   */
  arrival?: (request: IncomingMessage) => Refusal | null,
): Server {
  const exempt = new Set([...healthPaths, ...unrefused]);
  // Requests of a connection whose answers are not yet written out (pipelined ones included).
  const pending = new WeakMap<Socket, number>();

  const delay = bounds.maxEventLoopDelayMs > 0 ? new EventLoopDelay() : undefined;

  /**
   * Why new work is refused now, or null: how late the loop runs, and, for a new stream
   * (`stream`), what the process holds; a request's operation meets that in the admission queue.
   */
  const overloadedNow = (stream: boolean): Overload | null => {
    if (heldTooMuch(bounds, memory)) {
      // Clients that stopped reading hold much of it: they go first.
      closeStalled(bounds.sendTimeoutMs);
      const held = stream ? heldTooMuch(bounds, memory) : null;
      if (held) return held;
    }
    const late = delay?.now() ?? 0;
    if (late > bounds.maxEventLoopDelayMs) {
      return {
        reason: 'event_loop_delay',
        detail: `the event loop runs ${Math.round(late)} ms late, MAX_EVENT_LOOP_DELAY_MS=${bounds.maxEventLoopDelayMs}`,
      };
    }
    return null;
  };

  const server = createServer((request, response) => {
    const socket = request.socket;
    const count = (pending.get(socket) ?? 0) + 1;
    if (!exempt.has(pathOf(request.url))) {
      if (count > bounds.maxPipelined) {
        refuse(
          response,
          'pipelined',
          `${count} pipelined requests on one connection, MAX_PIPELINED=${bounds.maxPipelined}`,
          true,
        );
        return;
      }
      const stream = (request.headers.accept ?? '').includes('text/event-stream');
      const overloaded = overloadedNow(stream) ?? arrival?.(request);
      if (overloaded) {
        refuse(response, overloaded.reason, overloaded.detail, false);
        return;
      }
    }
    pending.set(socket, count);
    response.once('close', () => pending.set(socket, (pending.get(socket) ?? 1) - 1));
    if (!response.socket) {
      queuedAnswers.set(response, socket);
      response.once('close', () => queuedAnswers.delete(response));
    }
    handler(request, response);
  });

  if (delay) server.once('close', () => delay.stop());
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Node closes a socket idle this long (nothing sent, nothing read: a client that stopped
  // reading its answer); the listener only says so, once per burst.
  server.timeout = bounds.sendTimeoutMs;
  server.on('timeout', (socket: Socket) => {
    const waiting = socket.writableLength;
    if (waiting > 0) reportStalled(`nothing read for ${bounds.sendTimeoutMs} ms, ${waiting} bytes unsent`);
    socket.destroy();
  });
  server.headersTimeout = bounds.headersTimeoutMs;
  server.requestTimeout = bounds.requestTimeoutMs;
  server.keepAliveTimeout = bounds.keepAliveTimeoutMs;
  server.maxConnections = bounds.maxConnections;
  overloadChecks.set(server, () => {
    const overloaded = overloadedNow(true);
    if (overloaded) {
      countShed(overloaded.reason);
      reportOverload(overloaded.detail);
    }
    return overloaded;
  });
  return server;
}

/** Why a request arriving now is refused, or null. */
export interface Overload {
  reason: Extract<ShedReason, 'buffered_bytes' | 'memory' | 'event_loop_delay'>;
  detail: string;
}

const overloadChecks = new WeakMap<Server, () => Overload | null>();

/**
 * Why `server` refuses work arriving now (counted and logged as its requests' refusals are), or
 * null: for what reaches it other than through its request handler, WebSocket upgrades
 * (src/realtime/websocket.ts).
 */
export function refusalOfArrival(server: Server): Overload | null {
  return overloadChecks.get(server)?.() ?? null;
}
