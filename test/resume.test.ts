import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import { Client } from 'pg';
import WebSocket from 'ws';
import { prisma, pruneChangeLog } from '../src/db';
import { yoga } from '../src/graphql/yoga';
import { captureLog } from '../src/ops/logger';
import { feed, hub, listenForChanges } from '../src/realtime';
import { GraphQLError } from 'graphql';
import { decodeCursor, encodeCursor } from '../src/realtime/events';
import { membershipEvents, ResumedStream } from '../src/realtime/resume';
import { stopServer } from './support/access';
import { heroId, makeHeroes, makeTeams, resetDatabase, teamId } from './support/factories';
import { recordSql } from './support/graphql';
import { itOnPostgres } from './support/postgres-only';
import { type ServerProcess, startServer } from './support/server-process';
import { type StreamMessage, type Subscription, subscribeSse } from './support/sse';

// Subscriptions that resume from a cursor (`after:`), read from the change log (migration
// change_log, src/realtime/resume.ts): across a dropped connection (SSE and WebSocket), a server
// restart, plain SQL writers, 20 concurrent writers with the subscriber dropping mid-stream, and
// (PostgreSQL) the server's LISTEN connection killed. Each event exactly once, in commit order.

const url = 'http://yoga/graphql';
const fetchYoga = (target: string, init: RequestInit) => Promise.resolve(yoga.fetch(target, init));

interface Event {
  kind: string;
  heroId: string;
  teamId: string;
  isTraining: boolean;
  cursor: string;
  committedAt: string;
  hero: { name: string } | null;
}
interface MembershipData {
  membershipChanged: Event;
}
interface NodeData {
  nodeChanged: { kind: string; id: string; cursor: string; committedAt: string; node: { name?: string } | null };
}

const Resume = /* GraphQL */ `
  subscription ResumeMemberships($heroId: ID, $teamId: ID, $after: String) {
    membershipChanged(heroId: $heroId, teamId: $teamId, after: $after) {
      kind
      heroId
      teamId
      isTraining
      cursor
      committedAt
      hero {
        name
      }
    }
  }
`;

const ResumeNode = /* GraphQL */ `
  subscription ResumeNode($id: ID!, $after: String) {
    nodeChanged(id: $id, after: $after) {
      kind
      id
      cursor
      committedAt
      node {
        ... on Hero {
          name
        }
      }
    }
  }
`;

const open: Subscription<unknown>[] = [];

async function subscribe<T>(
  document: string,
  variables: Record<string, unknown>,
  fetchFn = fetchYoga,
  target = url,
): Promise<Subscription<T>> {
  const subscription = await subscribeSse<T, Record<string, unknown>>(fetchFn, target, document, variables);
  open.push(subscription as Subscription<unknown>);
  expect(subscription.status).toBe(200);
  return subscription;
}

async function mutate(query: string, variables: Record<string, unknown> = {}, target?: string): Promise<any> {
  const init = {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  };
  const response = target ? await fetch(target, init) : await yoga.fetch(url, init);
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(`Expected data, got ${JSON.stringify(body)}`);
  return body.data;
}

const join = (hero: number, team: number, target?: string) =>
  mutate(
    `mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`,
    { h: heroId(hero), t: teamId(team) },
    target,
  );
const train = (hero: number, team: number) =>
  mutate(
    `mutation ($h: ID!, $t: ID!) { updateMembership(input: { heroId: $h, teamId: $t, isTraining: true }) { isTraining } }`,
    { h: heroId(hero), t: teamId(team) },
  );
const leave = (hero: number, team: number) =>
  mutate(`mutation ($h: ID!, $t: ID!) { removeHeroFromTeam(input: { heroId: $h, teamId: $t }) { removed } }`, {
    h: heroId(hero),
    t: teamId(team),
  });

const dbIdOf = (global: string) => Buffer.from(global, 'base64').toString().split(':')[1];

