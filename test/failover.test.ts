import { type ServerProcess, startServer } from './support/server-process';
import { type Replication, startReplication } from './support/replication';
import { type Subscription, subscribeSse } from './support/sse';

// PostgreSQL only (see jest.config.js): the loss of the primary. A primary and a synchronous
// standby of their own (test/support/replication.ts); a server process started with the libpq
// host list of both (the standby first: the server must find the primary, not take the first
// host); writes (GraphQL mutations over HTTP) running all along. The primary is SIGKILLed, then
// the standby promoted with `pg_ctl promote`, as Patroni would. Proven:
// - writes resume within 10 s of the promotion (the time is printed);
// - every acknowledged write is on the new primary (the standby was synchronous: the primary
//   acknowledged a commit only once the standby had flushed it);
// - no error is masked: every failed write is 503 with Retry-After and a stable code, saying
//   nothing of the internals;
// - reads are served by the standby while there is no primary;
// - the LISTEN connection moved too, and the change log lets its reader catch up: a subscriber
//   gets the event of every acknowledged write, once, and whole (an event whose hero read met the
//   lost primary is delivered once the read succeeds, not with an error in the hero's place);
// - a server refuses to start with REQUIRE_SYNCHRONOUS_STANDBY against the new primary, which has
//   no synchronous standby of its own.

let replication: Replication;
let server: ServerProcess;
const open: Subscription<unknown>[] = [];

/** The stable codes of a write that met the failover: retryable, the database's absence. */
const failoverCodes = ['DATABASE_UNAVAILABLE', 'MUTATION_OUTCOME_UNKNOWN'];

interface Attempt {
  name: string;
  /** performance.now() when the answer came. */
  at: number;
  status: number;
  acknowledged: boolean;
  code?: string;
  retryAfter: string | null;
  body: string;
}

const CreateHero = /* GraphQL */ `
  mutation ($name: String!, $team: ID!) {
    createHero(input: { name: $name, secretName: "failover", teams: [{ teamId: $team }] }) {
      hero {
        name
      }
    }
  }
`;

async function write(name: string, team: string): Promise<Attempt> {
  try {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: CreateHero, variables: { name, team } }),
    });
    const text = await response.text();
    const body = JSON.parse(text) as { data?: any; errors?: { extensions?: { code?: string } }[] };
    return {
      name,
      at: performance.now(),
      status: response.status,
      acknowledged: response.status === 200 && !body.errors && body.data?.createHero?.hero?.name === name,
      code: body.errors?.[0]?.extensions?.code,
      retryAfter: response.headers.get('retry-after'),
      body: text,
    };
  } catch (error) {
    // The server dropped the request: a masked failure, which the test refuses.
    return { name, at: performance.now(), status: 0, acknowledged: false, retryAfter: null, body: String(error) };
  }
}

