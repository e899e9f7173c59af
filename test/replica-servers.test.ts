import { randomUUID } from 'node:crypto';
import { type ServerProcess, startServer } from './support/server-process';
import { type Replication, startReplication } from './support/replication';
import { type Subscription, subscribeSse } from './support/sse';

// PostgreSQL only (see jest.config.js): server processes on a primary and a streaming hot standby
// of their own (test/support/replication.ts), reading from the standby (DATABASE_READ_URL). Both
// servers log every statement (log_statement = all), so where a read ran is read in their logs:
// a query's statements are found in the standby's log and not in the primary's.
// `patient` reads the standby however far behind it is; `strict` skips it 1 s behind. Their
// checks run every 100 ms; the tests wait for the state the metrics show, never for a time.

let replication: Replication;
let patient: ServerProcess;
let strict: ServerProcess;
let preventers: string;
const open: Subscription<unknown>[] = [];

interface Answer {
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function post(server: ServerProcess, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** The data of an answer that must have succeeded. */
async function ok(server: ServerProcess, query: string, variables: Record<string, unknown> = {}) {
  const answer = await post(server, query, variables);
  if (answer.status !== 200 || answer.body.errors || !answer.body.data) {
    throw new Error(`Expected data, got ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body.data;
}

/** The standby's state as the server's metrics give it: usable, lagging, down or unchecked. */
async function standbyState(server: ServerProcess): Promise<string | undefined> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return /db_replica_state\{replica="[^"]+",state="(\w+)"\} 1/.exec(text)?.[1];
}

async function eventually(what: string, check: () => Promise<boolean>, seconds = 30): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${seconds} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const becomes = (server: ServerProcess, state: string) =>
  eventually(`the standby ${state}`, async () => (await standbyState(server)) === state);

/** What each server logs while `action` runs: every statement it was sent. */
async function logsOf<T>(action: () => Promise<T>): Promise<{ result: T; primary: string; standby: string }> {
  const primaryFrom = replication.primary.log().length;
  const standbyFrom = replication.standby.log().length;
  const result = await action();
  return {
    result,
    primary: replication.primary.log().slice(primaryFrom),
    standby: replication.standby.log().slice(standbyFrom),
  };
}

/** A query of a root list (filtered by a text found in no name, which the logs show), the link both ways, and a node. */
const Browse = `
  query Browse($marker: String!, $team: ID!) {
    marked: heroes(where: { nameContains: $marker }) { totalCount }
    heroes(first: 10, orderBy: { field: NAME }) {
      totalCount
      edges { node { name teams { totalCount edges { node { name } } } } }
    }
    team(id: $team) { name heroes(first: 3) { edges { node { name } } } }
  }`;

/** Sends Browse with a fresh marker; returns the marker, the answer and what each server logged. */
async function browse(server: ServerProcess) {
  const marker = `m${randomUUID().replaceAll('-', '')}`;
  const { result, primary, standby } = await logsOf(() => ok(server, Browse, { marker, team: preventers }));
  return { marker, data: result, primary, standby };
}

const HeroName = `query HeroName($id: ID!) { hero(id: $id) { name } }`;

beforeAll(async () => {
  replication = await startReplication();
  const common = {
    DATABASE_URL: replication.primary.url,
    DATABASE_READ_URL: replication.standby.url,
    DATABASE_LISTEN_URL: '',
    REPLICA_CHECK_INTERVAL_MS: '100',
    PG_POOL_MAX: '3',
    PG_CONNECT_TIMEOUT_MS: '1000',
  };
  // The first one migrates and seeds the primary; the standby replays it.
  patient = await startServer({ ...common, MAX_REPLICA_LAG_MS: '86400000', MIGRATE_ON_START: 'true' });
  strict = await startServer({ ...common, MAX_REPLICA_LAG_MS: '1000', MIGRATE_ON_START: 'false' });
  await replication.caughtUp();
  const data = await ok(patient, `{ teams(where: { nameContains: "Preventers" }) { edges { node { id } } } }`);
  preventers = data.teams.edges[0].node.id;
}, 120_000);

beforeEach(async () => {
  await replication.caughtUp();
  await becomes(patient, 'usable');
  await becomes(strict, 'usable');
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((subscription) => subscription.close()));
});

afterAll(async () => {
  for (const server of [patient, strict]) if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  await replication?.destroy();
});

it("reads queries from the standby: the loaders' and the root lists' statements run there, none on the primary", async () => {
  const { marker, data, primary, standby } = await browse(patient);
  expect(data.marked.totalCount).toBe(0);
  expect(data.heroes.totalCount).toBe(7);
  expect(data.heroes.edges[0].node).toEqual({
    name: 'Black Lion',
    teams: { totalCount: 0, edges: [] },
  });
  expect(data.team).toEqual({
    name: 'Preventers',
    heroes: {
      edges: [{ node: { name: 'Deadpond' } }, { node: { name: 'Rusty-Man' } }, { node: { name: 'Spider-Boy' } }],
    },
  });
  // The root list's filter, the link's pages and counts, and the team by id.
  expect(standby).toContain(marker);
  expect(standby).toContain('"HeroTeamLink"');
  expect(standby).toMatch(/FROM "Team" n WHERE n\.id = ANY/);
  expect(primary).not.toContain(marker);
  expect(primary).not.toMatch(/"HeroTeamLink"|FROM "Hero"|FROM "Team"/);
});

it("shows a mutation's write in its payload, read on the primary, while the standby replays nothing; queries after it read the standby's older state", async () => {
  await replication.pauseReplay();
  try {
    const { result, standby } = await logsOf(() =>
      ok(
        patient,
        `mutation ($team: ID!) {
          createHero(input: { name: "Paused Hero", secretName: "P", teams: [{ teamId: $team }] }) {
            hero { id name teams { totalCount edges { node { name heroes(first: 10, orderBy: { field: NAME }) { totalCount edges { node { name } } } } } } }
          }
        }`,
        { team: preventers },
      ),
    );
    const { hero } = result.createHero;
    const team = hero.teams.edges[0].node;
    expect(hero.teams.totalCount).toBe(1);
    expect(team.name).toBe('Preventers');
    expect(team.heroes.totalCount).toBe(4);
    expect(team.heroes.edges.map((edge: { node: { name: string } }) => edge.node.name)).toContain('Paused Hero');
    expect(standby).not.toContain('"HeroTeamLink"');

    // The standby has not replayed the hero: this server reads it anyway (no lag bound to speak of).
    expect((await ok(patient, HeroName, { id: hero.id })).hero).toBeNull();
    const after = await ok(patient, `query ($team: ID!) { team(id: $team) { heroes { totalCount } } }`, {
      team: preventers,
    });
    expect(after.team.heroes.totalCount).toBe(3);
    expect(await standbyState(patient)).toBe('usable');
  } finally {
    await replication.resumeReplay();
  }
});

it('skips a standby further behind than MAX_REPLICA_LAG_MS, reading the primary meanwhile, and reads it again once it has caught up', async () => {
  await replication.pauseReplay();
  let id: string;
  try {
    const created = await ok(
      strict,
      `mutation { createHero(input: { name: "Lagged Hero", secretName: "L" }) { hero { id } } }`,
    );
    id = created.createHero.hero.id;
    await becomes(strict, 'lagging');

    const { result, primary, standby } = await logsOf(() => ok(strict, HeroName, { id }));
    expect(result.hero).toEqual({ name: 'Lagged Hero' });
    expect(primary).toMatch(/FROM "Hero" n WHERE n\.id = ANY/);
    expect(standby).not.toMatch(/FROM "Hero" n WHERE n\.id = ANY/);
    // The patient server still reads the standby, which has not replayed the hero.
    expect((await ok(patient, HeroName, { id })).hero).toBeNull();
  } finally {
    await replication.resumeReplay();
  }
  await becomes(strict, 'usable');
  const { marker, standby, primary } = await browse(strict);
  expect(standby).toContain(marker);
  expect(primary).not.toContain(marker);
  expect((await ok(patient, HeroName, { id })).hero).toEqual({ name: 'Lagged Hero' });
});

it('answers every query while the standby stops and is down, from the primary and without an error, stays ready, and reads the standby again once it is back', async () => {
  const expected = (await browse(patient)).data.heroes;
  const answers: Answer[] = [];
  let running = true;
  // Queries in flight as the standby goes (their reads cut mid-way), and after: none may fail.
  const load = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (running) answers.push(await post(patient, Browse, { marker: 'none', team: preventers }));
    }),
  );
  try {
    await eventually('queries answered from the standby', async () => answers.length >= 8);
    await replication.standby.stop();
    const stoppedAt = answers.length;
    await becomes(patient, 'down');
    await eventually('queries answered while it is down', async () => answers.length >= stoppedAt + 8);
  } finally {
    running = false;
    await load;
  }
  for (const answer of answers) {
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data.heroes).toEqual(expected);
  }
  const { primary } = await browse(patient);
  expect(primary).toContain('"HeroTeamLink"');
  expect((await fetch(`${patient.url}/ready`)).status).toBe(200);

  await replication.standby.start();
  await becomes(patient, 'usable');
  const { marker, standby } = await browse(patient);
  expect(standby).toContain(marker);
  expect(patient.output()).not.toMatch(/Unhandled|uncaught|INTERNAL_SERVER_ERROR/i);
});

it("delivers changes committed on the primary to the subscribers of a server reading from the standby, each event's hero read on the primary", async () => {
  const subscription = await subscribeSse<any, Record<string, unknown>>(
    fetch,
    `${patient.url}/graphql`,
    `subscription ($team: ID) { membershipChanged(teamId: $team) { kind hero { name } team { name } } }`,
    { team: preventers },
  );
  open.push(subscription);
  expect(subscription.status).toBe(200);
  await replication.pauseReplay();
  try {
    // Written as any client of the database would: the triggers raise the events.
    await replication.primary.query(
      `WITH hero AS (INSERT INTO "Hero" (name, "secretName") VALUES ('Evented Hero', 'E') RETURNING id)
       INSERT INTO "HeroTeamLink" ("heroId", "teamId") SELECT hero.id, team.id FROM hero, "Team" team WHERE team.name = 'Preventers'`,
    );
    // The standby has not replayed the hero; the event's hero is read on the primary.
    expect((await subscription.next())?.data?.membershipChanged).toEqual({
      kind: 'ADDED',
      hero: { name: 'Evented Hero' },
      team: { name: 'Preventers' },
    });
  } finally {
    await replication.resumeReplay();
  }
});
