import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { config } from '../src/config';
import { prisma } from '../src/db';
import { createHttpServer } from '../src/http/node-server';
import { registry } from '../src/ops/metrics';
import { captureLog, logger } from '../src/ops/logger';
import { feed, hub, listenForChanges } from '../src/realtime';
import { yoga } from '../src/graphql/yoga';
import { heroId, makeHeroes, makeTeams, resetDatabase, teamId } from './support/factories';
import { recordSql } from './support/graphql';
import { type StreamMessage, type Subscription, subscribeSse } from './support/sse';
import { itOnPostgres } from './support/postgres-only';

// Subscriptions over GraphQL over SSE, in process (yoga.fetch) and over real HTTP: the events of
// every write path, from the triggers of migration change_events through the process's LISTEN and
// hub. test/realtime-servers.test.ts runs two server processes on one PostgreSQL database.

const url = 'http://yoga/graphql';
const fetchYoga = (target: string, init: RequestInit) => Promise.resolve(yoga.fetch(target, init));

interface MembershipData {
  membershipChanged: {
    kind: string;
    heroId: string;
    teamId: string;
    isTraining: boolean;
    hero: { name: string } | null;
    team: { name: string } | null;
  };
}

interface NodeData {
  nodeChanged: { kind: string; id: string; node: { id: string; name?: string } | null };
}

const Memberships = /* GraphQL */ `
  subscription Memberships($heroId: ID, $teamId: ID) {
    membershipChanged(heroId: $heroId, teamId: $teamId) {
      kind
      heroId
      teamId
      isTraining
      hero {
        name
      }
      team {
        name
      }
    }
  }
`;

const NodeChanges = /* GraphQL */ `
  subscription NodeChanges($id: ID!) {
    nodeChanged(id: $id) {
      kind
      id
      node {
        id
        ... on Hero {
          name
        }
        ... on Team {
          name
        }
      }
    }
  }
`;

const open: Subscription<unknown>[] = [];

async function metricValue(name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values.reduce((sum, { value }) => sum + value, 0);
}

async function subscribe<T>(document: string, variables: Record<string, unknown> = {}): Promise<Subscription<T>> {
  const subscription = await subscribeSse<T, Record<string, unknown>>(fetchYoga, url, document, variables);
  open.push(subscription as Subscription<unknown>);
  expect(subscription.status).toBe(200);
  expect(subscription.headers.get('content-type')).toContain('text/event-stream');
  return subscription;
}

async function mutate(query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const response = await yoga.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(`Expected data, got ${JSON.stringify(body)}`);
  return body.data;
}

/** An event as a short line: kind, hero and team (database ids), training, names. */
function line(message: StreamMessage<MembershipData>): string {
  if (message.errors) return `errors ${JSON.stringify(message.errors)}`;
  const event = message.data!.membershipChanged;
  const id = (global: string) => Buffer.from(global, 'base64').toString().split(':')[1];
  return `${event.kind} ${id(event.heroId)}/${id(event.teamId)} ${event.isTraining} ${event.hero?.name ?? 'null'}/${event.team?.name ?? 'null'}`;
}

/** The next `count` events, as lines, sorted (one statement's rows come in key order, not in the mutation's). */
async function events(subscription: Subscription<MembershipData>, count: number): Promise<string[]> {
  return (await subscription.take(count)).map(line).sort();
}

/** Waits a little and checks that nothing more came. */
async function nothingMore(subscription: Subscription<unknown>, ms = 300): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  expect(subscription.pending).toBe(0);
}

/**
 * Waits until every change committed so far has reached the hub: the process's reader of the change
 * log has read after it. Without it, a change committed just before a subscription may reach it.
 */
async function settle(): Promise<void> {
  await feed.caughtUp();
}

let teams: number[] = [];
let heroes: number[] = [];

beforeEach(async () => {
  await resetDatabase();
  teams = await makeTeams(3);
  heroes = await makeHeroes(3);
  // The first subscription starts listening: the writes above may still be on their way.
  await listenForChanges();
  await settle();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((subscription) => subscription.close()));
});

