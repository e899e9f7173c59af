import { execFileSync } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { countDatabaseWork, databaseWorkMs, gatePGlite, openPGlite } from '../src/db/pglite';
import { OverloadedError } from '../src/errors';
import { DrainRate } from '../src/ops/drain-rate';
import { insideRequest, newRecord } from '../src/ops/request-tracking';
import { describeOnPGlite } from './support/postgres-only';
import { Admission, clientKey, EventLoopDelay, type Refusal } from '../src/http/admission';

// The admission of operations (src/http/admission.ts), in process and without a database: who
// starts, who waits and in which order, who is refused at once, and that its counts stay exact.
// Over HTTP with real operations: test/load-shedding.test.ts.

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function admission(options: Partial<ConstructorParameters<typeof Admission>[0]> = {}) {
  return new Admission({ maxInFlight: 1, maxCost: 1_000, maxPerClient: 1_000, waitMs: 10_000, ...options });
}

/** Admits `client`'s operation and records, in `order`, when it starts. */
function enter(queue: Admission, client: string, order: string[], label = client, cost = 1) {
  const outcome = queue.admit(client, cost);
  if (outcome === null) {
    order.push(label);
    return Promise.resolve(null);
  }
  if (!(outcome instanceof Promise)) return Promise.resolve(outcome);
  return outcome.then((refusal) => {
    if (refusal === null) order.push(label);
    return refusal;
  });
}

it('starts what fits at once, lets the rest wait, and starts them as room comes', async () => {
  const queue = admission({ maxInFlight: 2 });
  const order: string[] = [];
  const all = ['a1', 'a2', 'a3', 'a4'].map((label) => enter(queue, 'a', order, label));
  await settle();
  expect(order).toEqual(['a1', 'a2']);
  expect(queue.stats()).toMatchObject({ running: 2, waiting: 2 });
  queue.release('a', 1);
  await settle();
  expect(order).toEqual(['a1', 'a2', 'a3']);
  queue.release('a', 1);
  queue.release('a', 1);
  queue.release('a', 1);
  expect(await Promise.all(all)).toEqual([null, null, null, null]);
  expect(queue.stats()).toEqual({ running: 0, cost: 0, waiting: 0, clients: 0 });
});

it('serves the waiting round-robin between clients: one client flooding delays another by a turn, not by the flood', async () => {
  const queue = admission({ maxInFlight: 1 });
  const order: string[] = [];
  const started = [
    ...['f1', 'f2', 'f3', 'f4', 'f5', 'f6'].map((label) => enter(queue, 'flood', order, label)),
    enter(queue, 'polite', order, 'p1'),
  ];
  for (let i = 0; i < 7; i++) {
    await settle();
    queue.release(order.at(-1)!.startsWith('f') ? 'flood' : 'polite', 1);
  }
  await Promise.all(started);
  // FIFO would start p1 last; its turn comes right after the flood's next one.
  expect(order).toEqual(['f1', 'f2', 'p1', 'f3', 'f4', 'f5', 'f6']);
});

it("caps each client's operations in execution (MAX_OPERATIONS_PER_CLIENT): another client starts at once", async () => {
  const queue = admission({ maxInFlight: 10, maxPerClient: 2 });
  const order: string[] = [];
  const flood = ['f1', 'f2', 'f3'].map((label) => enter(queue, 'flood', order, label));
  const polite = enter(queue, 'polite', order, 'p1');
  await settle();
  expect(order).toEqual(['f1', 'f2', 'p1']);
  expect(queue.stats()).toMatchObject({ running: 3, waiting: 1 });
  queue.release('flood', 1);
  await settle();
  expect(order).toEqual(['f1', 'f2', 'p1', 'f3']);
  expect(await Promise.all([...flood, polite])).toEqual([null, null, null, null]);
});