/** Writers that each send one mutation after another until stopped, pausing 20 ms after a failure. */
function keepWriting(team: string, writers: number) {
  const attempts: Attempt[] = [];
  let stopped = false;
  let sequence = 0;
  const loops = Array.from({ length: writers }, async (_, writer) => {
    while (!stopped) {
      const attempt = await write(`Failover ${writer}-${sequence++}`, team);
      attempts.push(attempt);
      if (!attempt.acknowledged) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  return {
    attempts,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

async function until(what: string, check: () => boolean, seconds = 30): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${seconds} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function untilAsync(what: string, check: () => Promise<boolean>, seconds = 30): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${seconds} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const hostList = () =>
  `postgresql://postgres@127.0.0.1:${replication.standby.port},127.0.0.1:${replication.primary.port}/postgres?target_session_attrs=read-write`;

const env = () => ({
  DATABASE_URL: hostList(),
  DATABASE_DIRECT_URL: '',
  DATABASE_LISTEN_URL: '',
  // The standby serves the reads while it is one (src/db/replica-routing.ts): a host list too,
  // taking a standby if one answers (after the promotion none does: the new primary then).
  DATABASE_READ_URL: `postgresql://postgres@127.0.0.1:${replication.primary.port},127.0.0.1:${replication.standby.port}/postgres?target_session_attrs=prefer-standby`,
  REPLICA_CHECK_INTERVAL_MS: '100',
  PRIMARY_CHECK_INTERVAL_MS: '200',
  REQUIRE_SYNCHRONOUS_STANDBY: 'true',
  PG_POOL_MAX: '4',
  PG_CONNECT_TIMEOUT_MS: '1000',
});

beforeAll(async () => {
  replication = await startReplication({ synchronous: true });
  // Migrates and seeds the primary through the host list: the schema engine is given the found primary's URL.
  server = await startServer({ ...env(), MIGRATE_ON_START: 'true' });
}, 120_000);

afterAll(async () => {
  await Promise.all(open.splice(0).map((subscription) => subscription.close()));
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  await replication?.destroy();
});

it('follows a promoted standby: writes resume within 10 s of the promotion, none acknowledged is lost, none masked', async () => {
  const teams = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: '{ teams(where: { nameContains: "Preventers" }) { edges { node { id } } } }' }),
  });
  const teamId = ((await teams.json()) as any).data.teams.edges[0].node.id as string;
  const subscription = await subscribeSse(
    fetch,
    `${server.url}/graphql`,
    `subscription ($team: ID) { membershipChanged(teamId: $team) { kind hero { name } } }`,
    { team: teamId },
  );
  open.push(subscription);
  expect(subscription.status).toBe(200);

  // The standby measured and read from before the primary goes (its first check can find it
  // behind every position sampled yet, and leaves it unchecked: reads on the primary).
  await untilAsync('the standby read from', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    return /db_replica_state\{replica="[^"]+",state="usable"\} 1/.test(metrics);
  });

  const writes = keepWriting(teamId, 3);
  try {
    await until(
      '10 writes acknowledged by the first primary',
      () => writes.attempts.filter((a) => a.acknowledged).length >= 10,
    );
    const killedAt = performance.now();
    await replication.primary.kill();
    // Some time with no primary at all, as a failover tool takes to decide: reads are served
    // by the standby meanwhile.
    const waited = new Promise((resolve) => setTimeout(resolve, 1_000));
    const read = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ heroes(where: { nameContains: "Failover" }) { totalCount } }' }),
    });
    const readBody = (await read.json()) as any;
    expect({ status: read.status, errors: readBody.errors }).toEqual({ status: 200, errors: undefined });
    expect(readBody.data.heroes.totalCount).toBeGreaterThanOrEqual(10);
    await waited;
    const promotedFrom = performance.now();
    await replication.standby.promote();
    await until(
      'a write acknowledged by the new primary',
      () => writes.attempts.some((a) => a.acknowledged && a.at > promotedFrom),
      20,
    );
    const firstWrite = writes.attempts.find((a) => a.acknowledged && a.at > promotedFrom)!;
    const resumedMs = Math.round(firstWrite.at - promotedFrom);
    // Writes go on a while on the new primary, and their events reach the subscriber.
    const resumedAt = performance.now();
    await until('writes on the new primary for 1 s', () => performance.now() - resumedAt > 1_000);
    await writes.stop();

    const acknowledged = writes.attempts.filter((a) => a.acknowledged);
    const failed = writes.attempts.filter((a) => !a.acknowledged);
    const codes: Record<string, number> = {};
    for (const attempt of failed)
      codes[attempt.code ?? `HTTP ${attempt.status}`] = (codes[attempt.code ?? `HTTP ${attempt.status}`] ?? 0) + 1;
    process.stdout.write(
      `failover: promotion to first acknowledged write ${resumedMs} ms; ` +
        `${acknowledged.length} writes acknowledged, ${failed.length} failed ${JSON.stringify(codes)}; ` +
        `${Math.round(promotedFrom - killedAt)} ms between the kill and the promotion\n`,
    );

    // Writes resumed within 10 s of the promotion.
    expect(resumedMs).toBeLessThan(10_000);
    expect(acknowledged.filter((a) => a.at < killedAt).length).toBeGreaterThanOrEqual(10);

    // Every acknowledged write is on the new primary.
    const rows = await replication.standby.query<{ name: string }>(
      `SELECT "name" FROM "Hero" WHERE "name" LIKE 'Failover %'`,
    );
    const stored = new Set(rows.map((row) => row.name));
    expect(acknowledged.map((a) => a.name).filter((name) => !stored.has(name))).toEqual([]);

    // No error is masked: each failure is an outage's 503, with Retry-After and a stable code.
    for (const attempt of failed) {
      expect({ status: attempt.status, code: attempt.code, body: attempt.body }).toEqual({
        status: 503,
        code: expect.stringMatching(new RegExp(`^(${failoverCodes.join('|')})$`)),
        body: expect.any(String),
      });
      expect(Number(attempt.retryAfter)).toBeGreaterThan(0);
      for (const internal of ['ECONNREFUSED', 'prisma', '127.0.0.1', 'stack', 'Unexpected error']) {
        expect(attempt.body).not.toContain(internal);
      }
    }

    // The LISTEN connection moved to the new primary, and the change log (replicated with the
    // writes) lets the reader catch up from where it was: the event of every acknowledged write
    // arrives, once, those committed just before the kill included.
    const wanted = new Set(acknowledged.map((a) => a.name));
    const seen: string[] = [];
    // Messages that are not a whole event (an error in place of its hero, say): there must be none.
    const holes: unknown[] = [];
    const deadline = Date.now() + 10_000;
    while ([...wanted].some((name) => !seen.includes(name)) && Date.now() < deadline) {
      const message = await subscription.next(Math.max(1, deadline - Date.now())).catch(() => null);
      if (!message) break;
      const name = (message.data as any)?.membershipChanged?.hero?.name;
      if (name && !message.errors) seen.push(name);
      else holes.push(message);
    }
    const before = acknowledged.filter((a) => a.at < killedAt).map((a) => a.name);
    const after = acknowledged.filter((a) => a.at > promotedFrom).map((a) => a.name);
    process.stdout.write(
      `failover: the subscriber saw ${seen.length} events: ${before.filter((n) => seen.includes(n)).length} of ${before.length} ` +
        `writes acknowledged before the kill, ${after.filter((n) => seen.includes(n)).length} of ${after.length} after the promotion\n`,
    );
    expect(holes).toEqual([]);
    expect([...wanted].filter((name) => !seen.includes(name))).toEqual([]);
    expect(seen.filter((name, i) => seen.indexOf(name) !== i)).toEqual([]);
  } catch (error) {
    // What the server logged says which step of the failover went wrong.
    process.stderr.write(`The server's output:\n${server.output().slice(-6_000)}\n`);
    throw error;
  } finally {
    await writes.stop();
  }
}, 120_000);

it('refuses to start with REQUIRE_SYNCHRONOUS_STANDBY against a primary with no synchronous standby', async () => {
  // The promoted standby waits for no standby of its own (test/support/replication.ts).
  await expect(startServer({ ...env(), MIGRATE_ON_START: 'false' })).rejects.toThrow(
    /server exited with 1[\s\S]*REQUIRE_SYNCHRONOUS_STANDBY[\s\S]*synchronous_standby_names is empty/,
  );
}, 60_000);