describe('membershipChanged', () => {
  it('gives every membership change of every single-membership mutation, with the hero and team as they are now', async () => {
    const all = await subscribe<MembershipData>(Memberships);
    const [h1, h2] = heroes as [number, number];
    const [t1, t2, t3] = teams as [number, number, number];

    const created = await mutate(
      `mutation ($t: ID!) { createHero(input: { name: "New", secretName: "n", teams: [{ teamId: $t, isTraining: true }] }) { hero { id } } }`,
      { t: teamId(t1) },
    );
    const h4 = Number(
      Buffer.from(created.createHero.hero.id as string, 'base64')
        .toString()
        .split(':')[1],
    );
    expect(await events(all, 1)).toEqual([`ADDED ${h4}/${t1} true New/Team 1`]);

    await mutate(`mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`, {
      h: heroId(h1),
      t: teamId(t2),
    });
    expect(await events(all, 1)).toEqual([`ADDED ${h1}/${t2} false Hero 00001/Team 2`]);

    await mutate(
      `mutation ($h: ID!, $t: ID!) { updateMembership(input: { heroId: $h, teamId: $t, isTraining: true }) { isTraining } }`,
      { h: heroId(h1), t: teamId(t2) },
    );
    expect(await events(all, 1)).toEqual([`UPDATED ${h1}/${t2} true Hero 00001/Team 2`]);

    await mutate(`mutation ($h: ID!, $t: ID!) { removeHeroFromTeam(input: { heroId: $h, teamId: $t }) { removed } }`, {
      h: heroId(h1),
      t: teamId(t2),
    });
    expect(await events(all, 1)).toEqual([`REMOVED ${h1}/${t2} true Hero 00001/Team 2`]);

    const setTeams = `mutation ($h: ID!, $teams: [MembershipInput!]!) { setHeroTeams(input: { heroId: $h, teams: $teams }) { hero { id } } }`;
    await mutate(setTeams, { h: heroId(h2), teams: [{ teamId: teamId(t1) }, { teamId: teamId(t2) }] });
    expect(await events(all, 2)).toEqual([
      `ADDED ${h2}/${t1} false Hero 00002/Team 1`,
      `ADDED ${h2}/${t2} false Hero 00002/Team 2`,
    ]);
    await mutate(setTeams, {
      h: heroId(h2),
      teams: [
        { teamId: teamId(t2), isTraining: true },
        { teamId: teamId(t3), isTraining: false },
      ],
    });
    expect(await events(all, 3)).toEqual([
      `ADDED ${h2}/${t3} false Hero 00002/Team 3`,
      `REMOVED ${h2}/${t1} false Hero 00002/Team 1`,
      `UPDATED ${h2}/${t2} true Hero 00002/Team 2`,
    ]);

    // Cascades: the hero's memberships, with the hero gone.
    await mutate(`mutation ($h: ID!) { deleteHero(input: { id: $h }) { deletedId } }`, { h: heroId(h2) });
    expect(await events(all, 2)).toEqual([
      `REMOVED ${h2}/${t2} true null/Team 2`,
      `REMOVED ${h2}/${t3} false null/Team 3`,
    ]);
    await nothingMore(all);
  });

  it('deleteTeam gives REMOVED for each member (the cascade), with the team null', async () => {
    const [t1] = teams as [number];
    await prisma.heroTeamLink.createMany({ data: heroes.map((hero) => ({ heroId: hero, teamId: t1 })) });
    await settle();
    const all = await subscribe<MembershipData>(Memberships);
    await mutate(`mutation ($t: ID!) { deleteTeam(input: { id: $t }) { deletedId } }`, { t: teamId(t1) });
    expect(await events(all, 3)).toEqual(heroes.map((h, i) => `REMOVED ${h}/${t1} false Hero 0000${i + 1}/null`));
    await nothingMore(all);
  });

  it('bulk mutations of 1,000 heroes give all 1,000 events, from one read of the log each', async () => {
    const many = await makeHeroes(1000, 'Bulk');
    const others = await makeHeroes(10, 'Other');
    await settle();
    const [t1] = teams as [number];
    const all = await subscribe<MembershipData>(Memberships);
    const publish = jest.spyOn(hub, 'publish');
    const reads = feed.reads;
    try {
      await mutate(`mutation ($input: AddHeroesToTeamInput!) { addHeroesToTeam(input: $input) { added } }`, {
        input: { teamId: teamId(t1), heroes: many.map((id, i) => ({ heroId: heroId(id), isTraining: i % 2 === 0 })) },
      });
      const added = await all.take(1000, 60_000);
      expect(new Set(added.map((m) => m.data!.membershipChanged.heroId))).toEqual(new Set(many.map(heroId)));
      expect(added.every((m) => m.data!.membershipChanged.kind === 'ADDED' && m.data!.membershipChanged.team)).toBe(
        true,
      );
      // One transaction, one statement: one entry of the log, one read of it for all 1,000 events.
      expect(feed.reads - reads).toBe(1);
      expect(publish.mock.calls.map(([entries]) => entries.map((entry) => [entry.kind, entry.rows.length]))).toEqual([
        [['LA', 3000]],
      ]);

      // setTeamHeroes: half of them stay with isTraining flipped, the rest go, 10 others come.
      publish.mockClear();
      const keep = many.slice(0, 500);
      await mutate(
        `mutation ($input: SetTeamHeroesInput!) { setTeamHeroes(input: $input) { added removed updated } }`,
        {
          input: {
            teamId: teamId(t1),
            heroes: [
              ...keep.map((id, i) => ({ heroId: heroId(id), isTraining: i % 2 !== 0 })),
              ...others.map((id) => ({ heroId: heroId(id) })),
            ],
          },
        },
      );
      const set = await all.take(1010, 60_000);
      const kinds = (kind: string) => set.filter((m) => m.data!.membershipChanged.kind === kind).length;
      expect([kinds('ADDED'), kinds('REMOVED'), kinds('UPDATED')]).toEqual([10, 500, 500]);
      // 500 removed, 500 updated, 10 added: three entries of one transaction, one read.
      expect(publish.mock.calls.map(([entries]) => entries.map((entry) => entry.kind))).toEqual([['LR', 'LU', 'LA']]);

      await mutate(
        `mutation ($input: RemoveHeroesFromTeamInput!) { removeHeroesFromTeam(input: $input) { removed } }`,
        { input: { teamId: teamId(t1), heroIds: keep.map(heroId) } },
      );
      const removed = await all.take(500, 60_000);
      expect(removed.every((m) => m.data!.membershipChanged.kind === 'REMOVED')).toBe(true);
      await nothingMore(all);
    } finally {
      publish.mockRestore();
    }
  }, 120_000);

  it('filters by hero, by team, by both; a rolled-back write gives nothing', async () => {
    const [h1, h2] = heroes as [number, number];
    const [t1, t2] = teams as [number, number];
    const ofHero = await subscribe<MembershipData>(Memberships, { heroId: heroId(h1) });
    const ofTeam = await subscribe<MembershipData>(Memberships, { teamId: teamId(t1) });
    const ofBoth = await subscribe<MembershipData>(Memberships, { heroId: heroId(h1), teamId: teamId(t2) });
    await prisma.heroTeamLink.createMany({
      data: [
        { heroId: h1, teamId: t1 },
        { heroId: h1, teamId: t2 },
        { heroId: h2, teamId: t1 },
        { heroId: h2, teamId: t2 },
      ],
    });
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.heroTeamLink.deleteMany({});
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await events(ofHero, 2)).toEqual([
      `ADDED ${h1}/${t1} false Hero 00001/Team 1`,
      `ADDED ${h1}/${t2} false Hero 00001/Team 2`,
    ]);
    expect(await events(ofTeam, 2)).toEqual([
      `ADDED ${h1}/${t1} false Hero 00001/Team 1`,
      `ADDED ${h2}/${t1} false Hero 00002/Team 1`,
    ]);
    expect(await events(ofBoth, 1)).toEqual([`ADDED ${h1}/${t2} false Hero 00001/Team 2`]);
    await nothingMore(ofHero);
    expect(ofTeam.pending + ofBoth.pending).toBe(0);
  });

  it('bad filters are refused before the stream opens', async () => {
    const answer = await yoga.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: Memberships, variables: { heroId: teamId(1) } }),
    });
    const text = await answer.text();
    expect(text).toContain('BAD_USER_INPUT');
    expect(hub.size).toBe(0);
  });

  itOnPostgres('gives the changes of plain SQL from another connection (psql, a bulk load)', async () => {
    const [h1, h2] = heroes as [number, number];
    const [t1] = teams as [number];
    const all = await subscribe<MembershipData>(Memberships);
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      await client.query(`INSERT INTO "HeroTeamLink" ("heroId", "teamId") VALUES ($1, $3), ($2, $3)`, [h1, h2, t1]);
      await client.query(`UPDATE "HeroTeamLink" SET "isTraining" = true WHERE "heroId" = $1`, [h1]);
      // An update that changes nothing is no event.
      await client.query(`UPDATE "HeroTeamLink" SET "isTraining" = true WHERE "heroId" = $1`, [h1]);
      await client.query(`DELETE FROM "HeroTeamLink" WHERE "teamId" = $1`, [t1]);
    } finally {
      await client.end();
    }
    expect((await all.take(5)).map(line)).toEqual([
      `ADDED ${h1}/${t1} false Hero 00001/Team 1`,
      `ADDED ${h2}/${t1} false Hero 00002/Team 1`,
      `UPDATED ${h1}/${t1} true Hero 00001/Team 1`,
      `REMOVED ${h1}/${t1} true Hero 00001/Team 1`,
      `REMOVED ${h2}/${t1} false Hero 00002/Team 1`,
    ]);
    await nothingMore(all);
  });
});

