import { Client } from 'pg';
import { ResponseCacheStore } from '../src/graphql/response-cache-store';
import { trackReads } from '../src/graphql/response-cache';
import { schema } from '../src/schema';
import { type Answer, hsToken, post, secret, startAccessServer, stopServer } from './support/access';
import { heroId } from './support/factories';
import { describeOnPostgres } from './support/postgres-only';
import { FaultyProxy } from './support/proxy';
import type { ServerProcess } from './support/server-process';

// The response cache (RESPONSE_CACHE=on, src/graphql/response-cache.ts), through servers started
// as `npm start` starts them: an answer served from the cache is the answer a fresh execution
// gives, after every kind of write. A fresh execution is the same query with a comment added: its
// text, so its key, is new, and it is executed. Writes through the server are seen by the very
// next query (read-your-writes); writes elsewhere (plain SQL, another server) within the event
// latency, and from then on. While the change events may be missed, nothing is served from it.

describe('the store', () => {
  it('serves what it keeps, least recently used out first, within its bytes', () => {
    const store = new ResponseCacheStore(10_000);
    const big = 'x'.repeat(1_000);
    for (let i = 0; i < 20; i++) expect(store.store(`k${i}`, big, new Set([`Hero:${i}`]), 0, 0)).toBe('stored');
    expect(store.bytes).toBeLessThanOrEqual(10_000);
    expect(store.get('k0')).toBeUndefined();
    expect(store.get('k19')).toBe(big);
    expect(store.store('huge', 'x'.repeat(5_000), new Set(), 0, 0)).toBe('too-large');
  });

  it('drops the answers that read what an event names, and only those', () => {
    const store = new ResponseCacheStore(1_000_000);
    store.store('team', '1', new Set(['Team.heroes:1', 'Hero']), 0, 0);
    store.store('hero', '2', new Set(['Hero:2']), 0, 0);
    store.store('list', '3', new Set(['*']), 0, 0);
    expect(store.drop(['Hero.teams:5', 'Team.heroes:9', '*'], 1)).toBe(1);
    expect(store.get('list')).toBeUndefined();
    expect(store.get('team')).toBe('1');
    expect(store.drop(['Hero:2', 'Hero', '*'], 2)).toBe(2);
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
  });

  it('refuses an answer whose execution overlapped a drop of what it read (or, with replicas, came within their lag of one)', () => {
    const store = new ResponseCacheStore(1_000_000);
    store.drop(['Hero:1', 'Hero', '*'], 100);
    expect(store.store('a', '1', new Set(['Hero:1']), 90, 0)).toBe('raced');
    expect(store.store('b', '1', new Set(['Hero:2']), 90, 0)).toBe('stored');
    expect(store.store('c', '1', new Set(['Hero:1']), 110, 0)).toBe('stored');
    expect(store.store('d', '1', new Set(['Hero:1']), 110, 50)).toBe('raced');
    store.clear(200);
    expect(store.store('e', '1', new Set(['Team:7']), 150, 0)).toBe('raced');
  });
});

it('knows what every field of Query, Hero, Team and MembershipPeriod reads: none is taken to read everything by default', () => {
  expect(trackReads(schema)).toEqual([]);
});

const TeamPage = `query TeamPage($id: ID!) {
  team(id: $id) {
    name
    heroCount
    trainingHeroCount
    heroes(first: 2, orderBy: { field: NAME }) { totalCount edges { isTraining node { name age teamCount } } }
  }
}`;
const HeroCard = `query HeroCard($id: ID!) {
  hero(id: $id) { name age teamCount teams(first: 5, orderBy: { field: NAME }) { edges { node { name } } } }
}`;
const AllHeroes = `query AllHeroes { heroes(first: 50, orderBy: { field: NAME }) { totalCount edges { node { name } } } }`;
const ByTeamCount = `query ByTeamCount($id: ID!) {
  team(id: $id) { heroes(first: 3, orderBy: { field: TEAM_COUNT, direction: DESC }) { edges { node { name } } } }
}`;

let fresh = 0;
/** The same query as a new text: a miss, executed now. */
const uncached = (query: string) => `${query}\n# fresh ${++fresh}`;