it('runs operations while their summed cost fits, and one alone whatever its cost', async () => {
  const queue = admission({ maxInFlight: 10, maxCost: 100 });
  const order: string[] = [];
  void enter(queue, 'a', order, 'big', 80);
  void enter(queue, 'b', order, 'medium', 30);
  void enter(queue, 'c', order, 'small', 10);
  await settle();
  // The medium one waits for room; the small one fits beside the big one.
  expect(order).toEqual(['big', 'small']);
  queue.release('a', 80);
  await settle();
  expect(order).toEqual(['big', 'small', 'medium']);
  queue.release('b', 30);
  queue.release('c', 10);
  const huge = queue.admit('d', 1_000_000);
  expect(huge).toBeNull();
  queue.release('d', 1_000_000);
});

it('while blocked (the process holds too much), starts only operations of at most SMALL_OPERATION_COST; the others wait and start once it is freed', async () => {
  let held = true;
  const blocked = () => (held ? { reason: 'buffered_bytes' as const, detail: 'answers held' } : null);
  const queue = admission({ maxInFlight: 10, blocked, smallCost: 100 });
  const order: string[] = [];
  const small = enter(queue, 'a', order, 'small', 100);
  const big = enter(queue, 'b', order, 'big', 101);
  await settle();
  expect(order).toEqual(['small']);
  expect(queue.stats()).toMatchObject({ running: 1, waiting: 1 });
  held = false;
  queue.release('a', 100);
  await Promise.all([small, big]);
  expect(order).toEqual(['small', 'big']);

  // Refused at once with MAX_QUEUE_WAIT_MS 0, for what holds it; with no allowance, small too.
  held = true;
  const strict = admission({ maxInFlight: 10, blocked, waitMs: 0, smallCost: 100 });
  expect(strict.admit('c', 101)).toEqual({ reason: 'buffered_bytes', detail: 'answers held' });
  expect(strict.admit('c', 1)).toBeNull();
  const none = admission({ maxInFlight: 10, blocked, waitMs: 0 });
  expect(none.admit('c', 1)).toEqual({ reason: 'buffered_bytes', detail: 'answers held' });
});

it('refuses at once what cannot start when MAX_QUEUE_WAIT_MS is 0, with the bound that stopped it, and its counts stay exact', () => {
  const queue = admission({ maxInFlight: 2, maxPerClient: 1, waitMs: 0 });
  expect(queue.admit('a', 1)).toBeNull();
  expect(queue.admit('b', 1)).toBeNull();
  const refusals: Refusal[] = [];
  for (let i = 0; i < 1_000; i++) refusals.push(queue.admit(i % 2 ? 'a' : 'c', 1) as Refusal);
  expect(new Set(refusals.map((refusal) => refusal.reason))).toEqual(
    new Set(['operations_per_client', 'operations_in_flight']),
  );
  expect(queue.stats()).toEqual({ running: 2, cost: 2, waiting: 0, clients: 2 });
  queue.release('a', 1);
  queue.release('b', 1);
  expect(queue.stats()).toEqual({ running: 0, cost: 0, waiting: 0, clients: 0 });
  expect(() => queue.release('a', 1)).toThrow(/without admit/);
});

it('refuses a wait that runs past MAX_QUEUE_WAIT_MS, and forgets the waiter', async () => {
  const queue = admission({ maxInFlight: 1, waitMs: 100 });
  expect(queue.admit('a', 1)).toBeNull();
  const waited = queue.admit('b', 1);
  expect(waited).toBeInstanceOf(Promise);
  expect(await waited).toMatchObject({
    reason: 'operations_in_flight',
    detail: expect.stringMatching(/waited \d+ ms/),
  });
  expect(queue.stats()).toEqual({ running: 1, cost: 1, waiting: 0, clients: 1 });
  queue.release('a', 1);
  expect(queue.admit('b', 1)).toBeNull();
});