describe('nodeChanged', () => {
  it('gives CREATED, UPDATED and DELETED of a hero and of a team; not the counters', async () => {
    const [h1] = heroes as [number];
    const [t1] = teams as [number];
    const hero = await subscribe<NodeData>(NodeChanges, { id: heroId(h1) });
    const team = await subscribe<NodeData>(NodeChanges, { id: teamId(t1) });
    await mutate(`mutation ($h: ID!) { updateHero(input: { id: $h, name: "Renamed" }) { hero { id } } }`, {
      h: heroId(h1),
    });
    expect((await hero.next())?.data).toEqual({
      nodeChanged: { kind: 'UPDATED', id: heroId(h1), node: { id: heroId(h1), name: 'Renamed' } },
    });
    // A membership changes the team's counters: no event of the team.
    await mutate(`mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`, {
      h: heroId(h1),
      t: teamId(t1),
    });
    await mutate(`mutation ($t: ID!) { updateTeam(input: { id: $t, headquarters: "Elsewhere" }) { team { id } } }`, {
      t: teamId(t1),
    });
    expect((await team.next())?.data).toEqual({
      nodeChanged: { kind: 'UPDATED', id: teamId(t1), node: { id: teamId(t1), name: 'Team 1' } },
    });
    await mutate(`mutation ($t: ID!) { deleteTeam(input: { id: $t }) { deletedId } }`, { t: teamId(t1) });
    expect((await team.next())?.data).toEqual({ nodeChanged: { kind: 'DELETED', id: teamId(t1), node: null } });
    await mutate(`mutation ($h: ID!) { deleteHero(input: { id: $h }) { deletedId } }`, { h: heroId(h1) });
    expect((await hero.next())?.data).toEqual({ nodeChanged: { kind: 'DELETED', id: heroId(h1), node: null } });
    await nothingMore(hero);
    expect(team.pending).toBe(0);

    // CREATED: the next ids, subscribed to before they exist.
    const nextHero = heroes.at(-1)! + 1;
    const nextTeam = teams.at(-1)! + 1;
    const newHero = await subscribe<NodeData>(NodeChanges, { id: heroId(nextHero) });
    const newTeam = await subscribe<NodeData>(NodeChanges, { id: teamId(nextTeam) });
    await mutate(`mutation { createHero(input: { name: "Fresh", secretName: "f" }) { hero { id } } }`);
    await mutate(`mutation { createTeam(input: { name: "Fresh Team", headquarters: "h" }) { team { id } } }`);
    expect((await newHero.next())?.data?.nodeChanged).toEqual({
      kind: 'CREATED',
      id: heroId(nextHero),
      node: { id: heroId(nextHero), name: 'Fresh' },
    });
    expect((await newTeam.next())?.data?.nodeChanged.kind).toBe('CREATED');
  });
});