async function metric(server: ServerProcess, line: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}
const hits = (server: ServerProcess) => metric(server, 'graphql_response_cache_lookups_total{outcome="hit"}');

/** The servers' callers: one token per role (anonymous callers are refused). */
let viewer = '';
let admin = '';

async function ask(server: ServerProcess, query: string, variables: Record<string, unknown> = {}, token = viewer) {
  const answer = await post(server, { query, variables }, token ? `Bearer ${token}` : undefined);
  return answer;
}

function dataOf(answer: Answer): Record<string, unknown> {
  if (answer.status !== 200 || answer.body.errors) throw new Error(`Expected data, got ${JSON.stringify(answer.body)}`);
  return answer.body.data!;
}

/** The answer to `query` from the cache (asked twice: the second is a hit), checked against a fresh one. */
async function cachedEqualsFresh(server: ServerProcess, query: string, variables: Record<string, unknown>) {
  const cached = dataOf(await ask(server, query, variables));
  expect(cached).toEqual(dataOf(await ask(server, uncached(query), variables)));
  return cached;
}

async function write(server: ServerProcess, mutation: string, variables: Record<string, unknown>) {
  return dataOf(await ask(server, mutation, variables, admin));
}

const serverEnv = { RESPONSE_CACHE: 'on', JWT_SECRET: secret, ANONYMOUS_ROLE: 'none', MIGRATE_ON_START: 'true' };

async function seed(server: ServerProcess) {
  const created = (await write(
    server,
    `mutation {
      team: createTeam(input: { name: "Cache Team", headquarters: "Here" }) { team { id } }
      other: createTeam(input: { name: "Other Team", headquarters: "There" }) { team { id } }
      a: createHero(input: { name: "Alpha", secretName: "a", age: 30 }) { hero { id } }
      b: createHero(input: { name: "Bravo", secretName: "b", age: 31 }) { hero { id } }
      c: createHero(input: { name: "Charlie", secretName: "c", age: 32 }) { hero { id } }
    }`,
    {},
  )) as Record<string, { team?: { id: string }; hero?: { id: string } }>;
  const ids = {
    team: created.team!.team!.id,
    other: created.other!.team!.id,
    a: created.a!.hero!.id,
    b: created.b!.hero!.id,
    c: created.c!.hero!.id,
  };
  await write(
    server,
    `mutation ($t: ID!, $a: ID!, $b: ID!) {
      addHeroesToTeam(input: { teamId: $t, heroes: [{ heroId: $a }, { heroId: $b }] }) { added }
    }`,
    { t: ids.team, a: ids.a, b: ids.b },
  );
  return ids;
}

beforeAll(async () => {
  [viewer, admin] = await Promise.all([hsToken(['viewer']), hsToken(['admin'])]);
});

