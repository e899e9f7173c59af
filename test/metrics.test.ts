import { type AddressInfo } from 'node:net';
import { createYoga } from 'graphql-yoga';
import { config } from '../src/config';
import { databaseKind } from '../src/db';
import { createHttpServer } from '../src/http/node-server';
import { useAdmission } from '../src/http/admission';
import { observeRequest } from '../src/ops/metrics';
import { useRequestTracking } from '../src/ops/request-tracking';
import { schema } from '../src/schema';
import { yoga } from '../src/graphql/yoga';
import { makeHeroes, makeTeams, resetDatabase } from './support/factories';
import { prisma } from '../src/db';
import { type ServerProcess, startServer } from './support/server-process';
import { warmUp, warmUpHeader } from '../src/graphql/warm-up';
import { describeOnPGlite } from './support/postgres-only';

// GET /metrics: Prometheus' text format, read after requests of each kind. The registry is the
// process's, so every check compares a value before and after what the test sends.

async function post(body: unknown, target = yoga) {
  const response = await target.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { errors?: unknown[] } };
}

async function scrape(): Promise<string> {
  const response = await yoga.fetch(`http://yoga${config.metrics.path}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one sample: `name{labels}` exactly as printed (labels in their order), or 0. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const heroesWithTeams = `
  query MetricsHeroes {
    heroes(first: 10) {
      edges {
        node {
          name
          teams {
            edges {
              node {
                name
              }
            }
          }
        }
      }
    }
  }
`;

beforeAll(async () => {
  await resetDatabase();
  const [teamId] = await makeTeams(1);
  const heroIds = await makeHeroes(4);
  await prisma.heroTeamLink.createMany({ data: heroIds.map((heroId) => ({ heroId, teamId: teamId! })) });
});

it('counts requests by operation and outcome, errors by code, statements and loader batches', async () => {
  const ok = 'graphql_request_duration_seconds_count{operation="MetricsHeroes",type="query",outcome="success"}';
  const invalid = 'graphql_request_duration_seconds_count{operation="anonymous",type="query",outcome="error"}';
  const unparsed = 'graphql_request_duration_seconds_count{operation="none",type="none",outcome="error"}';
  const before = await scrape();

  for (let i = 0; i < 2; i++) expect((await post({ query: heroesWithTeams })).status).toBe(200);
  expect((await post({ query: '{ nope }' })).body.errors).toHaveLength(1);
  expect((await post({ query: '{ heroes(' })).body.errors).toHaveLength(1);

  const after = await scrape();
  const delta = (series: string) => sample(after, series) - sample(before, series);
  expect(delta(ok)).toBe(2);
  expect(delta(invalid)).toBe(1);
  expect(delta(unparsed)).toBe(1);
  expect(delta('graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}')).toBe(1);
  expect(delta('graphql_errors_total{code="GRAPHQL_PARSE_FAILED"}')).toBe(1);
  // Two statements each (the heroes, then their teams in one batch), none for the two refused.
  expect(delta('graphql_sql_statements_per_request_count')).toBe(4);
  expect(delta('graphql_sql_statements_per_request_sum')).toBe(4);
  expect(delta('graphql_sql_statements_per_request_bucket{le="1"}')).toBe(2);
  // One batch of the 4 heroes' teams per request.
  expect(delta('dataloader_batch_size_count{loader="Hero.teams"}')).toBe(2);
  expect(delta('dataloader_batch_size_sum{loader="Hero.teams"}')).toBe(8);
  // The scrapes themselves are no GraphQL requests: 4 requests in all.
  const requests = (text: string) =>
    [...text.matchAll(/^graphql_request_duration_seconds_count\{.*\} (\d+)$/gm)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
  expect(requests(after) - requests(before)).toBe(4);
});

it("leaves the server's own warm-up out: its reads neither count nor log, and its header cannot be forged", async () => {
  const requests = (text: string) =>
    [...text.matchAll(/^graphql_request_duration_seconds_count\{.*\} (\d+)$/gm)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
  const before = await scrape();
  const outcome = await warmUp(yoga, 12, 3);
  expect(outcome).toMatchObject({ answered: 12, stoppedBy: undefined });
  const between = await scrape();
  expect(requests(between) - requests(before)).toBe(0);
  // It did read the database: the statements of its requests are the loaders' batches.
  expect(
    sample(between, 'dataloader_batch_size_count{loader="Team.heroes"}') -
      sample(before, 'dataloader_batch_size_count{loader="Team.heroes"}'),
  ).toBeGreaterThan(0);
  // The header with any other value is a client's request like any other.
  const forged = await yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', [warmUpHeader.name]: 'guess' },
    body: JSON.stringify({ query: heroesWithTeams }),
  });
  expect(forged.status).toBe(200);
  expect(requests(await scrape()) - requests(between)).toBe(1);
});

it('counts the statements of writes, through Prisma Client', async () => {
  const before = await scrape();
  const { status } = await post({
    query: 'mutation { createTeam(input: { name: "M", headquarters: "HQ" }) { team { id } } }',
  });
  expect(status).toBe(200);
  const after = await scrape();
  const delta = (series: string) => sample(after, series) - sample(before, series);
  expect(delta('graphql_sql_statements_per_request_count')).toBe(1);
  // createTeam is one INSERT … RETURNING.
  expect(delta('graphql_sql_statements_per_request_sum')).toBe(1);
  expect(delta('graphql_request_duration_seconds_count{operation="anonymous",type="mutation",outcome="success"}')).toBe(
    1,
  );
});

it('bounds the operation names it labels: the first 100, then "other"', async () => {
  for (let i = 0; i < 110; i++) await post({ query: `query Random${i}x${Date.now()} { __typename }` });
  const text = await scrape();
  const names = new Set(
    [...text.matchAll(/^graphql_request_duration_seconds_count\{operation="([^"]*)"/gm)].map((match) => match[1]),
  );
  expect(names.size).toBeLessThanOrEqual(100 + 2); // + "other" and "none"
  expect(
    sample(text, 'graphql_request_duration_seconds_count{operation="other",type="query",outcome="success"}'),
  ).toBeGreaterThan(0);
});

it('gives the pool at scrape time, and the process metrics', async () => {
  const text = await scrape();
  if (databaseKind === 'postgresql') {
    expect(sample(text, 'db_pool_max')).toBe(config.poolMax);
    expect(text).toMatch(/^db_pool_connections_in_use \d+$/m);
    expect(text).toMatch(/^db_pool_connections_idle \d+$/m);
    expect(text).toMatch(/^db_pool_requests_waiting \d+$/m);
    expect(sample(text, 'db_pool_connections_idle') + sample(text, 'db_pool_connections_in_use')).toBeGreaterThan(0);
  } else {
    expect(sample(text, 'db_pool_max')).toBe(1);
    expect(text).not.toContain('db_pool_connections_in_use');
  }
  for (const name of [
    'process_cpu_user_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_seconds',
    'nodejs_heap_size_used_bytes',
  ]) {
    expect(text).toMatch(new RegExp(`^${name}`, 'm'));
  }
  expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
});

it('counts shed requests by reason, once per request', async () => {
  // A server that refuses every GraphQL operation, as useAdmission does past its bound.
  const full = createYoga({
    schema,
    plugins: [
      useAdmission({ maxInFlight: 0, maxCost: 1, maxPerClient: 1, waitMs: 0 }),
      useRequestTracking({ endpoint: '/graphql', onDone: [observeRequest] }),
    ],
  });
  const before = await scrape();
  const refused = await post({ query: '{ __typename }' }, full as unknown as typeof yoga);
  expect(refused.status).toBe(503);

  // And the HTTP server's refusal of a new event stream while answers wait for their clients,
  // before Yoga sees it.
  const server = createHttpServer(yoga, { ...config.http, maxBufferedBytes: -1 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: '{"query":"{ __typename }"}',
    });
    expect(response.status).toBe(503);
    await response.text();
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  const after = await scrape();
  const delta = (series: string) => sample(after, series) - sample(before, series);
  expect(delta('http_requests_shed_total{reason="operations_in_flight"}')).toBe(1);
  expect(delta('http_requests_shed_total{reason="buffered_bytes"}')).toBe(1);
  // Refused once parsed, in its turn for execution: its operation is known.
  expect(delta('graphql_request_duration_seconds_count{operation="anonymous",type="query",outcome="shed"}')).toBe(1);
  expect(delta('graphql_errors_total{code="OVERLOADED"}')).toBe(1);
  expect(sample(after, 'http_requests_shed_total{reason="pipelined"}')).toBe(0);
});

// Configuration needs a process of its own; PGlite's run is enough for it.

describeOnPGlite('configuration', () => {
  let off: ServerProcess;
  let moved: ServerProcess;

  beforeAll(async () => {
    [off, moved] = await Promise.all([
      startServer({ DATA_DIR: 'memory://', METRICS: 'false' }),
      startServer({ DATA_DIR: 'memory://', METRICS_PATH: '/internal/metrics', WARM_UP_REQUESTS: '20' }),
    ]);
  }, 60_000);

  afterAll(async () => {
    for (const server of [off, moved]) server?.child.kill('SIGTERM');
    await Promise.all([off?.exited, moved?.exited]);
  });

  it('METRICS=false: /metrics is a 404', async () => {
    const response = await fetch(`${off.url}/metrics`);
    expect(response.status).toBe(404);
  });

  it('METRICS_PATH moves it', async () => {
    const response = await fetch(`${moved.url}/internal/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('# TYPE graphql_request_duration_seconds histogram');
    // WARM_UP_REQUESTS: it warmed up before it listened, and counted none of that as requests.
    expect(moved.output()).toMatch(/warmed up in \d+ ms, ready in/);
    expect(off.output()).not.toMatch(/warmed up/);
    expect(text).not.toMatch(/^graphql_request_duration_seconds_count\{/m);
    expect((await fetch(`${moved.url}/metrics`)).status).toBe(404);
  });
});
