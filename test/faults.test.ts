import { resetDatabase } from './support/factories';
import { FaultyProxy } from './support/proxy';
import { type ServerProcess, startServer } from './support/server-process';

// PostgreSQL only (see jest.config.js): the server runs as its own process, reaching this file's
// database through a proxy that the tests cut, restore and slow down.

const query = JSON.stringify({ query: '{ heroes(first: 3) { totalCount edges { node { name } } } }' });

async function ask(server: ServerProcess) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: query,
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: unknown[] } };
}

const status = async (server: ServerProcess, path: string) => (await fetch(`${server.url}${path}`)).status;

async function eventually(check: () => Promise<boolean>, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let proxy: FaultyProxy;
let server: ServerProcess;

beforeAll(async () => {
  await resetDatabase({ seed: true });
  const database = new URL(process.env.DATABASE_URL!);
  proxy = await FaultyProxy.start({ host: database.hostname, port: Number(database.port || 5432) });
  server = await startServer({
    DATABASE_URL: proxy.url(process.env.DATABASE_URL!),
    NODE_ENV: 'production',
    PG_POOL_MAX: '4',
    PG_CONNECT_TIMEOUT_MS: '1000',
    SHUTDOWN_GRACE_MS: '10000',
  });
}, 60_000);

afterAll(async () => {
  if (server.child.exitCode === null) server.child.kill('SIGKILL');
  await proxy.down();
});

it('survives PostgreSQL going away under load: fails fast and masked, not ready, then recovers by itself', async () => {
  expect((await ask(server)).status).toBe(200);

  let running = true;
  const failures: unknown[] = [];
  const load = Promise.all(
    Array.from({ length: 8 }, async () => {
      while (running) {
        const answer = await ask(server);
        if (answer.body.errors) failures.push(answer.body.errors);
      }
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  await proxy.down();

  // Requests answer (they do not hang) with the masked error while the database is away.
  await eventually(async () => failures.length >= 10, 15);
  const text = JSON.stringify(failures);
  expect(text).toContain('Unexpected error.');
  for (const internal of ['ECONNREFUSED', 'prisma', '127.0.0.1', 'stack']) expect(text).not.toContain(internal);
  expect(await status(server, '/ready')).toBe(503);
  expect(await status(server, '/live')).toBe(200);

  await proxy.up();
  await eventually(async () => (await status(server, '/ready')) === 200, 20);
  running = false;
  await load;
  const after = await ask(server);
  expect(after.status).toBe(200);
  expect(after.body.errors).toBeUndefined();
  expect(server.child.exitCode).toBeNull();
  expect(server.output()).not.toMatch(/Unhandled|uncaught/i);
}, 60_000);

it('when the pool is exhausted, waiting requests fail fast with 503 OVERLOADED instead of queueing forever', async () => {
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