it('refuses at once a newcomer that the measured drain rate says would not start within MAX_QUEUE_WAIT_MS', async () => {
  const queue = admission({ maxInFlight: 1, waitMs: 1_000 });
  expect(queue.admit('a', 1)).toBeNull();
  const waiting = Array.from({ length: 100 }, () => queue.admit('a', 1) as Promise<Refusal | null>);
  // 40 operations leave 20 ms apart: 50 per second.
  for (let i = 0; i < 40; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    queue.release('a', 1);
  }
  expect(queue.stats().waiting).toBe(60);
  // 60 ahead at 50 per second: 1.2 s, past the 1 s it may wait.
  const started = performance.now();
  const refused = queue.admit('a', 1);
  expect(refused).not.toBeInstanceOf(Promise);
  expect(refused).toMatchObject({
    reason: 'operations_in_flight',
    detail: expect.stringMatching(/ms of wait expected/),
  });
  expect(performance.now() - started).toBeLessThan(100);
  // The same answer before the request is parsed (src/http/node-server.ts asks for a request without a
  // token); a client with nothing waiting is let in.
  expect(queue.refusalOnArrival('a')).toMatchObject({ detail: expect.stringMatching(/ms of wait expected/) });
  expect(queue.refusalOnArrival('newcomer')).toBeNull();
  // One behind a short line still waits.
  const other = admission({ maxInFlight: 1, waitMs: 1_000 });
  expect(other.admit('x', 1)).toBeNull();
  expect(other.admit('y', 1)).toBeInstanceOf(Promise);
  other.release('x', 1);
  // Another client is not behind the whole line: its turn comes after one of `a`'s.
  expect(queue.admit('b', 1)).toBeInstanceOf(Promise);
  for (let i = 0; i < 62; i++) queue.release(i === 2 ? 'b' : 'a', 1);
  expect(await Promise.all(waiting)).toEqual(waiting.map(() => null));
});

it("lets a new burst wait rather than refusing it from the last backlog's pace", async () => {
  const queue = admission({ maxInFlight: 1, waitMs: 2_000 });
  expect(queue.admit('a', 1)).toBeNull();
  const slow = Array.from({ length: 40 }, () => queue.admit('a', 1) as Promise<Refusal | null>);
  // The backlog drains slowly, 25 ms apart (40 per second), until it is empty.
  for (let i = 0; i < 41; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    queue.release('a', 1);
  }
  expect(await Promise.all(slow)).toEqual(slow.map(() => null));
  // A burst of 100 at once: at the last backlog's pace the tail would wait 2.5 s, past the 2 s it
  // may; but that pace says nothing of this one (it was an emptying queue's, or a cold process's).
  expect(queue.admit('a', 1)).toBeNull();
  const burst = Array.from({ length: 100 }, () => queue.admit('a', 1));
  expect(burst.every((outcome) => outcome instanceof Promise)).toBe(true);
  // It drains fast, and all of it starts.
  for (let i = 0; i < 101; i++) {
    await settle();
    queue.release('a', 1);
  }
  expect(await Promise.all(burst)).toEqual(burst.map(() => null));
  expect(queue.stats()).toEqual({ running: 0, cost: 0, waiting: 0, clients: 0 });
});

it('measures a drain rate only from recent departures', () => {
  const rate = new DrainRate(2_000);
  expect(rate.waitMs(10, 0)).toBeNull();
  for (let t = 0; t < 40; t++) rate.departed(5, t * 10);
  // 40 departures 10 ms apart: 1 per 10 ms; 5 ahead of a newcomer: about 60 ms, however long
  // since the last (the queue may have been empty).
  expect(rate.waitMs(5, 400)).toBeCloseTo(60, 0);
  expect(rate.waitMs(5, 900)).toBeCloseTo(60, 0);
  // Long after, the same departures say nothing.
  expect(rate.waitMs(5, 10_000)).toBeNull();
});

