import { complexityFromQuery } from '@pothos/plugin-complexity';
import { Client } from 'pg';
import { schema } from '../src/schema';
import { hsToken, secret } from './support/access';
import { type ServerProcess, startServer } from './support/server-process';

// Overload answered honestly. An operation that cannot start waits its turn, round-robin between
// clients, and gets 503 with Retry-After and the code OVERLOADED only when it cannot start within
// MAX_QUEUE_WAIT_MS (at once with 0); past PG_POOL_MAX_WAITING requests waiting for a connection,
// or a connection that does not come within PG_CONNECT_TIMEOUT_MS, the same answer; never a
// masked error; health endpoints keep answering. Requests are held in execution by a lock on the
// Hero table taken from the test (PostgreSQL only: PGlite has one connection and no one to wait).
// The queue's own rules, in process: test/admission.test.ts.

const query = JSON.stringify({ query: '{ heroes(first: 3) { edges { node { name } } } }' });

/** `bound`: a request admitted where it should have been refused waits on the lock; fail it instead. */
async function post(server: ServerProcess, request = query, token?: string, bound?: number) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: request,
    signal: bound === undefined ? undefined : AbortSignal.timeout(bound),
  }).catch((error: unknown) => {
    if ((error as Error).name !== 'TimeoutError') throw error;
    throw new Error(`No answer within ${bound} ms: the request was admitted, and waits on the lock`);
  });
  const body = (await response.json()) as {
    data?: unknown;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
}

/** Holds an ACCESS EXCLUSIVE lock on "Hero" until the returned function is called. */
async function lockHeroes(): Promise<() => Promise<void>> {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE "Hero" IN ACCESS EXCLUSIVE MODE');
  return async () => {
    await client.query('ROLLBACK');
    await client.end();
  };
}

