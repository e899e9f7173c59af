import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type ServerProcess, startServer } from '../test/support/server-process';
import { commandLine, provenance, provenanceLines } from './provenance';
import { databaseUrlHelp, databaseUrlOption, ScratchDatabase } from './scratch-database';
import { percentile } from './stats';

// The response cache (RESPONSE_CACHE=on, docs/caching.md) against writes it does not make: how
// long an answer stays stale after a write by plain SQL, from the write's COMMIT returning to the
// first answer of the cached server that shows it (the event latency: NOTIFY, one read of the
// change log, the entries dropped, plus one request), quiet and under a read load of --readers
// clients asking the same query without pause; and what read-your-writes costs a mutation (its
// answer waits for the log to be read past its commit): the wall time of the same mutation on a
// server with the cache and on one without, alternating. On PostgreSQL, in a scratch database of its
// own that the script creates, migrates (the servers do, at start) and drops at the end, also after
// an error or Ctrl-C.
//
//   npm run bench:cache                                   # 200 writes: bench/results/cache.md
//   npm run bench:cache -- --writes 20 --out /tmp/cache.md

const { values: options } = parseArgs({
  options: {
    writes: { type: 'string', default: '200' },
    readers: { type: 'string', default: '10' },
    ...databaseUrlOption,
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (options.help) {
  console.log(`npm run bench:cache -- [options]
  --writes N            writes per measurement (default 200)
  --readers C           clients reading the cached query without pause during the loaded measurement (default 10)
${databaseUrlHelp}
  --out FILE            report (default bench/results/cache.md)`);
  process.exit(0);
}

const writes = Number(options.writes);
const readerCount = Number(options.readers);
if (!Number.isInteger(writes) || writes < 2) throw new Error('--writes must be an integer of 2 or more');
if (!Number.isInteger(readerCount) || readerCount < 1) throw new Error('--readers must be a positive integer');

const scratch = new ScratchDatabase(options['database-url']!, 'heroes_cache_bench');

const globalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');

async function post(server: ServerProcess, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  if (response.status !== 200 || body.errors) throw new Error(`${response.status}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function metric(server: ServerProcess, line: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

const TeamPage = `query TeamPage($id: ID!) {
  team(id: $id) { name heroes(first: 5, orderBy: { field: NAME }) { edges { node { name } } } }
}`;

interface Figures {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function figures(values: number[]): Figures {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1)!,
  };
}

async function main() {
  const source = provenance(commandLine('bench/cache.ts'));
  const started = new Date();
  const loadAtStart = loadavg();

  await scratch.create();
  const common = {
    DATABASE_URL: scratch.url,
    NODE_ENV: 'development',
    ANONYMOUS_ROLE: 'admin',
    LOG_LEVEL: 'warn',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...(process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {}),
  };
  // The first migrates (and seeds) the new database; the second starts on it.
  const cached = scratch.track(await startServer({ ...common, RESPONSE_CACHE: 'on' }));
  const plain = scratch.track(await startServer({ ...common, RESPONSE_CACHE: 'off', MIGRATE_ON_START: 'false' }));
  const db = await scratch.connect();
  const version = String((await db.query('SHOW server_version')).rows[0].server_version);

  // A team and one of its heroes, renamed by every write to a name that sorts first, so that the
  // team's page changes with each.
  const { rows } = await db.query<{ teamId: number; heroId: number }>(
    `SELECT "teamId", "heroId" FROM "HeroTeamLink" ORDER BY "teamId", "heroId" LIMIT 1`,
  );
  if (!rows[0]) throw new Error('the seeded database has no membership');
  const { teamId, heroId } = rows[0];
  const variables = { id: globalId('Team', teamId) };
  const firstName = (data: any) => data.team.heroes.edges[0].node.name as string;

  /** ms from a plain-SQL rename's COMMIT to the first answer of the cached server that shows it. */
  const staleness = async (i: number): Promise<number> => {
    // Cached before the write: asked twice (the second from the cache).
    await post(cached, TeamPage, variables);
    await post(cached, TeamPage, variables);
    const name = `Aaa cache ${process.pid} ${i}`;
    await db.query(`UPDATE "Hero" SET name = $1 WHERE id = $2`, [name, heroId]);
    const committed = performance.now();
    for (;;) {
      const data = await post(cached, TeamPage, variables);
      if (firstName(data) === name) return performance.now() - committed;
      if (performance.now() - committed > 30_000) throw new Error(`still stale 30 s after write ${i}`);
    }
  };

  const quiet: number[] = [];
  for (let i = 0; i < writes; i++) quiet.push(await staleness(i));
  console.log(`quiet: p99 ${figures(quiet).p99.toFixed(2)} ms`);

  let reading = true;
  let reads = 0;
  const readers = Array.from({ length: readerCount }, async () => {
    while (reading) {
      await post(cached, TeamPage, variables);
      reads++;
    }
  });
  const loadStarted = performance.now();
  const loaded: number[] = [];
  const hitsBefore = await metric(cached, 'graphql_response_cache_lookups_total{outcome="hit"}');
  for (let i = 0; i < writes; i++) loaded.push(await staleness(writes + i));
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  reading = false;
  await Promise.all(readers);
  const hitsAfter = await metric(cached, 'graphql_response_cache_lookups_total{outcome="hit"}');
  console.log(`under load: p99 ${figures(loaded).p99.toFixed(2)} ms`);

  // Read-your-writes: the same mutation on each server in turn (ABBA), after a warm-up pair.
  const mutate = async (server: ServerProcess, i: number) => {
    const sent = performance.now();
    await post(
      server,
      `mutation ($id: ID!, $age: Int) { updateHero(input: { id: $id, age: $age }) { hero { age } } }`,
      {
        id: globalId('Hero', heroId),
        age: 20 + (i % 50),
      },
    );
    return performance.now() - sent;
  };
  await mutate(cached, 0);
  await mutate(plain, 0);
  const withCache: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < writes; i++) {
    const order = i % 2 === 0 ? [true, false] : [false, true];
    for (const on of order) (on ? withCache : without).push(await mutate(on ? cached : plain, i));
  }
  const mutationOn = figures(withCache);
  const mutationOff = figures(without);

  const row = (what: string, f: Figures) =>
    `| ${what} | ${f.p50.toFixed(2)} | ${f.p95.toFixed(2)} | ${f.p99.toFixed(2)} | ${f.max.toFixed(2)} |`;
  const report = [
    '# The response cache: staleness after writes elsewhere, and the cost of read-your-writes',
    '',
    ...provenanceLines(source, started, loadAtStart),
    `- PostgreSQL ${version}, a scratch database seeded by the server (its sample data); ${writes} writes per measurement.`,
    '',
    'Staleness: ms from the COMMIT of a plain-SQL rename of a hero (autocommit, from the script) to the first answer of',
    "the cached server that shows it, asking the hero's team page (first 5 by name) in a loop. It is the event latency",
    '(NOTIFY, one read of the change log, the entries dropped) plus at most one request.',
    '',
    '| staleness, ms | p50 | p95 | p99 | max |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('quiet', figures(quiet)),
    row(`under load: ${readerCount} clients reading the same page without pause`, figures(loaded)),
    '',
    `Under load the readers sent ${reads.toLocaleString('en-US')} requests in ${loadSeconds.toFixed(1)} s, ` +
      `${(hitsAfter - hitsBefore).toLocaleString('en-US')} of them (and the measuring loop's) answered from the cache.`,
    '',
    'Read-your-writes: wall time of the same `updateHero` (ms), sent alternately to a server with the cache (its answer',
    'waits until the change log is read past its commit) and to one without, on the same database.',
    '',
    '| mutation, ms | p50 | p95 | p99 | max |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('RESPONSE_CACHE=on', mutationOn),
    row('RESPONSE_CACHE=off', mutationOff),
    '',
    `Median cost of read-your-writes: ${(mutationOn.p50 - mutationOff.p50).toFixed(2)} ms per mutation.`,
    '',
  ].join('\n');
  const out = options.out ? path.resolve(options.out) : path.join(__dirname, 'results', 'cache.md');
  writeFileSync(out, report);
  console.log(report);
  console.log(`written to ${out}`);
}

main()
  .then(
    () => scratch.drop(),
    async (error: unknown) => {
      console.error(error);
      await scratch.drop();
      process.exitCode = 1;
    },
  )
  .finally(() => process.exit());