it('trusts a rate only from enough departures: the first of a backlog leave slowly', () => {
  const rate = new DrainRate(2_000);
  // The first 10 of a burst leave 50 ms apart, while the rest of it is still being parsed.
  for (let t = 0; t < 10; t++) rate.departed(900, t * 50);
  // From them, 900 ahead would wait 45 s: no rate yet, so nobody is refused for it.
  expect(rate.waitMs(900, 460)).toBeNull();
  // Then the queue drains at its pace, 1 per ms: the rate counts, over the last 64 departures.
  for (let t = 0; t < 64; t++) rate.departed(890 - t, 460 + t);
  expect(rate.waitMs(826, 524)).toBeCloseTo(827, 0);
});

it("measures each backlog's drain afresh: the departure that empties the queue ends the measure", () => {
  const rate = new DrainRate(2_000);
  // A backlog drained slowly (a cold process), one departure every 100 ms, the last emptying it.
  for (let t = 0; t < 40; t++) rate.departed(39 - t, t * 25);
  // 500 ms later a new burst: nothing known of its drain, so it waits and is measured, rather
  // than being refused from the last one's pace (1,000 ahead at 1 per 25 ms: 25 s).
  expect(rate.waitMs(1_000, 1_500)).toBeNull();
  for (let t = 0; t < 40; t++) rate.departed(1_000 - t, 1_500 + t);
  expect(rate.waitMs(960, 1_540)).toBeCloseTo(961, 0);
});

describe('the client of an operation', () => {
  const request = (remoteAddress: string, forwarded?: string) =>
    ({
      socket: { remoteAddress },
      connection: { remoteAddress },
      headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    }) as unknown as IncomingMessage;

  it("is the subject of a valid token, else the remote address; X-Forwarded-For only through TRUST_PROXY's hops", () => {
    const authenticated = { authenticated: true, subject: 'alice' };
    expect(clientKey(authenticated, request('10.0.0.1'), 0)).toBe('subject:alice');
    // An anonymous caller's subject (none) or an unchecked claim does not count.
    expect(clientKey({ authenticated: false, subject: 'alice' }, request('10.0.0.1'), 0)).toBe('address:10.0.0.1');
    // A client cannot choose its key by sending the header to a server that trusts no proxy.
    expect(clientKey(undefined, request('10.0.0.1', '1.2.3.4'), 0)).toBe('address:10.0.0.1');
    // One proxy: the address it saw, the last in the header; not what the client wrote before it.
    expect(clientKey(undefined, request('10.0.0.1', '6.6.6.6, 1.2.3.4'), 1)).toBe('address:1.2.3.4');
    expect(clientKey(undefined, request('10.0.0.1', '6.6.6.6, 1.2.3.4, 10.0.0.2'), 2)).toBe('address:1.2.3.4');
    // More hops trusted than the header has: the first address in it.
    expect(clientKey(undefined, request('10.0.0.1', '1.2.3.4'), 5)).toBe('address:1.2.3.4');
    expect(clientKey(undefined, undefined, 1)).toBe('local');
  });
});

it("leaves the embedded database's own work out of the event loop's delay, and counts the rest", async () => {
  const delay = new EventLoopDelay();
  const block = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  // The timer overdue after a block runs first in the timers phase, then this one: its tick is the
  // last seen.
  const nextTick = () => new Promise((resolve) => setTimeout(resolve, 0));
  try {
    await new Promise((resolve) => setTimeout(resolve, 60));
    const started = performance.now();
    block(600);
    countDatabaseWork(performance.now() - started);
    await nextTick();
    expect(delay.now()).toBeLessThan(300);
    block(600);
    await nextTick();
    expect(delay.now()).toBeGreaterThan(500);
  } finally {
    delay.stop();
  }
});

