import { Client } from 'pg';
import { prisma } from '../src/db';
import { type Answer, hsToken, post, secret } from './support/access';
import { heroId, resetDatabase, teamId } from './support/factories';
import { FaultyProxy } from './support/proxy';
import { type Replication, startReplication } from './support/replication';
import { type ServerProcess, startServer } from './support/server-process';
import { subscribeSse } from './support/sse';

// PostgreSQL only (see jest.config.js): the server runs as its own process, reaching this file's
// database through a proxy that the tests cut, restore, slow down, black-hole, or cut at a chosen
// statement; then on a private cluster (a primary and a standby of its own, in a temporary
// folder) for what only a server of one's own can do: a crash, a shutdown, a read-only server.
// Every outage must be answered with a code (DATABASE_UNAVAILABLE, MUTATION_OUTCOME_UNKNOWN,
// OVERLOADED), never masked, and a mutation must say whether its change may have been made.

/** The server's connections are named, so that a test can find and end them (and only them). */
const APPLICATION_NAME = 'heroes-faults-server';

const heroesQuery = '{ heroes(first: 3) { totalCount edges { node { name } } } }';

let editor: string;

async function ask(
  server: ServerProcess,
  query = heroesQuery,
  variables: Record<string, unknown> = {},
): Promise<Answer> {
  return post(server, { query, variables }, `Bearer ${editor}`);
}

const status = async (server: ServerProcess, path: string) => (await fetch(`${server.url}${path}`)).status;

async function eventually(check: () => Promise<boolean>, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const errorOf = (answer: Answer) =>
  answer.body.errors?.[0] as
    { message: string; path?: (string | number)[]; extensions?: { code?: string; safeToRetry?: boolean } } | undefined;

/** An answer that is an outage's: HTTP 503 with Retry-After, the code, nothing of the internals. */
function expectOutage(answer: Answer, code: string): void {
  expect({ status: answer.status, code: errorOf(answer)?.extensions?.code }).toEqual({ status: 503, code });
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  const text = JSON.stringify(answer.body);
  for (const internal of ['ECONNREFUSED', 'prisma', '127.0.0.1', 'stack', 'terminat', 'Unexpected error']) {
    expect(text).not.toContain(internal);
  }
}

const createHero = /* GraphQL */ `
  mutation ($name: String!, $teams: [MembershipInput!]) {
    createHero(input: { name: $name, secretName: "s", teams: $teams }) {
      hero {
        id
        name
      }
    }
  }
`;
const setHeroTeams = /* GraphQL */ `
  mutation ($hero: ID!, $teams: [MembershipInput!]!) {
    setHeroTeams(input: { heroId: $hero, teams: $teams }) {
      hero {
        id
      }
    }
  }
`;
const addHeroToTeam = /* GraphQL */ `
  mutation ($hero: ID!, $team: ID!) {
    addHeroToTeam(input: { heroId: $hero, teamId: $team }) {
      isTraining
    }
  }
`;

const linksOf = async (hero: number) =>
  (await prisma.heroTeamLink.findMany({ where: { heroId: hero }, orderBy: { teamId: 'asc' } })).map(
    (link) => link.teamId,
  );

/** What the servers here scrape their metrics with: production serves them only with it (or on METRICS_PORT). */
const metricsToken = 'faults-test-metrics-token';

/** The value of a sample of the server's /metrics. */
async function metric(server: ServerProcess, sample: string): Promise<number> {
  const text = await (
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })
  ).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

beforeAll(async () => {
  editor = await hsToken(['editor']);
});

/** A new hero of this name, and an SSE stream of its membership changes (with the hero's name). */
async function watchHero(server: ServerProcess, name: string) {
  const watched = await prisma.hero.create({ data: { name, secretName: 's' } });
  const stream = await subscribeSse(
    fetch,
    `${server.url}/graphql`,
    `subscription { membershipChanged(heroId: "${heroId(watched.id)}") { kind heroId hero { name } } }`,
    undefined,
    { authorization: `Bearer ${editor}` },
  );
  /** The message of a change of the hero's membership, as the stream must send it. */
  const event = (kind: 'ADDED' | 'REMOVED') => ({
    data: { membershipChanged: { kind, heroId: heroId(watched.id), hero: { name } } },
  });
  return { watched, stream, event };
}