describe('sharing', () => {
  const Rich = /* GraphQL */ `
    subscription Rich($teamId: ID) {
      membershipChanged(teamId: $teamId) {
        kind
        hero {
          name
          teams(first: 5) {
            totalCount
            edges {
              node {
                name
              }
            }
          }
        }
        team {
          name
          heroes {
            totalCount
          }
        }
      }
    }
  `;

  /** Statements sent from a mutation's start until each of `count` subscribers has its event. */
  async function statementsFor(count: number, hero: number, team: number): Promise<number> {
    const subscribers = await Promise.all(
      Array.from({ length: count }, () => subscribe<Record<string, unknown>>(Rich, { teamId: teamId(team) })),
    );
    const { statements } = await recordSql(async () => {
      await mutate(`mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`, {
        h: heroId(hero),
        t: teamId(team),
      });
      const messages = await Promise.all(subscribers.map((subscriber) => subscriber.next()));
      for (const message of messages) expect(message?.errors).toBeUndefined();
    });
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
    return statements.length;
  }

  it('subscribers of one operation share one execution per event; other operations or variables get their own', async () => {
    const [, , h3] = heroes as [number, number, number];
    const [, , t3] = teams as [number, number, number];
    const [t4] = await makeTeams(1);
    const executions = () => metricValue('graphql_subscription_executions_total');
    const deliveries = () => metricValue('graphql_subscription_deliveries_total');
    const sameTeam = await Promise.all(
      Array.from({ length: 100 }, () => subscribe<MembershipData>(Memberships, { teamId: teamId(t3) })),
    );
    const sameHero = await Promise.all(
      Array.from({ length: 20 }, () => subscribe<MembershipData>(Memberships, { heroId: heroId(h3) })),
    );
    const richer = await Promise.all(
      Array.from({ length: 20 }, () => subscribe<Record<string, unknown>>(Rich, { teamId: teamId(t3) })),
    );
    const otherTeam = await subscribe<MembershipData>(Memberships, { teamId: teamId(t4!) });
    const [executionsBefore, deliveriesBefore] = [await executions(), await deliveries()];
    await mutate(`mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`, {
      h: heroId(h3),
      t: teamId(t3),
    });
    const messages = await Promise.all([...sameTeam, ...sameHero, ...richer].map((subscriber) => subscriber.next()));
    for (const message of messages) expect(message?.errors).toBeUndefined();
    expect(messages[0]).toEqual(messages[99]);
    expect(messages[100]).toEqual({
      data: { membershipChanged: { ...(messages[0]!.data as MembershipData).membershipChanged } },
    });
    expect(await deliveries()).toBe(deliveriesBefore + 140);
    // One for the 100 of one team, one for the 20 of one hero (other variables), one for the 20 of
    // another document.
    expect(await executions()).toBe(executionsBefore + 3);
    expect(otherTeam.pending).toBe(0);
    await Promise.all([...sameTeam, ...sameHero, ...richer, otherTeam].map((subscriber) => subscriber.close()));
  }, 60_000);

  it('the statements of an event do not grow with its subscribers (1 and 100)', async () => {
    const [h1, h2] = heroes as [number, number];
    const [t1, t2] = teams as [number, number];
    const one = await statementsFor(1, h1, t1);
    const hundred = await statementsFor(100, h2, t2);
    expect(hundred).toBe(one);
    // The mutation's own four (its hero and its team, the insert, the membership), the one read of
    // the change log its commit wakes (shared by every subscriber), then one each for the hero,
    // the team, the hero's teams, their count and the team's count.
    expect(one).toBe(10);
  }, 60_000);
});