it('counts against MAX_MEMORY_MB what survived the last full collection, not garbage waiting for one, and reads a stale figure again', () => {
  // A process of its own with gc() exposed on its command line (never set at run time), so that
  // the test decides when the full collections happen.
  const script = `
    const { MemoryInUse } = require('./src/http/admission');
    const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
    (async () => {
      const memory = new MemoryInUse();
      gc();
      await settle();
      const bound = memory.live() + 50e6;
      let garbage = Array.from({ length: 700_000 }, (_, i) => 'garbage ' + i + ' '.repeat(i % 7));
      garbage = null;
      await settle();
      const garbageCounted = { now: memory.now() > bound, past: memory.past(bound) };
      let kept = Array.from({ length: 1_500_000 }, (_, i) => 'kept ' + i + ' '.repeat(i % 7));
      gc();
      await settle();
      const liveCounted = { past: memory.past(bound), kept: kept.length > 0 };
      // Dropped, and no full collection comes by itself: past STALE_MS the figure is read again
      // after one (gc(), exposed on the command line); with a collection that does nothing, it
      // stays past.
      kept = null;
      const unchanged = new MemoryInUse(() => undefined);
      gc();
      let held = Array.from({ length: 1_500_000 }, (_, i) => 'held ' + i + ' '.repeat(i % 7));
      gc();
      await settle();
      held = null;
      await new Promise((resolve) => setTimeout(resolve, 2_300));
      const stale = { unchanged: unchanged.past(bound), readAgain: memory.past(bound) };
      memory.stop();
      unchanged.stop();
      console.log(JSON.stringify({ garbageCounted, liveCounted, stale }));
    })();
  `;
  // A heap let grow far past what survives, so that V8 does not collect the garbage on its own.
  const flags = ['--expose-gc', '--heap-growing-percent=1000', '--import', 'tsx'];
  const output = execFileSync(process.execPath, [...flags, '-e', script], {
    cwd: path.resolve(__dirname, '..'),
    env: { ...process.env, NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({
    garbageCounted: { now: true, past: false },
    liveCounted: { past: true, kept: true },
    stale: { unchanged: true, readAgain: false },
  });
});

// The embedded database's one connection (src/db/pglite.ts), on a PGlite of the test's own.
describeOnPGlite("PGlite's one connection", () => {
  it("is waited for in turn, up to the deadline for a request's statements, and counts its synchronous work as the database's own", async () => {
    const pglite = openPGlite('memory://');
    try {
      await pglite.waitReady;
      gatePGlite(pglite, 300);
      const before = databaseWorkMs();
      expect((await pglite.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
      expect(databaseWorkMs()).toBeGreaterThan(before);
      // A transaction holds the connection for its whole length.
      let release!: () => void;
      const holding = new Promise<void>((resolve) => (release = resolve));
      const transaction = pglite.transaction(async (tx) => {
        await tx.query('SELECT 1');
        await holding;
      });
      const request = <T>(work: () => T) => insideRequest(newRecord(null, null), work);
      const started = performance.now();
      await expect(request(() => pglite.query('SELECT 2'))).rejects.toBeInstanceOf(OverloadedError);
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      // One that gets its turn in time waits, then runs; so does work outside requests (a
      // migration at start), however long.
      const waiting = request(() => pglite.query<{ n: number }>('SELECT 3 AS n'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      await transaction;
      expect((await waiting).rows).toEqual([{ n: 3 }]);
      let releaseAgain!: () => void;
      const holdingAgain = new Promise<void>((resolve) => (releaseAgain = resolve));
      const again = pglite.transaction(() => holdingAgain);
      const background = pglite.query<{ n: number }>('SELECT 4 AS n');
      await new Promise((resolve) => setTimeout(resolve, 600));
      releaseAgain();
      await again;
      expect((await background).rows).toEqual([{ n: 4 }]);
      // DDL makes PGlite query its own types from within the call: it passes.
      await pglite.exec("CREATE TYPE mood AS ENUM ('ok'); CREATE TABLE t (m mood[])");
      expect((await pglite.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 0 }]);
    } finally {
      await pglite.close();
    }
  }, 120_000);
});
