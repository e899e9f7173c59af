import { readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { heroId } from './support/factories';
import { FaultyProxy } from './support/proxy';
import { type ServerProcess, startServer } from './support/server-process';

// PostgreSQL only (see jest.config.js): WEB_CONCURRENCY=2 as a real process on a database of its
// own, empty, which the primary migrates and seeds once before forking. Which worker answered a
// request is read from its log line (a worker's lines carry its pid; x-request-id ties a line to
// the request).

const POOL_MAX = 3;
let admin: Client;
let databaseUrl: string;
let server: ServerProcess;

interface LogLine {
  msg: string;
  pid?: number;
  requestId?: string;
}

function logLines(): LogLine[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

async function eventually<T>(find: () => T | undefined, what: string, seconds = 20): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`not within ${seconds} s: ${what}\n${server.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let requests = 0;

/**
 * One request on `agent`'s connection (keep-alive, one socket), or on a connection of its own
 * (`agent` false: the primary hands each new connection to the next worker).
 */
function send(
  agent: Agent | false,
  path: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      new URL(`${server.url}${path}`),
      { method: options.body === undefined ? 'GET' : 'POST', agent, headers: options.headers },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, text }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** A GraphQL operation (see send), with the pid of the worker that logged it. */
async function post(
  agent: Agent | false,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ status: number; body: { data?: any; errors?: unknown[] }; pid: number }> {
  const requestId = `processes-${++requests}`;
  const { status, text } = await send(agent, '/graphql', {
    body: JSON.stringify({ query, variables }),
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-request-id': requestId },
  });
  const pid = await eventually(
    () => logLines().find((line) => line.requestId === requestId)?.pid,
    `the log line of ${requestId}`,
  );
  return { status, body: JSON.parse(text) as { data?: any; errors?: unknown[] }, pid };
}

/** The parent of a process, from /proc. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids of the workers that answer `count` requests, each on a connection of its own. */
async function answeringPids(count: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < count; i++) {
    const { status, pid } = await post(false, '{ heroes(first: 1) { totalCount } }');
    expect(status).toBe(200);
    pids.add(pid);
  }
  return pids;
}

beforeAll(async () => {
  admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `${url.pathname}_cluster`;
  databaseUrl = url.toString();
  await admin.query(`CREATE DATABASE "${url.pathname.slice(1)}"`);
  server = await startServer({
    DATABASE_URL: databaseUrl,
    WEB_CONCURRENCY: '2',
    PG_POOL_MAX: String(POOL_MAX),
    MIGRATE_ON_START: 'true',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    SHUTDOWN_GRACE_MS: '20000',
  });
}, 90_000);

afterAll(async () => {
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  for (const line of logLines()) if (line.pid && alive(line.pid)) process.kill(line.pid, 'SIGKILL');
  await admin.query(`DROP DATABASE IF EXISTS "${new URL(databaseUrl).pathname.slice(1)}" WITH (FORCE)`);
  await admin.end();
});

it('migrates and seeds once, in the primary, before the two workers start', () => {
  const lines = logLines();
  const migrated = lines.filter((line) => line.msg.startsWith('Applied migrations'));
  expect(migrated).toHaveLength(1);
  expect(migrated[0]!.pid).toBeUndefined();
  expect(lines.filter((line) => line.msg.startsWith('Loaded the sample heroes'))).toHaveLength(1);
  const listening = lines.filter((line) => /^Worker \d+ listening$/.test(line.msg));
  expect(listening).toHaveLength(2);
  expect(lines.findIndex((line) => line.msg.startsWith('Loaded the sample heroes'))).toBeLessThan(
    lines.indexOf(listening[0]!),
  );
  expect(server.output()).toContain('(PostgreSQL, 2 processes, ready in');
});

it('answers through two worker processes of the server on one port', async () => {
  const pids = await answeringPids(6);
  expect(pids.size).toBe(2);
  for (const pid of pids) {
    expect(pid).not.toBe(server.child.pid);
    expect(parentOf(pid)).toBe(server.child.pid);
  }
});

it('a mutation through one worker is read through the other', async () => {
  const first = new Agent({ keepAlive: true, maxSockets: 1 });
  const agents = [first];
  try {
    const firstPid = (await post(first, '{ __typename }')).pid;
    let second: Agent | undefined;
    let secondPid = firstPid;
    while (secondPid === firstPid) {
      expect(agents.length).toBeLessThan(10);
      second = new Agent({ keepAlive: true, maxSockets: 1 });
      agents.push(second);
      secondPid = (await post(second, '{ __typename }')).pid;
    }

    const created = await post(
      first,
      'mutation ($name: String!) { createHero(input: { name: $name, secretName: "Unknown" }) { hero { id } } }',
      { name: 'Written by one worker' },
    );
    expect(created.pid).toBe(firstPid);
    expect(created.body.errors).toBeUndefined();
    const id = created.body.data.createHero.hero.id as string;
    expect(id).toBe(heroId(8));

    const read = await post(second!, 'query ($id: ID!) { hero(id: $id) { name } }', { id });
    expect(read.pid).toBe(secondPid);
    expect(read.body).toEqual({ data: { hero: { name: 'Written by one worker' } } });
  } finally {
    for (const agent of agents) agent.destroy();
  }
});

it('serves at /metrics, through any worker, the metrics of both (one pool each: 2 × PG_POOL_MAX)', async () => {
  for (let i = 0; i < 2; i++) {
    const { status, text } = await send(false, '/metrics');
    expect(status).toBe(200);
    expect(text).toMatch(new RegExp(`^db_pool_max ${2 * POOL_MAX}$`, 'm'));
  }
});

it('METRICS_PORT: the primary answers the probes, /ready asking the workers (503 while they cannot reach the database), and the metrics of both', async () => {
  const database = new URL(databaseUrl);
  const proxy = await FaultyProxy.start({ host: database.hostname, port: Number(database.port || 5432) });
  const cluster = await startServer({
    DATABASE_URL: proxy.url(databaseUrl),
    WEB_CONCURRENCY: '2',
    PG_POOL_MAX: String(POOL_MAX),
    PG_CONNECT_TIMEOUT_MS: '500',
    MIGRATE_ON_START: 'false',
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
  });
  try {
    const metrics = new URL(/Metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(cluster.output())![1]!);
    const status = async (path: string) => (await fetch(new URL(path, metrics))).status;
    expect(await status('/live')).toBe(200);
    expect(await status('/ready')).toBe(200);
    expect(await status('/health')).toBe(200);
    expect(await (await fetch(metrics)).text()).toMatch(new RegExp(`^db_pool_max ${2 * POOL_MAX}$`, 'm'));
    await proxy.down();
    expect(await status('/live')).toBe(200);
    expect(await status('/ready')).toBe(503);
    await proxy.up();
    const deadline = Date.now() + 20_000;
    while ((await status('/ready')) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await status('/ready')).toBe(200);
  } finally {
    // SIGTERM, so that the primary stops its workers (SIGKILL would leave them running).
    if (cluster.child.exitCode === null) {
      const exited = new Promise((resolve) => cluster.child.once('exit', resolve));
      cluster.child.kill('SIGTERM');
      await exited;
    }
    await proxy.down();
  }
}, 60_000);

it('replaces a worker that dies, says so in the log, and keeps answering', async () => {
  const [victim] = [...(await answeringPids(4))];
  process.kill(victim!, 'SIGKILL');
  await eventually(
    () => logLines().find((line) => line.msg.startsWith(`Worker ${victim} exited unexpectedly (signal SIGKILL)`)),
    'the log of the dead worker',
  );
  const listening = () => logLines().filter((line) => /^Worker \d+ listening$/.test(line.msg));
  const replacement = await eventually(
    () => (listening().length === 3 ? Number(/\d+/.exec(listening()[2]!.msg)![0]) : undefined),
    'a third worker listening',
  );
  expect(parentOf(replacement)).toBe(server.child.pid);
  const pids = await answeringPids(6);
  expect(pids.size).toBe(2);
  expect(pids.has(replacement)).toBe(true);
  expect(pids.has(victim!)).toBe(false);
});

it.each(['1', '2'])(
  'WEB_CONCURRENCY=%s on a port in use exits 1, saying so',
  async (processes) => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const attempt = await startServer({
        DATABASE_URL: databaseUrl,
        WEB_CONCURRENCY: processes,
        PORT: String(port),
        MIGRATE_ON_START: 'false',
      }).then(
        () => 'started',
        (error: Error) => error.message,
      );
      expect(attempt).toMatch(/server exited with 1/);
      // listen EADDRINUSE in one process; bind EADDRINUSE in a worker, whose primary binds.
      expect(attempt).toMatch(new RegExp(`Cannot listen on port ${port}: (listen|bind) EADDRINUSE`));
    } finally {
      taken.close();
    }
  },
  60_000,
);

it('SIGTERM: each worker finishes its requests in flight, then all stop and the primary exits 0', async () => {
  const workers = [...(await answeringPids(4))];
  expect(workers).toHaveLength(2);
  // A mutation held on a row lock taken here: in flight when the signal comes.
  const locker = new Client({ connectionString: databaseUrl });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM "Hero" WHERE id = 1 FOR UPDATE');
    const held = post(false, 'mutation ($id: ID!) { updateHero(input: { id: $id, age: 99 }) { hero { age } } }', {
      id: heroId(1),
    });
    const waiting = async () =>
      (
        await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
          [new URL(databaseUrl).pathname.slice(1)],
        )
      ).rows[0]!.n;
    for (let tries = 0; (await waiting()) === 0; tries++) {
      expect(tries).toBeLessThan(400);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    server.child.kill('SIGTERM');
    for (const pid of workers) {
      await eventually(
        () => logLines().find((line) => line.pid === pid && line.msg.startsWith('SIGTERM: finishing requests')),
        `worker ${pid} told to stop`,
      );
    }
    expect(server.child.exitCode).toBeNull();
    await locker.query('COMMIT');

    const answer = await held;
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { updateHero: { hero: { age: 99 } } } });
  } finally {
    await locker.end();
  }
  expect(await server.exited).toBe(0);
  for (const pid of workers) expect(alive(pid)).toBe(false);
  expect(server.output()).not.toMatch(/exited unexpectedly \((code [1-9]|signal SIGTERM)/);
}, 60_000);
