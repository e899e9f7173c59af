import { Pool } from 'pg';
import { readPrepared } from '../src/db';
import type { ReadOn, SendAs } from '../src/db/prepared-statements';
import { lagBehind, parseLsn, ReplicaRouter, replicaFailure } from '../src/db/replica-routing';
import { logger } from '../src/ops/logger';
import { registry } from '../src/ops/metrics';
import { type Replication, startReplication } from './support/replication';

// PostgreSQL only (see jest.config.js): the router of src/db/replica-routing.ts on a primary and a
// streaming hot standby of its own (test/support/replication.ts), its checks run by the test with
// a clock the test sets, so that "behind by more than MAX_REPLICA_LAG_MS" needs no waiting. Each
// read asks the server it lands on whether it is in recovery: true is the standby.

const MAX_LAG_MS = 1_000;

let replication: Replication;
let primary: Pool;
let router: ReplicaRouter;
let clock = 0;

const readOn: ReadOn = async (pool, text, values, sendAs) => {
  if (sendAs === 'named') return readPrepared(pool, text, values);
  const result = await pool.query<unknown[]>({ text, values, rowMode: 'array' });
  return { columnNames: result.fields.map((field) => field.name), rows: result.rows };
};

/** Which server a read sent to `target` ran on. */
async function servedBy(target: 'replica' | 'primary', sendAs: SendAs = 'named'): Promise<'standby' | 'primary'> {
  const { rows } = await router.read(target, 'SELECT pg_is_in_recovery()', [], sendAs);
  return rows[0]![0] === true ? 'standby' : 'primary';
}

const state = () => router.status()[0]!;

async function failovers(): Promise<number> {
  const metric = await registry.getSingleMetric('db_replica_failovers_total')!.get();
  return metric.values.reduce((sum, { value }) => sum + value, 0);
}

/** A check at `at` on the test's clock, once the standby has replayed what the primary has written. */
async function checkCaughtUp(at: number): Promise<void> {
  await replication.caughtUp();
  clock = at;
  await router.check();
}

beforeAll(async () => {
  // The router says each change of a replica's state at warn: expected here, and not the test's output.
  logger.level = 'error';
  replication = await startReplication();
  primary = new Pool({ connectionString: replication.primary.url, max: 2 });
  router = new ReplicaRouter({
    primary,
    primaryUrl: replication.primary.url,
    replicaUrls: [replication.standby.url],
    // As the pools of src/db/pools.ts do: an idle connection that dies is reported, not thrown.
    newPool: (url) =>
      new Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 2_000 }).on('error', () => undefined),
    readOn,
    maxLagMs: MAX_LAG_MS,
    checkIntervalMs: 600_000,
    checkTimeoutMs: 2_000,
    now: () => clock,
  });
  await replication.primary.query('CREATE TABLE probe (id int)');
}, 60_000);

afterAll(async () => {
  await router?.close();
  await primary?.end();
  await replication?.destroy();
});

it('reads the primary until a check finds the standby fit, then the standby; reads sent to the primary stay there', async () => {
  expect(state()).toEqual({ name: `127.0.0.1:${replication.standby.port}/postgres`, state: 'unchecked', lagMs: null });
  expect(await servedBy('replica')).toBe('primary');

  await checkCaughtUp(0);
  expect(state()).toMatchObject({ state: 'usable', lagMs: 0 });
  expect(await servedBy('replica')).toBe('standby');
  expect(await servedBy('replica', 'values')).toBe('standby');
  expect(await servedBy('primary')).toBe('primary');
});

it('reads a standby whose replay is paused while it is within MAX_REPLICA_LAG_MS, and skips it past that until it has caught up', async () => {
  await checkCaughtUp(10_000);
  await replication.pauseReplay();
  try {
    await replication.primary.query('INSERT INTO probe VALUES (1)');
    const count = async () =>
      (await router.read('replica', 'SELECT count(*)::int FROM probe', [], 'named')).rows[0]![0];

    // The standby holds everything the primary held at 10,000: at 10,000 + MAX_LAG_MS it is that far behind.
    clock = 10_000 + MAX_LAG_MS;
    await router.check();
    expect(state()).toMatchObject({ state: 'usable', lagMs: MAX_LAG_MS });
    expect(await count()).toBe(0); // the standby's older state: within the bound the operator allowed

    clock = 10_000 + MAX_LAG_MS + 1;
    await router.check();
    expect(state()).toMatchObject({ state: 'lagging', lagMs: MAX_LAG_MS + 1 });
    expect(await count()).toBe(1); // from the primary
    expect(await servedBy('replica')).toBe('primary');
  } finally {
    await replication.resumeReplay();
  }
  await checkCaughtUp(20_000);
  expect(state()).toMatchObject({ state: 'usable', lagMs: 0 });
  expect(await servedBy('replica')).toBe('standby');
});

it('skips a standby that stops at the first read that fails to reach it, running that read on the primary; a check finds it back', async () => {
  await checkCaughtUp(30_000);
  expect(await servedBy('replica')).toBe('standby');
  const before = await failovers();

  await replication.standby.stop();
  // No check has run since: the read itself finds the standby gone, and the primary answers it.
  expect(await servedBy('replica')).toBe('primary');
  expect(state().state).toBe('down');
  expect(await failovers()).toBe(before + 1);
  expect(await servedBy('replica')).toBe('primary');
  expect(await failovers()).toBe(before + 1); // skipped, not tried again

  clock = 31_000;
  await router.check();
  expect(state().state).toBe('down');

  await replication.standby.start();
  await checkCaughtUp(32_000);
  expect(state()).toMatchObject({ state: 'usable', lagMs: 0 });
  expect(await servedBy('replica')).toBe('standby');
});

it("does not skip a standby for a statement's own failure: the client gets it, as the primary would give it", async () => {
  await checkCaughtUp(40_000);
  const before = await failovers();
  await expect(router.read('replica', 'SELECT 1 / $1::int', [0], 'named')).rejects.toMatchObject({ code: '22012' });
  expect(state().state).toBe('usable');
  expect(await failovers()).toBe(before);
});

it('measures lag against the samples of the primary it has reached; classifies failures', () => {
  const samples = [
    { lsn: parseLsn('0/100'), since: 50, at: 100 },
    { lsn: parseLsn('0/200'), since: 200, at: 200 },
    { lsn: parseLsn('1/0'), since: 300, at: 300 },
  ];
  expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
  expect(lagBehind(samples, parseLsn('1/0'), 300)).toEqual({ ms: 0, reached: true });
  expect(lagBehind(samples, parseLsn('0/2FF'), 300)).toEqual({ ms: 100, reached: true });
  expect(lagBehind(samples, parseLsn('0/100'), 350)).toEqual({ ms: 250, reached: true });
  // Behind everything kept: at least since the oldest position was first seen.
  expect(lagBehind(samples, parseLsn('0/FF'), 300)).toEqual({ ms: 250, reached: false });
  expect(lagBehind([], parseLsn('0/FF'), 300)).toBeNull();

  expect(replicaFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('connection');
  expect(replicaFailure(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe('connection');
  expect(replicaFailure(new Error('Connection terminated unexpectedly'))).toBe('connection');
  expect(replicaFailure(Object.assign(new Error('conflict with recovery'), { code: '40001' }))).toBe('recovery');
  expect(
    replicaFailure(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })),
  ).toBeNull();
  expect(replicaFailure(Object.assign(new Error('invalid input syntax'), { code: '22P02' }))).toBeNull();
});