describe('over HTTP', () => {
  it('streams events over a real connection (Server-Sent Events), kept open by pings; closing it ends the subscription', async () => {
    const server = createHttpServer(yoga, config.http);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    try {
      const [h1] = heroes as [number];
      const [t1] = teams as [number];
      const stream = await subscribeSse<MembershipData, Record<string, unknown>>(fetch, base, Memberships, {
        teamId: teamId(t1),
      });
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      expect(hub.size).toBe(1);
      await mutate(`mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`, {
        h: heroId(h1),
        t: teamId(t1),
      });
      expect(line((await stream.next())!)).toBe(`ADDED ${h1}/${t1} false Hero 00001/Team 1`);
      await stream.close();
      for (let i = 0; i < 50 && hub.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(hub.size).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('requests', () => {
  it("a stream's log line comes when it ends, with its life and role", async () => {
    const lines: Record<string, unknown>[] = [];
    const release = captureLog({
      write: (text: string) => void lines.push(JSON.parse(text) as Record<string, unknown>),
    });
    const level = logger.level;
    logger.level = 'info';
    try {
      const stream = await subscribe<MembershipData>(Memberships);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(lines.filter((line) => line.msg === 'request')).toEqual([]);
      await stream.close();
      for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const [line] = lines.filter((entry) => entry.msg === 'request');
      expect(line).toMatchObject({
        operation: 'Memberships',
        type: 'subscription',
        status: 200,
        outcome: 'success',
        errors: [],
        role: 'admin',
      });
      expect(line!.durationMs as number).toBeGreaterThanOrEqual(200);
    } finally {
      logger.level = level;
      release();
    }
  });

  it('subscriptions are held to the cost and depth limits before anything subscribes', async () => {
    const costly = `subscription { membershipChanged { hero { teams(first: 100) { edges { node { heroes(first: 100) { edges { node { teams(first: 100) { totalCount } } } } } } } } } }`;
    const deep = `subscription { membershipChanged { hero { teams { edges { node { heroes { edges { node { teams { edges { node { heroes { totalCount } } } } } } } } } } } } }`;
    for (const [query, code] of [
      [costly, 'MAX_COMPLEXITY_EXCEEDED'],
      [deep, 'MAX_DEPTH_EXCEEDED'],
    ] as const) {
      const answer = await yoga.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query }),
      });
      expect(await answer.text()).toContain(code);
    }
    expect(hub.size).toBe(0);
  });
});
