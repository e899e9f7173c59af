import { heroId, makeHeroes, makeTeams, resetDatabase, teamId } from './support/factories';
import { FaultyProxy } from './support/proxy';
import { type ServerProcess, startServer } from './support/server-process';
import { type Subscription, subscribeSse } from './support/sse';

// PostgreSQL only (see jest.config.js): two server processes on this file's database. A change
// written through one reaches the subscribers of the other (each process LISTENs on its own
// connection); the second one listens through a proxy that the tests cut and restore.

const Memberships = /* GraphQL */ `
  subscription TeamMemberships($teamId: ID) {
    membershipChanged(teamId: $teamId) {
      kind
      heroId
      teamId
      hero {
        name
      }
    }
  }
`;

interface MembershipData {
  membershipChanged: { kind: string; heroId: string; teamId: string; hero: { name: string } | null };
}

let proxy: FaultyProxy;
let writer: ServerProcess;
let reader: ServerProcess;
let teams: number[] = [];
let heroes: number[] = [];
const open: Subscription<unknown>[] = [];

async function post(server: ServerProcess, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: unknown[] } };
}

async function subscribe(server: ServerProcess, team: number): Promise<Subscription<MembershipData>> {
  const subscription = await subscribeSse<MembershipData, Record<string, unknown>>(
    fetch,
    `${server.url}/graphql`,
    Memberships,
    { teamId: teamId(team) },
  );
  open.push(subscription as Subscription<unknown>);
  expect(subscription.status).toBe(200);
  return subscription;
}

const join = (server: ServerProcess, hero: number, team: number) =>
  post(server, `mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }`, {
    h: heroId(hero),
    t: teamId(team),
  });

async function eventually(check: () => boolean, seconds: number, what: string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${seconds} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  await resetDatabase();
  teams = await makeTeams(2);
  heroes = await makeHeroes(4);
  const database = new URL(process.env.DATABASE_URL!);
  proxy = await FaultyProxy.start({ host: database.hostname, port: Number(database.port || 5432) });
  const common = { DATABASE_URL: process.env.DATABASE_URL!, MIGRATE_ON_START: 'false', PG_POOL_MAX: '3' };
  [writer, reader] = await Promise.all([
    startServer(common),
    // Its subscriptions' streams must not hold the two operations it may run at once.
    startServer({
      ...common,
      DATABASE_LISTEN_URL: proxy.url(process.env.DATABASE_URL!),
      MAX_OPERATIONS_IN_FLIGHT: '2',
    }),
  ]);
}, 90_000);

afterEach(async () => {
  await Promise.all(open.splice(0).map((subscription) => subscription.close()));
});

afterAll(async () => {
  for (const server of [writer, reader]) if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  await proxy?.down();
});

it("a mutation on one process reaches the other's subscribers; open streams hold no operation slot", async () => {
  const [t1, t2] = teams as [number, number];
  const [h1, h2] = heroes as [number, number];
  const streams = [await subscribe(reader, t1), await subscribe(reader, t1), await subscribe(reader, t2)];
  // Three streams open on a process that runs at most two operations at once: it still answers.
  expect((await post(reader, '{ heroes(first: 1) { totalCount } }')).status).toBe(200);

  expect((await join(writer, h1, t1)).body.errors).toBeUndefined();
  expect((await join(writer, h2, t2)).body.errors).toBeUndefined();
  for (const stream of streams.slice(0, 2)) {
    expect((await stream.next())?.data?.membershipChanged).toEqual({
      kind: 'ADDED',
      heroId: heroId(h1),
      teamId: teamId(t1),
      hero: { name: 'Hero 00001' },
    });
  }
  expect((await streams[2]!.next())?.data?.membershipChanged.heroId).toBe(heroId(h2));

  // And the other way.
  const back = await subscribe(writer, t2);
  expect((await join(reader, h1, t2)).body.errors).toBeUndefined();
  expect((await back.next())?.data?.membershipChanged.heroId).toBe(heroId(h1));
}, 60_000);

it('when its LISTEN connection is cut, a process says so, reconnects with backoff, and its open streams get the changes committed meanwhile, from the log, then the later ones', async () => {
  const [t1] = teams as [number];
  const [, , h3, h4] = heroes as [number, number, number, number];
  const stream = await subscribe(reader, t1);
  await proxy.down();
  await eventually(() => reader.output().includes('LISTEN connection to PostgreSQL is lost'), 15, 'the loss logged');
  // Written while it cannot listen: no notification reaches it, the log has it.
  expect((await join(writer, h3, t1)).body.errors).toBeUndefined();
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(stream.pending).toBe(0);
  await proxy.up();
  await eventually(() => reader.output().includes('listening for changes again'), 20, 'the reconnection logged');
  expect((await stream.next())?.data?.membershipChanged.heroId).toBe(heroId(h3));
  expect((await join(writer, h4, t1)).body.errors).toBeUndefined();
  expect((await stream.next())?.data?.membershipChanged.heroId).toBe(heroId(h4));
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(stream.pending).toBe(0);
  expect(reader.child.exitCode).toBeNull();
  expect(reader.output()).not.toMatch(/Unhandled|uncaught/i);
}, 60_000);

it('a subscriber resumes on another replica with the cursor the first one gave: each event once', async () => {
  const [, t2] = teams as [number, number];
  const [h1, , h3, h4] = heroes as [number, number, number, number];
  const Resume = /* GraphQL */ `
    subscription ResumeOnReplica($teamId: ID, $after: String) {
      membershipChanged(teamId: $teamId, after: $after) {
        kind
        heroId
        cursor
      }
    }
  `;
  type Data = { membershipChanged: { kind: string; heroId: string; cursor: string } };
  const open = (server: ServerProcess, after?: string) =>
    subscribeSse<Data, Record<string, unknown>>(fetch, `${server.url}/graphql`, Resume, { teamId: teamId(t2), after });
  const onReader = await open(reader);
  expect((await join(writer, h3, t2)).body.errors).toBeUndefined();
  const first = (await onReader.next())!.data!.membershipChanged;
  expect(first.heroId).toBe(heroId(h3));
  await onReader.close();
  // Away: two more; then back, on the writer's process.
  expect((await join(writer, h4, t2)).body.errors).toBeUndefined();
  expect(
    (
      await post(
        reader,
        `mutation ($h: ID!, $t: ID!) { removeHeroFromTeam(input: { heroId: $h, teamId: $t }) { removed } }`,
        { h: heroId(h1), t: teamId(t2) },
      )
    ).body.errors,
  ).toBeUndefined();
  const onWriter = await open(writer, first.cursor);
  const replayed = await onWriter.take(2);
  expect(replayed.map((m) => [m.data!.membershipChanged.kind, m.data!.membershipChanged.heroId])).toEqual([
    ['ADDED', heroId(h4)],
    ['REMOVED', heroId(h1)],
  ]);
  // Live from here (h1 again: h2 is a member already, joining it again changes nothing).
  expect((await join(reader, h1, t2)).body.errors).toBeUndefined();
  expect((await onWriter.next())!.data!.membershipChanged.heroId).toBe(heroId(h1));
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(onWriter.pending).toBe(0);
  await onWriter.close();
}, 60_000);