/** An event as a short line: kind, hero/team (database ids), training. */
function line(message: StreamMessage<MembershipData>): string {
  if (message.errors) return `errors ${message.errors.map((error) => error.extensions?.code).join(',')}`;
  const event = message.data!.membershipChanged;
  return `${event.kind} ${dbIdOf(event.heroId)}/${dbIdOf(event.teamId)} ${event.isTraining}`;
}

async function nothingMore(subscription: Subscription<unknown>, ms = 300): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  expect(subscription.pending).toBe(0);
}

/** The error codes a subscription that is refused answers with (its one message). */
async function refusal(variables: Record<string, unknown>): Promise<string[]> {
  const subscription = await subscribe<MembershipData>(Resume, variables);
  const message = await subscription.next();
  return (message?.errors ?? []).map((error) => error.extensions?.code ?? '');
}

let teams: number[] = [];
let heroes: number[] = [];

beforeEach(async () => {
  await resetDatabase();
  teams = await makeTeams(3);
  heroes = await makeHeroes(5);
  await listenForChanges();
  await feed.caughtUp();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((subscription) => subscription.close()));
});

describe('resuming after a cursor', () => {
  it('gives what was committed while the client was away, exactly once and in commit order, then the live events', async () => {
    const [h1, h2, h3] = heroes as [number, number, number];
    const [t1, t2] = teams as [number, number];
    const first = await subscribe<MembershipData>(Resume, { teamId: teamId(t1) });
    await join(h1, t1);
    await join(h2, t1);
    const [a, b] = await first.take(2);
    expect([a, b].map((m) => line(m!))).toEqual([`ADDED ${h1}/${t1} false`, `ADDED ${h2}/${t1} false`]);
    const eventA = a!.data!.membershipChanged;
    const eventB = b!.data!.membershipChanged;
    expect(eventA.cursor).not.toBe(eventB.cursor);
    expect(Date.parse(eventB.committedAt)).toBeGreaterThanOrEqual(Date.parse(eventA.committedAt));
    expect(Math.abs(Date.now() - Date.parse(eventB.committedAt))).toBeLessThan(60_000);
    // Opaque: nothing of the position shows.
    expect(eventA.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    await first.close();

    // While away: three changes of team 1, one of team 2 (not followed).
    await join(h3, t1);
    await train(h1, t1);
    await join(h1, t2);
    await leave(h2, t1);

    await feed.caughtUp();
    const { result: resumed, statements } = await recordSql(async () => {
      const resumed = await subscribe<MembershipData>(Resume, { teamId: teamId(t1), after: eventB.cursor });
      expect((await resumed.take(3)).map(line)).toEqual([
        `ADDED ${h3}/${t1} false`,
        `UPDATED ${h1}/${t1} true`,
        `REMOVED ${h2}/${t1} false`,
      ]);
      return resumed;
    });
    // The cursor's check, then one page of the replay (as the client reads), then the events' heroes.
    expect(statements.filter((sql) => sql.includes('"ChangeCommit"'))).toEqual([
      expect.stringContaining('SELECT count(*)::int FROM "ChangeCommit" WHERE "position" = $1'),
      expect.stringContaining('AS anchored'),
    ]);
    // The page's three heroes in one statement, not one per event.
    expect(statements.filter((sql) => /FROM "Hero"/.test(sql))).toHaveLength(1);
    await join(h2, t1);
    const live = (await resumed.next())!;
    expect(line(live)).toBe(`ADDED ${h2}/${t1} false`);
    await nothingMore(resumed);

    // From the first event's cursor: the second one too, then the same.
    const again = await subscribe<MembershipData>(Resume, { teamId: teamId(t1), after: eventA.cursor });
    expect((await again.take(5)).map(line)).toEqual([
      `ADDED ${h2}/${t1} false`,
      `ADDED ${h3}/${t1} false`,
      `UPDATED ${h1}/${t1} true`,
      `REMOVED ${h2}/${t1} false`,
      `ADDED ${h2}/${t1} false`,
    ]);
    await nothingMore(again);
    // The last event's cursor: nothing to replay, only what comes next.
    const caught = await subscribe<MembershipData>(Resume, {
      teamId: teamId(t1),
      after: live.data!.membershipChanged.cursor,
    });
    await nothingMore(caught);
    await leave(h3, t1);
    expect(line((await caught.next())!)).toBe(`REMOVED ${h3}/${t1} false`);
  });

  it('resumes inside a transaction: a bulk change read in part gives the rest', async () => {
    const [t1] = teams as [number];
    const all = await subscribe<MembershipData>(Resume, {});
    await mutate(`mutation ($input: AddHeroesToTeamInput!) { addHeroesToTeam(input: $input) { added } }`, {
      input: { teamId: teamId(t1), heroes: heroes.map((id) => ({ heroId: heroId(id) })) },
    });
    const seen = await all.take(2);
    await all.close();
    const rest = await subscribe<MembershipData>(Resume, { after: seen[1]!.data!.membershipChanged.cursor });
    const others = await rest.take(3);
    expect([...seen, ...others].map(line)).toEqual(heroes.map((h) => `ADDED ${h}/${t1} false`));
    await nothingMore(rest);
  });

  it('a long replay is read a page (200 transactions) at a time; a cursor pruned during it ends the stream with CURSOR_EXPIRED', async () => {
    const [h1] = heroes as [number];
    const [t1] = teams as [number];
    const first = await subscribe<MembershipData>(Resume, { teamId: teamId(t1) });
    await join(h1, t1);
    const { cursor } = (await first.next())!.data!.membershipChanged;
    await first.close();
    // 450 transactions while away, each one flipping isTraining.
    for (let i = 0; i < 450; i++) {
      await prisma.heroTeamLink.update({
        where: { teamId_heroId: { teamId: t1, heroId: h1 } },
        data: { isTraining: i % 2 === 0 },
      });
    }
    await feed.caughtUp();
    const expected = Array.from({ length: 450 }, (_, i) => `UPDATED ${h1}/${t1} ${i % 2 === 0}`);
    const { result: lines, statements } = await recordSql(async () => {
      const resumed = await subscribe<MembershipData>(Resume, { teamId: teamId(t1), after: cursor });
      const lines = (await resumed.take(450, 60_000)).map(line);
      await nothingMore(resumed);
      return lines;
    });
    expect(lines).toEqual(expected);
    // The cursor's check, then pages of 200, 200 and 50 transactions.
    expect(statements.filter((sql) => sql.includes('AS anchored'))).toHaveLength(3);

    // Again, the log pruned once the first page is read (driven by hand: a server reads ahead of
    // its client, so over HTTP the moment would be a race): that page's events, then the error.
    const after = decodeCursor(cursor)!;
    const before = hub.size;
    const live = hub.memberships({ teamId: t1 }, after);
    const again = new ResumedStream(live, after, feed.head, membershipEvents({ teamId: t1 }));
    const kindOf = (result: IteratorResult<unknown>) =>
      result.value instanceof Error
        ? (result.value as GraphQLError).extensions.code
        : `${(result.value as { kind: string }).kind} ${(result.value as { isTraining: boolean }).isTraining}`;
    expect(kindOf(await again.next())).toBe('UPDATED true');
    await prisma.$executeRaw`UPDATE "ChangeCommit" SET "committedAt" = "committedAt" - interval '2 days'`;
    expect(await pruneChangeLog(86_400_000)).toBeGreaterThan(450);
    // The first page held the cursor's own transaction and 199 more.
    for (let i = 1; i < 199; i++) expect(kindOf(await again.next())).toBe(`UPDATED ${i % 2 === 0}`);
    expect(kindOf(await again.next())).toBe('CURSOR_EXPIRED');
    expect((await again.next()).done).toBe(true);
    expect(hub.size).toBe(before);
  }, 120_000);

  it('nodeChanged resumes too', async () => {
    const [h1] = heroes as [number];
    const rename = (name: string) =>
      mutate(`mutation ($h: ID!, $n: String!) { updateHero(input: { id: $h, name: $n }) { hero { id } } }`, {
        h: heroId(h1),
        n: name,
      });
    const first = await subscribe<NodeData>(ResumeNode, { id: heroId(h1) });
    await rename('One');
    const one = (await first.next())!.data!.nodeChanged;
    expect(one.kind).toBe('UPDATED');
    await first.close();
    await rename('Two');
    await mutate(`mutation ($h: ID!) { deleteHero(input: { id: $h }) { deletedId } }`, { h: heroId(h1) });
    const resumed = await subscribe<NodeData>(ResumeNode, { id: heroId(h1), after: one.cursor });
    const [two, deleted] = await resumed.take(2);
    // The node as it is when the event is sent: deleted by now.
    expect(two!.data!.nodeChanged).toMatchObject({ kind: 'UPDATED', node: null });
    expect(Date.parse(two!.data!.nodeChanged.committedAt)).toBeGreaterThanOrEqual(Date.parse(one.committedAt));
    expect(deleted!.data!.nodeChanged).toMatchObject({ kind: 'DELETED', node: null });
    await nothingMore(resumed);
  });

  it('a forged cursor, or one older than the retention, is CURSOR_EXPIRED', async () => {
    const [h1] = heroes as [number];
    const [t1] = teams as [number];
    expect(await refusal({ after: 'not-a-cursor' })).toEqual(['CURSOR_EXPIRED']);
    expect(await refusal({ after: encodeCursor({ position: 987_654_321, index: 0 }) })).toEqual(['CURSOR_EXPIRED']);
    expect(await refusal({ after: Buffer.from('c1:1:0:x').toString('base64url') })).toEqual(['CURSOR_EXPIRED']);
    expect(hub.size).toBe(0);

    const first = await subscribe<MembershipData>(Resume, {});
    await join(h1, t1);
    const { cursor } = (await first.next())!.data!.membershipChanged;
    await first.close();
    // Still in the log: fine. Then its transaction is older than the retention, and pruned.
    const fine = await subscribe<MembershipData>(Resume, { after: cursor });
    await nothingMore(fine, 100);
    const [{ count }] = (await prisma.$queryRaw<
      { count: number }[]
    >`SELECT count(*)::int AS count FROM "ChangeCommit"`) as [{ count: number }];
    await prisma.$executeRaw`UPDATE "ChangeCommit" SET "committedAt" = "committedAt" - interval '2 hours'`;
    expect(await pruneChangeLog(3_600_000)).toBe(count);
    expect(await prisma.$queryRaw`SELECT count(*)::int AS n FROM "ChangeLog"`).toEqual([{ n: 0 }]);
    expect(await refusal({ after: cursor })).toEqual(['CURSOR_EXPIRED']);
    // Pruning is by age: what is recent stays.
    await join(h1, teams[1]!);
    expect(await pruneChangeLog(3_600_000)).toBe(0);
  });

  it('plain SQL writers are in the log like the API: a resumed subscriber gets their changes', async () => {
    const [h1, h2] = heroes as [number, number];
    const [t1] = teams as [number];
    const first = await subscribe<MembershipData>(Resume, { teamId: teamId(t1) });
    await join(h1, t1);
    const { cursor } = (await first.next())!.data!.membershipChanged;
    await first.close();
    const statements = [
      [`INSERT INTO "HeroTeamLink" ("heroId", "teamId") VALUES ($1, $2)`, [h2, t1]],
      [`UPDATE "HeroTeamLink" SET "isTraining" = true WHERE "teamId" = $1`, [t1]],
      // An update that changes nothing is no event.
      [`UPDATE "HeroTeamLink" SET "isTraining" = true WHERE "teamId" = $1`, [t1]],
      [`DELETE FROM "HeroTeamLink" WHERE "heroId" = $1`, [h1]],
    ] as const;
    if (process.env.DATABASE_URL) {
      // Another connection, as psql or a bulk load would be.
      const client = new Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      try {
        for (const [sql, values] of statements) await client.query(sql, [...values]);
      } finally {
        await client.end();
      }
    } else {
      for (const [sql, values] of statements) await prisma.$executeRawUnsafe(sql, ...values);
    }
    const resumed = await subscribe<MembershipData>(Resume, { teamId: teamId(t1), after: cursor });
    expect((await resumed.take(4)).map(line)).toEqual([
      `ADDED ${h2}/${t1} false`,
      `UPDATED ${h1}/${t1} true`,
      `UPDATED ${h2}/${t1} true`,
      `REMOVED ${h1}/${t1} true`,
    ]);
    await nothingMore(resumed);
  });

  it('20 concurrent writers while the subscriber drops mid-stream and resumes: each event exactly once, in commit order', async () => {
    const writers = await makeHeroes(20, 'Writer');
    const many = await makeTeams(10, 'Many');
    await feed.caughtUp();
    // The log outlives resetDatabase (TRUNCATE is not logged) and ids restart: this test's part of it.
    const start = feed.head;
    const received: Event[] = [];
    let subscription = await subscribe<MembershipData>(Resume, {});
    const writing = Promise.all(
      writers.map(async (hero) => {
        for (const team of many) await join(hero, team);
      }),
    );
    // Drop after 50 events, twice, resuming each time from the last one received.
    for (const dropAt of [50, 120]) {
      while (received.length < dropAt) received.push((await subscription.next(30_000))!.data!.membershipChanged);
      await subscription.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      subscription = await subscribe<MembershipData>(Resume, { after: received.at(-1)!.cursor });
    }
    await writing;
    while (received.length < 200) received.push((await subscription.next(30_000))!.data!.membershipChanged);
    await nothingMore(subscription);
    const pairs = received.map((event) => `${dbIdOf(event.heroId)}/${dbIdOf(event.teamId)}`);
    expect(new Set(pairs).size).toBe(200);
    expect(new Set(pairs)).toEqual(new Set(writers.flatMap((hero) => many.map((team) => `${hero}/${team}`))));
    // Commit order: the order of the log's positions, and each writer's own joins in the order it made them.
    const order = await prisma.$queryRaw<{ heroId: number; teamId: number }[]>`
      SELECT l."rows"[1] AS "heroId", l."rows"[2] AS "teamId" FROM "ChangeCommit" c JOIN "ChangeLog" l ON l."xid" = c."xid"
      WHERE c."position" > ${start} AND l."kind" = 'LA' ORDER BY c."position", l."seq"`;
    expect(pairs).toEqual(order.map((row) => `${row.heroId}/${row.teamId}`));
    for (const hero of writers) {
      expect(pairs.filter((pair) => pair.startsWith(`${hero}/`))).toEqual(many.map((team) => `${hero}/${team}`));
    }
  }, 120_000);

  itOnPostgres(
    'the LISTEN connection killed (pg_terminate_backend): the events committed meanwhile come, once each',
    async () => {
      const [t1] = teams as [number];
      const all = await subscribe<MembershipData>(Resume, { teamId: teamId(t1) });
      const lines: string[] = [];
      const release = captureLog({ write: (text: string) => void lines.push(text) });
      try {
        const client = new Client({ connectionString: process.env.DATABASE_URL });
        await client.connect();
        try {
          const { rowCount } = await client.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'
             AND query IN ('LISTEN heroes_changes', 'SELECT 1')`,
          );
          // The LISTEN connection (its last statement is LISTEN, or its heartbeat's SELECT 1).
          expect(rowCount).toBeGreaterThanOrEqual(1);
          // Written at once, while the server has no LISTEN connection: no notification reaches it.
          for (const hero of heroes) {
            await client.query(`INSERT INTO "HeroTeamLink" ("heroId", "teamId") VALUES ($1, $2)`, [hero, t1]);
          }
        } finally {
          await client.end();
        }
        expect((await all.take(5, 20_000)).map(line)).toEqual(heroes.map((h) => `ADDED ${h}/${t1} false`));
        await nothingMore(all);
        expect(lines.join('\n')).toContain('the LISTEN connection to PostgreSQL is lost');
        expect(lines.join('\n')).toContain('reading what was committed meanwhile from the change log');
      } finally {
        release();
      }
    },
    60_000,
  );

  it('one read of the log per commit, whatever the number of subscribers', async () => {
    const [h1, h2] = heroes as [number, number];
    const [t1] = teams as [number];
    const reads = async (count: number, hero: number) => {
      const subscribers = await Promise.all(
        Array.from({ length: count }, () => subscribe<MembershipData>(Resume, { teamId: teamId(t1) })),
      );
      const before = feed.reads;
      const { statements } = await recordSql(async () => {
        await join(hero, t1);
        await Promise.all(subscribers.map((subscriber) => subscriber.next()));
      });
      await Promise.all(subscribers.map((subscriber) => subscriber.close()));
      return [feed.reads - before, statements.filter((sql) => sql.includes('"ChangeLog"')).length];
    };
    expect(await reads(1, h1)).toEqual([1, 1]);
    expect(await reads(100, h2)).toEqual([1, 1]);
  }, 60_000);
});

describe('across server processes', () => {
  let folder: string | undefined;
  let server: ServerProcess | undefined;
  const start = () =>
    startServer(
      process.env.DATABASE_URL
        ? { DATABASE_URL: process.env.DATABASE_URL, MIGRATE_ON_START: 'false' }
        : { DATA_DIR: folder! },
    );

  afterAll(async () => {
    await stopServer(server);
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('resumes across a server restart, over WebSocket (a dropped socket) and SSE', async () => {
    if (!process.env.DATABASE_URL) folder = mkdtempSync(path.join(tmpdir(), 'resume-'));
    server = await start();
    const made = await mutate(
      `mutation { t: createTeam(input: { name: "Restart", headquarters: "r" }) { team { id } }
                  a: createHero(input: { name: "A", secretName: "a" }) { hero { id } }
                  b: createHero(input: { name: "B", secretName: "b" }) { hero { id } }
                  c: createHero(input: { name: "C", secretName: "c" }) { hero { id } } }`,
      {},
      `${server.url}/graphql`,
    );
    const team = made.t.team.id as string;
    const [a, b, c] = [made.a.hero.id as string, made.b.hero.id as string, made.c.hero.id as string];
    const add = (hero: string) =>
      mutate(
        `mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`,
        { h: hero, t: team },
        `${server!.url}/graphql`,
      );
    const ws = createClient({
      url: `${server.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    const events = ws.iterate<MembershipData>({ query: Resume, variables: { teamId: team } });
    // The subscription is registered once the server answers it: wait for the first event.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await add(a);
    const first = (await events.next()).value!.data!.membershipChanged;
    expect(first.hero?.name).toBe('A');
    await ws.dispose();

    // The server goes away; changes are made after it is back, before the client returns.
    await stopServer(server);
    server = await start();
    await add(b);
    await add(c);
    const resumed = await subscribe<MembershipData>(
      Resume,
      { teamId: team, after: first.cursor },
      fetch,
      `${server.url}/graphql`,
    );
    const [one, two] = await resumed.take(2);
    expect([one, two].map((m) => m!.data!.membershipChanged.hero?.name)).toEqual(['B', 'C']);
    await nothingMore(resumed);
  }, 120_000);
});