/** The sessions of this database waiting for a lock (on "Hero": the requests held in execution). */
async function blockedSessions(): Promise<number> {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

/** Waits until PostgreSQL shows `count` sessions waiting for the lock on "Hero". */
async function waitForBlocked(count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await blockedSessions()) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${count} blocked sessions never showed up`);
}

/** Requests refused for MAX_OPERATIONS_IN_FLIGHT so far, from the server's /metrics. */
async function shedForOperations(server: ServerProcess): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((each) => each.startsWith('http_requests_shed_total{reason="operations_in_flight"}'));
  return Number(line!.split(' ').pop());
}

async function stop(server: ServerProcess) {
  server.child.kill('SIGTERM');
  await server.exited;
}

function expectOverloaded(answer: Awaited<ReturnType<typeof post>>) {
  expect(answer.status).toBe(503);
  expect(answer.retryAfter).toBe('1');
  expect(answer.body.errors?.map((error) => error.extensions?.code)).toEqual(['OVERLOADED']);
  expect(answer.body.errors?.[0]?.message).toMatch(/overloaded/i);
}

describe('past MAX_OPERATIONS_IN_FLIGHT, with MAX_QUEUE_WAIT_MS=0', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({
      DATABASE_URL: process.env.DATABASE_URL!,
      MAX_OPERATIONS_IN_FLIGHT: '2',
      MAX_QUEUE_WAIT_MS: '0',
    });
  }, 60_000);
  afterAll(() => stop(server));

  it('refuses the next request at once with 503, answers /live, and admits again once they finish', async () => {
    const unlock = await lockHeroes();
    const held = [post(server), post(server)];
    await waitForBlocked(2);

    expectOverloaded(await post(server, query, undefined, 10_000));
    expect((await fetch(`${server.url}/live`)).status).toBe(200);

    await unlock();
    for (const answer of await Promise.all(held)) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
    }
    const after = await post(server);
    expect(after.status).toBe(200);
    // One log line for the burst, not one per refusal, and no stack.
    expect(server.output()).toContain('Overloaded: refusing requests with 503');
    expect(server.output()).not.toMatch(/\n\s+at /);
  });

  // The count of operations in execution goes down only for what it let in: were refusals (or
  // answers of /live and /metrics, which it never counts) to bring it down, the next request would
  // be admitted past the bound and wait on the lock with the others, and the bound would leak.
  it('while the limit is held, refuses every request (20 in turn, with /live and /metrics between), and after it admits exactly the limit again', async () => {
    const shedBefore = await shedForOperations(server);
    let held: ReturnType<typeof post>[] = [];
    const unlock = await lockHeroes();
    try {
      held = [post(server), post(server)];
      await waitForBlocked(2);
      for (let i = 0; i < 20; i++) {
        expectOverloaded(await post(server, query, undefined, 10_000));
        expect((await fetch(`${server.url}/live`)).status).toBe(200);
        expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
      }
      expect(await blockedSessions()).toBe(2);
    } finally {
      await unlock();
    }
    for (const answer of await Promise.all(held)) expect(answer.status).toBe(200);
    expect((await shedForOperations(server)) - shedBefore).toBe(20);

    // The bound is whole again: two requests in, the third refused, then all answered.
    const unlockAgain = await lockHeroes();
    try {
      held = [post(server, query, undefined, 10_000), post(server, query, undefined, 10_000)];
      await waitForBlocked(2);
      expectOverloaded(await post(server, query, undefined, 10_000));
    } finally {
      await unlockAgain();
    }
    for (const answer of await Promise.all(held)) expect(answer.status).toBe(200);
    expect((await shedForOperations(server)) - shedBefore).toBe(21);
  }, 60_000);
});

describe('past MAX_OPERATIONS_IN_FLIGHT, waiting up to MAX_QUEUE_WAIT_MS', () => {
  let server: ServerProcess;
  let tokens: Record<'a' | 'b', string>;
  beforeAll(async () => {
    server = await startServer({
      DATABASE_URL: process.env.DATABASE_URL!,
      MAX_OPERATIONS_IN_FLIGHT: '1',
      MAX_OPERATIONS_PER_CLIENT: '1000',
      MAX_QUEUE_WAIT_MS: '20000',
      JWT_SECRET: secret,
    });
    tokens = { a: await hsToken(['viewer'], { sub: 'a' }), b: await hsToken(['viewer'], { sub: 'b' }) };
  }, 60_000);
  afterAll(() => stop(server));

  it('lets what cannot start wait for its turn instead of refusing it, round-robin between clients, /live answered meanwhile', async () => {
    const unlock = await lockHeroes();
    const finished: string[] = [];
    const send = (label: string, client: 'a' | 'b') =>
      post(server, query, tokens[client]).then((answer) => {
        finished.push(label);
        return answer;
      });
    try {
      const held = send('a1', 'a');
      await waitForBlocked(1);
      // One after another: four requests sent at once, each on its connection, can reach the server
      // in any order on a busy machine, and the order checked below follows their arrival.
      const flood: ReturnType<typeof send>[] = [];
      for (const label of ['a2', 'a3', 'a4', 'a5']) {
        flood.push(send(label, 'a'));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const polite = send('b1', 'b');
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Waiting, not refused; and no other operation started (one would wait on the lock).
      expect(finished).toEqual([]);
      expect((await fetch(`${server.url}/live`)).status).toBe(200);
      await unlock();
      for (const answer of await Promise.all([held, ...flood, polite])) {
        expect(answer.status).toBe(200);
        expect(answer.body.errors).toBeUndefined();
      }
      // In order of arrival b1 would be last; in turn it comes right after a's next one.
      expect(finished).toEqual(['a1', 'a2', 'b1', 'a3', 'a4', 'a5']);
    } finally {
      await unlock().catch(() => undefined);
    }
  });
});

describe('past MAX_OPERATIONS_PER_CLIENT', () => {
  let server: ServerProcess;
  let tokens: Record<'a' | 'b', string>;
  beforeAll(async () => {
    server = await startServer({
      DATABASE_URL: process.env.DATABASE_URL!,
      MAX_OPERATIONS_IN_FLIGHT: '10',
      MAX_OPERATIONS_PER_CLIENT: '1',
      MAX_QUEUE_WAIT_MS: '20000',
      JWT_SECRET: secret,
    });
    tokens = { a: await hsToken(['viewer'], { sub: 'a' }), b: await hsToken(['viewer'], { sub: 'b' }) };
  }, 60_000);
  afterAll(() => stop(server));

  it("lets a client's next operation wait while another client's runs at once", async () => {
    const unlock = await lockHeroes();
    try {
      const held = post(server, query, tokens.a);
      await waitForBlocked(1);
      const second = post(server, query, tokens.a);
      // Reads no hero: not held by the lock.
      const other = await post(server, JSON.stringify({ query: '{ teams(first: 1) { totalCount } }' }), tokens.b);
      expect(other.status).toBe(200);
      expect(other.body.errors).toBeUndefined();
      // a's second operation waits for a's first: it has not started (it would wait on the lock).
      await new Promise((resolve) => setTimeout(resolve, 300));
      const blocked = new Client({ connectionString: process.env.DATABASE_URL });
      await blocked.connect();
      const { rows } = await blocked.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      await blocked.end();
      expect(rows[0]!.n).toBe(1);
      await unlock();
      expect((await held).status).toBe(200);
      expect((await second).status).toBe(200);
    } finally {
      await unlock().catch(() => undefined);
    }
  });
});

describe('with every PostgreSQL connection taken', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({
      DATABASE_URL: process.env.DATABASE_URL!,
      PG_POOL_MAX: '1',
      PG_POOL_MAX_WAITING: '1',
      PG_CONNECT_TIMEOUT_MS: '1500',
    });
  }, 60_000);
  afterAll(() => stop(server));

  it('past PG_POOL_MAX_WAITING, refuses at once; a wait past PG_CONNECT_TIMEOUT_MS is the same 503', async () => {
    const unlock = await lockHeroes();
    try {
      const holding = post(server); // takes the only connection and waits for the lock
      await waitForBlocked(1);
      const waiting = post(server); // waits for the connection
      await new Promise((resolve) => setTimeout(resolve, 200));

      expectOverloaded(await post(server, query, undefined, 10_000));

      // The one waiting gives up after the connect timeout: the same answer, not a masked error.
      expectOverloaded(await waiting);
      await unlock();
      expect((await holding).status).toBe(200);
    } finally {
      await unlock().catch(() => undefined);
    }
    expect((await post(server)).status).toBe(200);
  }, 30_000);

  it('counts a request waiting with several statements once against PG_POOL_MAX_WAITING', async () => {
    const unlock = await lockHeroes();
    try {
      const holding = post(server);
      await waitForBlocked(1);
      // Two lists at the root: two statements waiting for the one connection, one request.
      const two = post(
        server,
        JSON.stringify({ query: '{ a: teams(first: 1) { totalCount } b: teams(first: 2) { totalCount } }' }),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await unlock();
      expect((await holding).status).toBe(200);
      const answer = await two;
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
    } finally {
      await unlock().catch(() => undefined);
    }
  }, 30_000);
});

describe('past MAX_COST_IN_FLIGHT', () => {
  const big = '{ heroes(first: 40) { edges { node { name } } } }';
  const medium = '{ heroes(first: 20) { edges { node { name } } } }';
  const small = '{ heroes(first: 2) { edges { node { name } } } }';
  const cost = (text: string) => complexityFromQuery(text, { schema }).complexity;
  let server: ServerProcess;
  beforeAll(async () => {
    // Room for the big one and the small one, not for the big one and the medium one.
    expect(cost(big) + cost(small)).toBeLessThan(cost(big) + cost(medium));
    const budget = cost(big) + cost(small);
    server = await startServer({
      DATABASE_URL: process.env.DATABASE_URL!,
      MAX_COST_IN_FLIGHT: String(budget),
      MAX_QUEUE_WAIT_MS: '1000',
    });
  }, 60_000);
  afterAll(() => stop(server));

  it('lets what does not fit wait for room, refuses it when none comes in time, admits what fits, and runs anything alone', async () => {
    const unlock = await lockHeroes();
    const body = (text: string) => JSON.stringify({ query: text });
    try {
      const held = post(server, body(big));
      await waitForBlocked(1);
      // No room comes within MAX_QUEUE_WAIT_MS: the big one holds it.
      expectOverloaded(await post(server, body(medium)));
      const fits = post(server, body(small)); // admitted: waits on the lock like the big one
      await waitForBlocked(2);
      // Waits for room; the big one's end makes it.
      const waiting = post(server, body(medium));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await unlock();
      expect((await held).status).toBe(200);
      expect((await fits).status).toBe(200);
      expect((await waiting).status).toBe(200);
    } finally {
      await unlock().catch(() => undefined);
    }
    // Alone, an operation of any cost runs, however small the budget.
    expect((await post(server, body(medium))).status).toBe(200);
  });
});