describe('writes through the server: the next query sees them (read-your-writes)', () => {
  let server: ServerProcess;
  let ids: Awaited<ReturnType<typeof seed>>;

  beforeAll(async () => {
    server = await startAccessServer(serverEnv);
    ids = await seed(server);
  }, 90_000);
  afterAll(() => stopServer(server));

  it('serves a repeated query from the cache, with the answer a fresh execution gives', async () => {
    const before = await hits(server);
    const first = dataOf(await ask(server, TeamPage, { id: ids.team }));
    const second = dataOf(await ask(server, TeamPage, { id: ids.team }));
    expect(second).toEqual(first);
    expect(await hits(server)).toBe(before + 1);
    expect(second).toEqual(dataOf(await ask(server, uncached(TeamPage), { id: ids.team })));
  });

  it('after each kind of mutation, answers what a fresh execution answers', async () => {
    const team = { id: ids.team };
    const queries: [string, Record<string, unknown>][] = [
      [TeamPage, team],
      [ByTeamCount, team],
      [HeroCard, { id: ids.c }],
      [HeroCard, { id: ids.a }],
      [AllHeroes, {}],
      [TeamPage, { id: ids.other }],
    ];
    const steps: [string, string, Record<string, unknown>][] = [
      [
        'join',
        `mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`,
        { h: ids.c, t: ids.team },
      ],
      // Charlie, third by name, renamed into the first two: a page changed by a row that was not on it.
      [
        'rename',
        `mutation ($h: ID!) { updateHero(input: { id: $h, name: "Aardvark" }) { hero { name } } }`,
        { h: ids.c },
      ],
      [
        'flag',
        `mutation ($h: ID!, $t: ID!) { updateMembership(input: { heroId: $h, teamId: $t, isTraining: true }) { isTraining } }`,
        { h: ids.c, t: ids.team },
      ],
      // A membership of another team: Bravo's teamCount, which orders ByTeamCount, changes.
      [
        'join other',
        `mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`,
        { h: ids.b, t: ids.other },
      ],
      [
        'leave',
        `mutation ($h: ID!, $t: ID!) { removeHeroFromTeam(input: { heroId: $h, teamId: $t }) { removed } }`,
        { h: ids.a, t: ids.team },
      ],
      ['create', `mutation { createHero(input: { name: "Zed", secretName: "z" }) { hero { id } } }`, {}],
      [
        'bulk',
        `mutation ($t: ID!, $a: ID!) { setTeamHeroes(input: { teamId: $t, heroes: [{ heroId: $a, isTraining: true }] }) { added } }`,
        { t: ids.team, a: ids.a },
      ],
      [
        'team renamed',
        `mutation ($t: ID!) { updateTeam(input: { id: $t, name: "Renamed Team" }) { team { name } } }`,
        { t: ids.team },
      ],
      ['delete hero', `mutation ($h: ID!) { deleteHero(input: { id: $h }) { deletedId } }`, { h: ids.b }],
      ['delete team', `mutation ($t: ID!) { deleteTeam(input: { id: $t }) { deletedId } }`, { t: ids.other }],
    ];
    for (const [query, variables] of queries) dataOf(await ask(server, query, variables));
    for (const [step, mutation, variables] of steps) {
      for (const [query, vars] of queries) {
        const cachedBefore = await hits(server);
        dataOf(await ask(server, query, vars));
        // Each query was answered once since the last write: this one comes from the cache.
        expect(`${step}: ${await hits(server)}`).toBe(`${step}: ${cachedBefore + 1}`);
      }
      await write(server, mutation, variables);
      for (const [query, vars] of queries) {
        try {
          await cachedEqualsFresh(server, query, vars);
        } catch (error) {
          throw new Error(
            `after "${step}", ${query.split('(')[0]} ${JSON.stringify(vars)}: ${(error as Error).message}`,
          );
        }
      }
    }
    const final = dataOf(await ask(server, TeamPage, team)) as {
      team: { name: string; heroes: { edges: { node: { name: string } }[] } };
    };
    expect(final.team.name).toBe('Renamed Team');
    expect(final.team.heroes.edges.map((edge) => edge.node.name)).toEqual(['Alpha']);
  }, 60_000);

  it('keeps a root list a membership cannot change, and drops one it can (a filter on teamCount)', async () => {
    const Filtered = `query Filtered { heroes(first: 50, where: { teamCount: { gte: 2 } }) { totalCount edges { node { name } } } }`;
    const made = (await write(
      server,
      `mutation {
        h: createHero(input: { name: "Lister", secretName: "l" }) { hero { id } }
        t: createTeam(input: { name: "Listers", headquarters: "l" }) { team { id } }
      }`,
      {},
    )) as { h: { hero: { id: string } }; t: { team: { id: string } } };
    const [id, second] = [made.h.hero.id, made.t.team.id];
    await write(
      server,
      `mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`,
      {
        h: id,
        t: ids.team,
      },
    );
    for (const query of [AllHeroes, Filtered]) dataOf(await ask(server, query));
    await write(
      server,
      `mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`,
      {
        h: id,
        t: second,
      },
    );
    const before = await hits(server);
    await cachedEqualsFresh(server, AllHeroes, {});
    expect(await hits(server)).toBe(before + 1);
    const filtered = (await cachedEqualsFresh(server, Filtered, {})) as {
      heroes: { edges: { node: { name: string } }[] };
    };
    expect(await hits(server)).toBe(before + 1);
    expect(filtered.heroes.edges.map((edge) => edge.node.name)).toContain('Lister');
  });

  it("drops a page filtered through the other end's rows when one of those rows changes (a team renamed)", async () => {
    const made = (await write(
      server,
      `mutation {
        h: createHero(input: { name: "Filtered", secretName: "f" }) { hero { id } }
        a: createTeam(input: { name: "Filter Home", headquarters: "a" }) { team { id } }
        b: createTeam(input: { name: "Filter Away", headquarters: "b" }) { team { id } }
      }`,
      {},
    )) as { h: { hero: { id: string } }; a: { team: { id: string } }; b: { team: { id: string } } };
    const join = `mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`;
    await write(server, join, { h: made.h.hero.id, t: made.a.team.id });
    await write(server, join, { h: made.h.hero.id, t: made.b.team.id });
    const Page = `query ($id: ID!) {
      team(id: $id) { heroes(first: 5, where: { teams: { some: { team: { nameContains: "Zulu" } } } }) { edges { node { name } } } }
    }`;
    const variables = { id: made.a.team.id };
    expect(await cachedEqualsFresh(server, Page, variables)).toEqual({ team: { heroes: { edges: [] } } });
    await write(server, `mutation ($t: ID!) { updateTeam(input: { id: $t, name: "Zulu Away" }) { team { name } } }`, {
      t: made.b.team.id,
    });
    expect(await cachedEqualsFresh(server, Page, variables)).toEqual({
      team: { heroes: { edges: [{ node: { name: 'Filtered' } }] } },
    });
  });

  it('keys answers by role: a caller never gets an answer computed for another role', async () => {
    const query = `{ heroes(first: 1) { totalCount } }`;
    dataOf(await ask(server, query, {}, admin));
    dataOf(await ask(server, query, {}, admin));
    // Anonymous callers are refused here; a token with no known role is too.
    const anonymous = await ask(server, query, {}, '');
    expect(anonymous.body.data ?? null).toBeNull();
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const nobody = await ask(server, query, {}, await hsToken(['stranger']));
    expect(nobody.body.data ?? null).toBeNull();
    expect(nobody.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('bounds its memory by RESPONSE_CACHE_MAX_MB', async () => {
    const small = await startAccessServer({ ...serverEnv, RESPONSE_CACHE_MAX_MB: '1' });
    try {
      // 400 ids each (none there: null, null, …): an answer depends on each, about 27 KB counted.
      const big = `query Big($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
      for (let i = 0; i < 100; i++) {
        const ids = Array.from({ length: 400 }, (_, j) => heroId(1_000_000 + i * 400 + j));
        expect(dataOf(await ask(small, big, { ids })).nodes).toHaveLength(400);
      }
      const stored = await metric(small, 'graphql_response_cache_stores_total{outcome="stored"}');
      expect(stored).toBe(100);
      expect(await metric(small, 'graphql_response_cache_bytes')).toBeLessThanOrEqual(1024 * 1024);
      expect(await metric(small, 'graphql_response_cache_entries')).toBeLessThan(stored);
    } finally {
      await stopServer(small);
    }
  }, 60_000);
});

describeOnPostgres('writes elsewhere: plain SQL and another server', () => {
  let cached: ServerProcess;
  let other: ServerProcess;
  let proxy: FaultyProxy;
  let sql: Client;
  let ids: Awaited<ReturnType<typeof seed>>;

  beforeAll(async () => {
    const database = new URL(process.env.DATABASE_URL!);
    proxy = await FaultyProxy.start({ host: database.hostname, port: Number(database.port || 5432) });
    other = await startAccessServer({ ...serverEnv, RESPONSE_CACHE: 'off' });
    // Its LISTEN connection goes through the proxy, which a test cuts.
    cached = await startAccessServer({
      ...serverEnv,
      MIGRATE_ON_START: 'false',
      DATABASE_LISTEN_URL: proxy.url(process.env.DATABASE_URL!),
    });
    ids = await seed(other);
    sql = new Client({ connectionString: process.env.DATABASE_URL });
    await sql.connect();
  }, 90_000);
  afterAll(async () => {
    await sql?.end();
    await Promise.all([stopServer(cached), stopServer(other)]);
    await proxy?.down();
  });

  /** Asks until the cached answer is the fresh one; returns how long that took after the write. */
  async function freshWithin(query: string, variables: Record<string, unknown>, since: number, seconds = 10) {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const now = dataOf(await ask(cached, query, variables));
      const expected = dataOf(await ask(cached, uncached(query), variables));
      if (JSON.stringify(now) === JSON.stringify(expected)) {
        const took = performance.now() - since;
        // And from then on: the next answers are fresh too.
        for (let i = 0; i < 3; i++) await cachedEqualsFresh(cached, query, variables);
        return took;
      }
      if (Date.now() > deadline) throw new Error(`still stale after ${seconds} s: ${JSON.stringify(now)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('plain SQL (a rename, a new link, a delete that cascades) and another server: stale at most until the event is read', async () => {
    const id = (global: string) => Number(Buffer.from(global, 'base64').toString().split(':')[1]);
    const team = { id: ids.team };
    const writes: [string, () => Promise<unknown>, [string, Record<string, unknown>]][] = [
      ['SQL rename', () => sql.query(`UPDATE "Hero" SET name = 'Aaron' WHERE id = $1`, [id(ids.c)]), [TeamPage, team]],
      [
        'SQL link',
        () => sql.query(`INSERT INTO "HeroTeamLink" ("heroId", "teamId") VALUES ($1, $2)`, [id(ids.c), id(ids.team)]),
        [TeamPage, team],
      ],
      ['SQL cascade', () => sql.query(`DELETE FROM "Hero" WHERE id = $1`, [id(ids.a)]), [TeamPage, team]],
      [
        'other server',
        () =>
          write(other, `mutation ($t: ID!) { updateTeam(input: { id: $t, name: "Elsewhere" }) { team { name } } }`, {
            t: ids.team,
          }),
        [TeamPage, team],
      ],
      [
        'SQL hero row',
        () => sql.query(`UPDATE "Hero" SET age = 99 WHERE id = $1`, [id(ids.c)]),
        [HeroCard, { id: ids.c }],
      ],
    ];
    for (const [what, run, [query, variables]] of writes) {
      await ask(cached, query, variables);
      const before = await hits(cached);
      await ask(cached, query, variables);
      expect(`${what}: ${await hits(cached)}`).toBe(`${what}: ${before + 1}`);
      const since = performance.now();
      await run();
      await freshWithin(query, variables, since);
    }
  }, 60_000);

  it('serves nothing from the cache while its LISTEN connection is away, and resumes once the log is read again', async () => {
    const query = TeamPage;
    const variables = { id: ids.team };
    await ask(cached, query, variables);
    await proxy.down();
    // Until the server notices, it may serve what it holds; then, nothing from the cache.
    const deadline = Date.now() + 20_000;
    while ((await metric(cached, 'graphql_response_cache_lookups_total{outcome="bypass"}')) === 0) {
      if (Date.now() > deadline) throw new Error('the cache kept serving without its LISTEN connection');
      await ask(cached, query, variables);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await sql.query(`UPDATE "Team" SET headquarters = 'Away' WHERE id = $1`, [
      Number(Buffer.from(ids.team, 'base64').toString().split(':')[1]),
    ]);
    // No event can come: the answer is fresh at once, since nothing is served from the cache.
    const answer = dataOf(await ask(cached, `query ($id: ID!) { team(id: $id) { headquarters } }`, variables));
    expect(answer).toEqual({ team: { headquarters: 'Away' } });
    dataOf(await ask(cached, `query ($id: ID!) { team(id: $id) { headquarters } }`, variables));
    await proxy.up();
    const back = Date.now() + 20_000;
    const before = await hits(cached);
    while ((await hits(cached)) === before) {
      if (Date.now() > back) throw new Error('the cache did not serve again once its LISTEN connection was back');
      await cachedEqualsFresh(cached, `query ($id: ID!) { team(id: $id) { headquarters } }`, variables);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(dataOf(await ask(cached, `query ($id: ID!) { team(id: $id) { headquarters } }`, variables))).toEqual({
      team: { headquarters: 'Away' },
    });
  }, 60_000);
});