describe('PostgreSQL behind a proxy the tests cut', () => {
  let proxy: FaultyProxy;
  let server: ServerProcess;

  beforeAll(async () => {
    await resetDatabase({ seed: true });
    const database = new URL(process.env.DATABASE_URL!);
    proxy = await FaultyProxy.start({ host: database.hostname, port: Number(database.port || 5432) });
    server = await startServer({
      DATABASE_URL: proxy.url(process.env.DATABASE_URL!),
      NODE_ENV: 'production',
      JWT_SECRET: secret,
      METRICS_TOKEN: metricsToken,
      PG_POOL_MAX: '4',
      PG_CONNECT_TIMEOUT_MS: '1000',
      SHUTDOWN_GRACE_MS: '10000',
      // Every statement goes with its text, which the proxy looks for to cut at it (a named
      // prepared statement is sent by name after its first run).
      PG_PREPARED_STATEMENTS: '0',
      PGAPPNAME: APPLICATION_NAME,
      // Change events come straight from the database, so that they still come while its
      // connections for queries are cut.
      DATABASE_LISTEN_URL: process.env.DATABASE_URL!,
    });
  }, 60_000);

  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await proxy.down();
  });

  afterEach(async () => {
    proxy.delay(0);
    await proxy.up();
  });

  it('survives PostgreSQL going away under load: 503 DATABASE_UNAVAILABLE with Retry-After, not ready, then recovers by itself', async () => {
    expect((await ask(server)).status).toBe(200);
    const counted = await metric(server, 'http_requests_database_unavailable_total{failure="unreachable"}');

    let running = true;
    const failures: Answer[] = [];
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (running) {
          const answer = await ask(server);
          if (answer.body.errors) failures.push(answer);
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await proxy.down();

    // Requests answer (they do not hang), each with the code of the outage.
    await eventually(async () => failures.length >= 10, 15);
    for (const failure of failures) expectOutage(failure, 'DATABASE_UNAVAILABLE');
    expect(await status(server, '/ready')).toBe(503);
    expect(await status(server, '/live')).toBe(200);
    expect(await metric(server, 'http_requests_database_unavailable_total{failure="unreachable"}')).toBeGreaterThan(
      counted,
    );

    await proxy.up();
    await eventually(async () => (await status(server, '/ready')) === 200, 20);
    running = false;
    await load;
    const after = await ask(server);
    expect(after.status).toBe(200);
    expect(after.body.errors).toBeUndefined();
    expect(server.child.exitCode).toBeNull();
    // Logged once per burst, without a stack for each refusal.
    expect(server.output()).toContain('Database unavailable: answering 503 DATABASE_UNAVAILABLE');
    expect(server.output()).not.toMatch(/Unhandled|uncaught|Unexpected error/i);
  }, 60_000);

  it('a mutation that cannot reach the database changed nothing: DATABASE_UNAVAILABLE, safe to retry', async () => {
    await proxy.down();
    const answer = await ask(server, createHero, { name: 'Refused' });
    expectOutage(answer, 'DATABASE_UNAVAILABLE');
    expect(errorOf(answer)).toMatchObject({ path: ['createHero'], extensions: { safeToRetry: true } });
    expect(errorOf(answer)?.message).toContain('nothing was changed');
    await proxy.up();
    expect(await prisma.hero.count({ where: { name: 'Refused' } })).toBe(0);
  });

  it('a query whose connection is cut mid-statement: DATABASE_UNAVAILABLE', async () => {
    const lost = await metric(server, 'http_requests_database_unavailable_total{failure="lost"}');
    const cut = proxy.cutAt('FROM "Team" n', true);
    const answer = await ask(server, '{ teams(first: 2) { edges { node { name } } } }');
    await cut;
    expectOutage(answer, 'DATABASE_UNAVAILABLE');
    expect(await metric(server, 'http_requests_database_unavailable_total{failure="lost"}')).toBe(lost + 1);
    expect((await ask(server, '{ teams(first: 2) { edges { node { name } } } }')).status).toBe(200);
  });

  it('a field whose read is cut while the others are read: 200 with the data there is, the field DATABASE_UNAVAILABLE, Retry-After', async () => {
    const cut = proxy.cutAt('FROM "Hero" n WHERE n.id = ANY', false);
    const answer = await ask(
      server,
      `{ hero(id: "${heroId(1)}") { name } teams(first: 1) { edges { node { name } } } }`,
    );
    await cut;
    // GraphQL over HTTP: an answer whose data is not null is a 2xx.
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ hero: null, teams: { edges: [{ node: { name: 'Preventers' } }] } });
    expect(errorOf(answer)).toMatchObject({ path: ['hero'], extensions: { code: 'DATABASE_UNAVAILABLE' } });
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a transaction cut before its COMMIT is rolled back: DATABASE_UNAVAILABLE, nothing changed', async () => {
    const before = await linksOf(1);
    const cut = proxy.cutAt('unnest(', true);
    const answer = await ask(server, setHeroTeams, { hero: heroId(1), teams: [{ teamId: teamId(2) }] });
    await cut;
    expectOutage(answer, 'DATABASE_UNAVAILABLE');
    expect(errorOf(answer)?.extensions?.safeToRetry).toBe(true);
    expect(await linksOf(1)).toEqual(before);
  });

  it('a connection cut with COMMIT on its way: MUTATION_OUTCOME_UNKNOWN, whether or not it committed; createHero is not safe to retry', async () => {
    // The COMMIT reached the database: the hero exists, the client cannot know it.
    let cut = proxy.cutAt('COMMIT', true);
    let answer = await ask(server, createHero, { name: 'Committed unseen' });
    await cut;
    expectOutage(answer, 'MUTATION_OUTCOME_UNKNOWN');
    expect(errorOf(answer)).toMatchObject({ path: ['createHero'], extensions: { safeToRetry: false } });
    expect(errorOf(answer)?.message).toContain('may or may not have been made');
    await eventually(async () => (await prisma.hero.count({ where: { name: 'Committed unseen' } })) === 1, 5);

    // The COMMIT never reached it: rolled back, and the client is told the same.
    cut = proxy.cutAt('COMMIT', false);
    answer = await ask(server, createHero, { name: 'Never committed' });
    await cut;
    expectOutage(answer, 'MUTATION_OUTCOME_UNKNOWN');
    expect(await prisma.hero.count({ where: { name: 'Never committed' } })).toBe(0);
  });

  it('an idempotent mutation cut with COMMIT on its way is safe to retry, and the retry leaves the same state', async () => {
    const cut = proxy.cutAt('COMMIT', true);
    const teams = [{ teamId: teamId(1) }, { teamId: teamId(2) }];
    const answer = await ask(server, setHeroTeams, { hero: heroId(2), teams });
    await cut;
    expectOutage(answer, 'MUTATION_OUTCOME_UNKNOWN');
    expect(errorOf(answer)?.extensions?.safeToRetry).toBe(true);
    expect((await ask(server, setHeroTeams, { hero: heroId(2), teams })).status).toBe(200);
    expect(await linksOf(2)).toEqual([1, 2]);
  });

  it('a write outside a transaction cut on its way (addHeroToTeam): MUTATION_OUTCOME_UNKNOWN, safe to retry', async () => {
    await prisma.heroTeamLink.deleteMany({ where: { heroId: 3, teamId: 2 } });
    const cut = proxy.cutAt('DO NOTHING', true);
    const answer = await ask(server, addHeroToTeam, { hero: heroId(3), team: teamId(2) });
    await cut;
    expectOutage(answer, 'MUTATION_OUTCOME_UNKNOWN');
    expect(errorOf(answer)?.extensions?.safeToRetry).toBe(true);
    await eventually(async () => (await linksOf(3)).includes(2), 5);
    expect((await ask(server, addHeroToTeam, { hero: heroId(3), team: teamId(2) })).status).toBe(200);
  });

  it("a mutation whose payload cannot be read after its change: MUTATION_OUTCOME_UNKNOWN at the payload's field, the change made", async () => {
    const cut = proxy.cutAt('AS training', false);
    const answer = await ask(
      server,
      `mutation { createHero(input: { name: "Made, unread", secretName: "s", teams: [{ teamId: "${teamId(1)}" }] }) { hero { name teams { totalCount } } } }`,
    );
    await cut;
    expectOutage(answer, 'MUTATION_OUTCOME_UNKNOWN');
    expect(errorOf(answer)).toMatchObject({
      path: ['createHero', 'hero', 'teams', 'totalCount'],
      extensions: { safeToRetry: false },
    });
    expect(errorOf(answer)?.message).toContain('The change was made');
    expect(await prisma.hero.count({ where: { name: 'Made, unread' } })).toBe(1);
  });

  it('a change committed while the server cannot reach the database reaches its subscribers once it can (read from the change log), and the stream goes on', async () => {
    const { watched, stream, event } = await watchHero(server, 'Watched');
    try {
      expect(stream.status).toBe(200);
      await proxy.down();
      // Written by someone else (straight to the database): the notification comes (LISTEN is
      // direct), but the change log cannot be read through the cut pool: nothing yet, no error.
      await prisma.heroTeamLink.create({ data: { heroId: watched.id, teamId: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(stream.pending).toBe(0);
      await proxy.up();
      const [during] = await stream.take(1, 20_000);
      expect(during).toEqual(event('ADDED'));
      await prisma.heroTeamLink.delete({ where: { teamId_heroId: { teamId: 1, heroId: watched.id } } });
      const [after] = await stream.take(1);
      expect(after).toEqual(event('REMOVED'));
      expect(stream.completed).toBe(false);
    } finally {
      await stream.close();
    }
  });

  it('an event whose hero cannot be read when it is delivered (the connection cut) is delivered whole once the read succeeds, never with a hole', async () => {
    const { watched, stream, event } = await watchHero(server, 'Delivered whole');
    try {
      expect(stream.status).toBe(200);
      const retries = await metric(server, 'graphql_subscription_execution_retries_total');
      // The event's own read of its hero (not the change log's read) meets the database's absence,
      // which then lasts a second: the event waits, and nothing with a hole is sent meanwhile.
      const cut = proxy.cutAt('FROM "Hero" n WHERE n.id = ANY', false);
      await prisma.heroTeamLink.create({ data: { heroId: watched.id, teamId: 1 } });
      await cut;
      await proxy.down();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(stream.pending).toBe(0);
      await proxy.up();
      const [added] = await stream.take(1, 20_000);
      expect(await metric(server, 'graphql_subscription_execution_retries_total')).toBeGreaterThanOrEqual(retries + 2);
      expect(added).toEqual(event('ADDED'));
      await prisma.heroTeamLink.delete({ where: { teamId_heroId: { teamId: 1, heroId: watched.id } } });
      const [next] = await stream.take(1);
      expect(next).toEqual(event('REMOVED'));
      expect(stream.pending).toBe(0);
      expect(stream.completed).toBe(false);
    } finally {
      await stream.close();
    }
  });

  it('a session terminated by an administrator (57P01) mid-request: DATABASE_UNAVAILABLE', async () => {
    expect((await ask(server)).status).toBe(200);
    proxy.delay(1500);
    const sent = proxy.seen('FROM "Hero" n');
    const pending = ask(server);
    await sent;
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ ended: boolean }>(
        'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
        [APPLICATION_NAME],
      );
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    expectOutage(await pending, 'DATABASE_UNAVAILABLE');
    proxy.delay(0);
    await eventually(async () => (await ask(server)).status === 200, 10);
  });

  it("a black-holed database: the pool's connect timeout is DATABASE_UNAVAILABLE, and so are the requests waiting behind it", async () => {
    expect((await ask(server)).status).toBe(200);
    proxy.stall();
    // Four connections may be opening at once (PG_POOL_MAX); the others wait in the pool's queue.
    // A wait that ends before the pool's first connect timeout cannot know yet that the database
    // is away, and is OVERLOADED; from then on, until a connection opens, every wait is the outage's.
    const first = await Promise.all(Array.from({ length: 8 }, () => ask(server)));
    for (const answer of first) {
      expect(answer.status).toBe(503);
      expect(['DATABASE_UNAVAILABLE', 'OVERLOADED']).toContain(errorOf(answer)?.extensions?.code);
    }
    expect(first.some((answer) => errorOf(answer)?.extensions?.code === 'DATABASE_UNAVAILABLE')).toBe(true);
    const second = await Promise.all(Array.from({ length: 8 }, () => ask(server)));
    for (const answer of second) expectOutage(answer, 'DATABASE_UNAVAILABLE');
    await proxy.up();
    await eventually(async () => (await ask(server)).status === 200, 10);
  }, 30_000);

  it('when the pool is exhausted, waiting requests fail fast with 503 OVERLOADED instead of queueing forever', async () => {
    // Its 4 connections open first: a connection that cannot open within PG_CONNECT_TIMEOUT_MS is
    // the database's absence (above), not a lack of connections.
    await Promise.all(Array.from({ length: 4 }, () => ask(server)));
    proxy.delay(2500);
    // The pool has 4 connections, each held about 2.5 s; the rest wait at most PG_CONNECT_TIMEOUT_MS (1 s).
    const answers = await Promise.all(Array.from({ length: 12 }, () => ask(server)));
    proxy.delay(0);
    const failed = answers.filter((answer) => answer.body.errors);
    expect(failed.length).toBeGreaterThan(0);
    for (const answer of failed) {
      expect(answer.status).toBe(503);
      expect(JSON.stringify(answer.body.errors)).toContain('"code":"OVERLOADED"');
    }
    expect(JSON.stringify(failed)).not.toContain('timeout exceeded');
    await eventually(async () => !(await ask(server)).body.errors, 10);
  }, 30_000);

  it('on SIGTERM, finishes the request in flight, then exits 0', async () => {
    proxy.delay(1500);
    const inFlight = ask(server);
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.child.kill('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('SIGTERM: finishing requests in flight');
    proxy.delay(0);
  }, 30_000);
});

describe('a private PostgreSQL cluster: a crash, a shutdown, a read-only server', () => {
  let cluster: Replication;
  let proxy: FaultyProxy;
  let server: ServerProcess;

  beforeAll(async () => {
    cluster = await startReplication();
    proxy = await FaultyProxy.start({ host: '127.0.0.1', port: cluster.primary.port });
    // It migrates and seeds the primary, which the standby then replays.
    server = await startServer({
      DATABASE_URL: proxy.url(cluster.primary.url),
      NODE_ENV: 'production',
      JWT_SECRET: secret,
      METRICS_TOKEN: metricsToken,
      PG_POOL_MAX: '4',
      PG_CONNECT_TIMEOUT_MS: '1000',
      PG_PREPARED_STATEMENTS: '0',
      PGAPPNAME: APPLICATION_NAME,
    });
    await cluster.caughtUp();
  }, 120_000);

  afterAll(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await proxy?.down();
    await cluster?.destroy();
  }, 60_000);

  it('a read-only server (a standby, as a demoted primary is): queries answered, a mutation DATABASE_UNAVAILABLE with nothing changed', async () => {
    const readOnly = await startServer({
      DATABASE_URL: cluster.standby.url,
      NODE_ENV: 'production',
      JWT_SECRET: secret,
      MIGRATE_ON_START: 'false',
    });
    try {
      expect((await ask(readOnly)).status).toBe(200);
      const answer = await ask(readOnly, createHero, { name: 'Read-only', teams: [{ teamId: teamId(1) }] });
      expectOutage(answer, 'DATABASE_UNAVAILABLE');
      expect(errorOf(answer)?.extensions?.safeToRetry).toBe(true);
      expect(errorOf(answer)?.message).toContain('takes no writes');
      expect(readOnly.output()).toContain('read_only: 25006 cannot execute');
    } finally {
      readOnly.child.kill('SIGTERM');
      await readOnly.exited;
    }
  }, 60_000);

  it('a server shutting down refuses new connections (57P03): DATABASE_UNAVAILABLE, then service resumes once it is back', async () => {
    expect((await ask(server)).status).toBe(200);
    const unreachable = 'http_requests_database_unavailable_total{failure="unreachable"}';
    const before = await metric(server, unreachable);
    // A session held open keeps a smart shutdown waiting, refusing new connections meanwhile.
    const held = new Client({ connectionString: cluster.primary.url });
    await held.connect();
    try {
      await cluster.primary.beginShutdown();
      // The server's own sessions end (57P01); it must connect again, and is refused (57P03).
      await held.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
        APPLICATION_NAME,
      ]);
      await eventually(async () => {
        const answer = await ask(server);
        expectOutage(answer, 'DATABASE_UNAVAILABLE');
        return (await metric(server, unreachable)) > before;
      }, 10);
    } finally {
      await held.end();
      // The shutdown ends with the last session; then the primary starts again.
      await eventually(
        async () =>
          !(await cluster.primary.query('SELECT 1').then(
            () => true,
            () => false,
          )),
        30,
      );
      await cluster.primary.start();
    }
    await eventually(async () => (await ask(server)).status === 200, 20);
  }, 90_000);

  it('a backend crash ends every session (57P02) and PostgreSQL restarts: DATABASE_UNAVAILABLE meanwhile, then service resumes', async () => {
    expect((await ask(server)).status).toBe(200);
    proxy.delay(1000);
    const sent = proxy.seen('FROM "Hero" n');
    const pending = ask(server);
    await sent;
    // A backend of ours killed by a signal: the postmaster ends every other session (with the
    // warning 57P02) and restarts, replaying its WAL.
    const victim = new Client({ connectionString: cluster.primary.url });
    await victim.connect();
    victim.on('error', () => undefined);
    const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    process.kill(rows[0]!.pid, 'SIGKILL');
    expectOutage(await pending, 'DATABASE_UNAVAILABLE');
    proxy.delay(0);
    await victim.end().catch(() => undefined);
    await eventually(async () => (await ask(server)).status === 200, 30);
    expect(server.output()).not.toMatch(/Unexpected error/);
  }, 60_000);
});
