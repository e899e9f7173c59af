import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import { type Dataset, defaultAdminUrl, ensureDataset, GIANT_SIZE } from './dataset';
import type { FloorConfig } from './floor';
import type { LoadConfig } from './load';
import { memoryMb } from './proc';
import { type BenchQuery, type Counts, queries, requestBody } from './queries';
import type { SqlCount } from './sql-count';
import type { Measurement } from './stats';

// The benchmark of /work/shared/BENCHMARK.md in one command; see bench/README.md.

const root = path.resolve(__dirname, '..');
const benchDir = __dirname;

interface Options {
  scales: number[];
  warmup: number;
  duration: number;
  connections: number;
  out: string;
  quick: boolean;
}

const usage = `Usage: npm run bench -- [options]
  --quick            scale 1,000 only, 1 s warm-up + 5 s per measurement
  --scale N          one data set of scale N (default: 1,000, 10,000 and 100,000, with the growth table)
  --scales A,B,...   several data sets; growth ratios are relative to the first
  --warmup S         warm-up seconds before each measurement (default 3, quick 1)
  --duration S       seconds per measurement (default 15, quick 5)
  --connections C    concurrent connections of the load generator and of the floor (default 10)
  --out FILE         where to write the report (default bench/results/latest.md for the full run,
                     latest-quick.md for --quick, latest-custom.md otherwise)
Environment: BENCH_DATABASE_URL, the PostgreSQL server (default ${defaultAdminUrl})`;

function parseArgs(argv: string[]): Options {
  let quick = false;
  let scales: number[] | undefined;
  let warmup: number | undefined;
  let duration: number | undefined;
  let connections = 10;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    const number = (text: string, min: number, max: number) => {
      const n = Number(text);
      if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${arg} must be between ${min} and ${max}`);
      return n;
    };
    if (arg === '--quick') quick = true;
    else if (arg === '--scale') scales = [number(value(), 200, 10_000_000)];
    else if (arg === '--scales')
      scales = value()
        .split(',')
        .map((s) => number(s, 200, 10_000_000));
    else if (arg === '--warmup') warmup = number(value(), 0, 600);
    else if (arg === '--duration') duration = Math.round(number(value(), 1, 3600));
    else if (arg === '--connections') connections = Math.round(number(value(), 1, 100));
    else if (arg === '--out') out = path.resolve(value());
    else if (arg === '--help' || arg === '-h') {
      console.log(usage);
      process.exit(0);
    } else throw new Error(`Unknown option ${arg}\n${usage}`);
  }
  const full = !quick && scales === undefined && warmup === undefined && duration === undefined && connections === 10;
  const name = full ? 'latest.md' : quick && scales === undefined ? 'latest-quick.md' : 'latest-custom.md';
  return {
    quick,
    scales: scales ?? (quick ? [1000] : [1000, 10_000, 100_000]),
    warmup: warmup ?? (quick ? 1 : 3),
    duration: duration ?? (quick ? 5 : 15),
    connections,
    out: out ?? path.join(benchDir, 'results', name),
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes: every one is tracked, bounded in time and stopped when the run ends or fails.

const children = new Set<ChildProcess>();
let tmpDir: string | undefined;

function progress(line: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function spawnNode(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function tsxArgs(file: string, ...args: string[]): string[] {
  return ['--import', 'tsx', path.join(benchDir, file), ...args];
}

/** Runs a node process to its end and returns its standard output. */
function runNode(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number; label: string }) {
  return new Promise<string>((resolve, reject) => {
    const child = spawnNode(args, options.env ?? process.env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.label}: no answer after ${options.timeoutMs / 1000} s, stopped`));
    }, options.timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${options.label} exited with ${code ?? signal}:\n${stderr}${stdout.slice(-2000)}`));
    });
  });
}

function writeConfig(name: string, content: unknown): string {
  tmpDir ??= mkdtempSync(path.join(os.tmpdir(), 'heroes-bench-'));
  const file = path.join(tmpDir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

interface Server {
  dataset: Dataset;
  child: ChildProcess;
  pid: number;
  url: string;
  output: string[];
  /** Peak RSS (MB) once it answered /health, before any load. */
  startRssMb: number | undefined;
}

async function startServer(dataset: Dataset): Promise<Server> {
  const port = await freePort();
  // The production build (npm run build, done by main()), run by node itself so that the pid is the
  // process serving (npx or npm would put a wrapper in between). The data set is migrated already.
  // BENCH_SERVER_NODE_OPTIONS: flags for the server's node only (e.g. heap sizes), to compare runs.
  const nodeFlags = (process.env.BENCH_SERVER_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  const child = spawnNode([...nodeFlags, path.join(root, 'dist/src/server.js')], {
    ...process.env,
    NODE_ENV: 'production',
    MIGRATE_ON_START: 'false',
    DATABASE_URL: dataset.url,
    PORT: String(port),
    PG_POOL_MAX: '10',
    GRAPHIQL: 'false',
    LOG_SQL: 'false',
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  while (performance.now() - started < 90_000) {
    if (exited(child)) {
      throw new Error(`The server for ${dataset.database} exited while starting:\n${output.join('')}`);
    }
    try {
      const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      await response.text();
      if (response.status === 200) {
        progress(`server for ${dataset.database} ready on port ${port} (pid ${child.pid})`);
        const startRssMb = memoryMb(child.pid!)?.peak;
        return { dataset, child, pid: child.pid!, url: `${base}/graphql`, output, startRssMb };
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`The server for ${dataset.database} did not answer /health in 90 s:\n${output.join('')}`);
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

const signalLine = /^(SIG\w+): finishing requests/m;

/** Whether the server received a signal or exited; if so, waits (at most 30 s) until it is gone. */
async function stoppedFromOutside(server: Server): Promise<boolean> {
  if (!exited(server.child) && !signalLine.test(server.output.join(''))) return false;
  await stopChild(server.child, 30_000, false);
  return true;
}

/** HEAD and the uncommitted changes of what the server runs, to tell whether it changed. */
function sourceVersion(): string {
  const state = [
    git(['rev-parse', 'HEAD']),
    git(['diff', 'HEAD', '--', 'src', 'prisma', 'package.json']),
    git(['ls-files', '--others', '--exclude-standard', '--', 'src', 'prisma']),
  ].join('\n');
  return createHash('md5').update(state).digest('hex');
}

function exitDescription(server: Server): string {
  const { exitCode, signalCode } = server.child;
  const said = signalLine.exec(server.output.join(''));
  return (
    `exit ${signalCode ?? exitCode}` +
    (said ? `, after it printed that it received ${said[1]}, not sent by this run` : '')
  );
}

/** Sends SIGTERM (unless `signal` is false: it is already stopping), then SIGKILL after graceMs. */
function stopChild(child: ChildProcess, graceMs: number, signal = true): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (signal) child.kill('SIGTERM');
  });
}

async function stopEverything(): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child, 10_000)));
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  tmpDir = undefined;
}

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    progress(`${signal}: stopping the servers and load processes`);
    void stopEverything().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface Sample {
  body: string;
  bytes: number;
  counts: Counts;
  floorCounts: Counts;
  floorIdentical: boolean;
}

/** One request to the server and one run of the floor statement, checked against each other. */
async function sample(server: Server, query: BenchQuery, db: Client): Promise<Sample> {
  const shape = server.dataset;
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: requestBody(query, shape),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await response.text();
  const where = `${query.key} on ${shape.database}`;
  if (response.status !== 200) throw new Error(`${where}: status ${response.status}: ${body.slice(0, 500)}`);
  const parsed = JSON.parse(body) as { data?: unknown; errors?: unknown };
  if (parsed.errors !== undefined || !parsed.data) throw new Error(`${where}: ${body.slice(0, 1000)}`);
  const counts = query.check(parsed.data, shape);
  const { rows } = await db.query<{ data: string }>(query.floorSql, query.floorParams(shape));
  const floorData = JSON.parse(rows[0]?.data ?? 'null') as unknown;
  let floorCounts: Counts;
  try {
    floorCounts = query.check(floorData, shape);
  } catch (error) {
    throw new Error(`${where}: the floor's answer: ${(error as Error).message}`);
  }
  if (!isDeepStrictEqual(counts, floorCounts)) {
    throw new Error(`${where}: GraphQL holds ${JSON.stringify(counts)}, the floor ${JSON.stringify(floorCounts)}`);
  }
  return {
    body,
    bytes: Buffer.byteLength(body),
    counts,
    floorCounts,
    floorIdentical: isDeepStrictEqual(parsed.data, floorData),
  };
}

async function measureServer(server: Server, query: BenchQuery, expectedBody: string, options: Options) {
  const config: LoadConfig = {
    url: server.url,
    body: requestBody(query, server.dataset),
    expectedBody,
    connections: options.connections,
    warmup: options.warmup,
    duration: options.duration,
    serverPid: server.pid,
    databaseUrl: server.dataset.url,
  };
  const file = writeConfig(`load-${server.dataset.scale}-${query.key}.json`, config);
  const stdout = await runNode(tsxArgs('load.ts', file), {
    timeoutMs: (options.warmup + options.duration + 60) * 1000,
    label: `autocannon ${query.key} S=${server.dataset.scale}`,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Measurement;
}

async function measureFloor(dataset: Dataset, query: BenchQuery, options: Options) {
  const config: FloorConfig = {
    url: dataset.url,
    sql: query.floorSql,
    params: query.floorParams(dataset),
    connections: options.connections,
    warmup: options.warmup,
    duration: options.duration,
  };
  const file = writeConfig(`floor-${dataset.scale}-${query.key}.json`, config);
  const stdout = await runNode(tsxArgs('floor.ts', file), {
    timeoutMs: (options.warmup + options.duration + 60) * 1000,
    label: `floor ${query.key} S=${dataset.scale}`,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Measurement;
}

/** The server's measurement, then the floor's, each checked for failures. */
async function measureRow(
  server: Server,
  query: BenchQuery,
  expectedBody: string,
  options: Options,
  where: string,
): Promise<Row> {
  const row: Row = {};
  row.server = await measureServer(server, query, expectedBody, options);
  row.rssAfterMb = memoryMb(server.pid)?.peak;
  const bad = Object.entries(row.server.failures).filter(([, n]) => n > 0);
  const codes = Object.keys(row.server.statusCodes ?? {}).filter((code) => code !== '200');
  if (bad.length > 0 || codes.length > 0 || row.server.requests === 0) {
    throw new Error(
      `server: ${row.server.requests} requests, failures ${JSON.stringify(row.server.failures)}, ` +
        `status codes ${JSON.stringify(row.server.statusCodes)}`,
    );
  }
  progress(
    `${where} server: ${rate(row.server.rps)} req/s, p50 ${ms(row.server.p50)} ms, p99 ${ms(row.server.p99)} ms`,
  );
  row.floor = await measureFloor(server.dataset, query, options);
  const floorBad = Object.entries(row.floor.failures).filter(([, n]) => n > 0);
  if (floorBad.length > 0 || row.floor.requests === 0) {
    throw new Error(`floor: failures ${JSON.stringify(row.floor.failures)}`);
  }
  progress(`${where} floor:  ${rate(row.floor.rps)} req/s, p50 ${ms(row.floor.p50)} ms, p99 ${ms(row.floor.p99)} ms`);
  return row;
}

async function countSql(dataset: Dataset): Promise<Record<string, SqlCount>> {
  const bodies = Object.fromEntries(queries.map((query) => [query.key, requestBody(query, dataset)]));
  const stdout = await runNode(tsxArgs('sql-count.ts', writeConfig(`sql-${dataset.scale}.json`, bodies)), {
    env: { ...process.env, NODE_ENV: 'production', DATABASE_URL: dataset.url, LOG_SQL: 'false', PG_POOL_MAX: '10' },
    timeoutMs: 120_000,
    label: `SQL statement count on ${dataset.database}`,
  });
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`No result from the SQL statement count:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length)) as Record<string, SqlCount>;
}

// ---------------------------------------------------------------------------------------------
// Report

interface Row {
  server?: Measurement;
  floor?: Measurement;
  rssAfterMb?: number;
  failure?: string;
}

interface DatasetRun {
  dataset: Dataset;
  sql: Record<string, SqlCount>;
  samples: Record<string, Sample>;
  /** What happened to the run that a reader must know, e.g. a server started again. */
  notes: string[];
  /** sourceVersion() when the run started its server. */
  sourceVersion: string;
  rows: Record<string, Row>;
  rssStart?: number;
  rssAfterQ2?: { peak: number; current: number };
  rssEnd?: { peak: number; current: number };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const rate = (n: number | undefined) => (n === undefined ? '–' : n < 100 ? n.toFixed(1) : int(n));
const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n < 10 ? n.toFixed(2) : n.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? '–' : (a / b).toFixed(2);
const perRequest = (total: number | undefined, m: Measurement | undefined) =>
  total === undefined || !m || m.requests === 0 ? '–' : (total / m.requests).toFixed(2);
const mb = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(0));

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trimEnd();
  } catch {
    return '';
  }
}

function commandLine(): string {
  const args = process.argv.slice(2).map((arg) => (/^[\w./,=:-]+$/.test(arg) ? arg : `'${arg}'`));
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
  return `npx tsx bench/run.ts${args.length ? ` ${args.join(' ')}` : ''}`;
}

function datasetTable(run: DatasetRun): string[] {
  const { dataset } = run;
  const lines: string[] = [];
  const extra = dataset.heroes - dataset.scale;
  lines.push(
    `## S = ${int(dataset.scale)}`,
    '',
    `Database \`${dataset.database}\`: ${int(dataset.heroes)} heroes` +
      (extra > 0 ? ` (${int(extra)} of them only in the Giant team)` : '') +
      `, ${int(dataset.teams)} teams (${int(dataset.teams - 1)} of 50 heroes, team ${dataset.giantTeamId} "Giant" of ` +
      `${int(GIANT_SIZE)}), ${int(dataset.links)} links; checksum \`${dataset.checksum}\`` +
      (dataset.loaded ? `, loaded in ${(dataset.ms / 1000).toFixed(1)} s.` : ', already loaded.'),
    '',
    '| query | req/s | p50 ms | p99 ms | floor req/s | floor p50 ms | floor p99 ms | server/floor req/s | ' +
      'SQL statements/request | server CPU ms/request | PostgreSQL CPU ms/request (server / floor) | peak RSS MB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const query of queries) {
    const row = run.rows[query.key] ?? {};
    const { server, floor } = row;
    const sql = run.sql[query.key];
    const statements = sql
      ? sql.first === sql.second
        ? `${sql.second}`
        : `${sql.second} (first request: ${sql.first})`
      : '–';
    lines.push(
      `| ${query.label}${row.failure ? ' **FAILED**' : ''} | ${rate(server?.rps)} | ${ms(server?.p50)} | ${ms(server?.p99)} | ` +
        `${rate(floor?.rps)} | ${ms(floor?.p50)} | ${ms(floor?.p99)} | **${ratio(server?.rps, floor?.rps)}** | ` +
        `${statements} | ${perRequest(server?.serverCpuMs, server)} | ` +
        `${perRequest(server?.pgCpuMs, server)} / ${perRequest(floor?.pgCpuMs, floor)} | ${mb(row.rssAfterMb)} |`,
    );
  }
  lines.push('');
  const q3 = run.rows.Q3?.server;
  const q3n = run.rows.Q3n?.server;
  lines.push(
    `Peak RSS of the server process (VmHWM): ${mb(run.rssStart)} MB once started (before any request), ` +
      `${mb(run.rssAfterQ2?.peak)} MB after the Q2 load, ` +
      `${mb(run.rssEnd?.peak)} MB at the end (RSS then ${mb(run.rssEnd?.current)} MB).`,
    `Giant team vs a 50-hero team, same Q3: p50 ×${ratio(q3?.p50, q3n?.p50)}, ` +
      `time per request (1/req/s) ×${ratio(q3n?.rps, q3?.rps)}; ` +
      `floor: p50 ×${ratio(run.rows.Q3?.floor?.p50, run.rows.Q3n?.floor?.p50)}.`,
    'Answers: ' +
      queries
        .map((query) => {
          const s = run.samples[query.key];
          if (!s) return `${query.key} –`;
          const counts = Object.entries(s.counts)
            .map(([k, v]) => `${int(v)} ${k}`)
            .join(', ');
          return `${query.key} ${(s.bytes / 1024).toFixed(1)} KB (${counts}; floor ${s.floorIdentical ? 'identical' : 'same counts, different data'})`;
        })
        .join('; ') +
      '.',
  );
  for (const note of run.notes) lines.push(`**Note:** ${note}`);
  const failures = queries.filter((q) => run.rows[q.key]?.failure);
  for (const query of failures) lines.push(`**${query.key} failed:** ${run.rows[query.key]!.failure}`);
  lines.push('');
  return lines;
}

function growthTable(runs: DatasetRun[]): string[] {
  const base = runs[0]!;
  const p50 = (run: DatasetRun, key: string, side: 'server' | 'floor') => run.rows[key]?.[side]?.p50;
  const rps = (run: DatasetRun, key: string) => run.rows[key]?.server?.rps;
  const lines = [
    `## Growth (ratios to S = ${int(base.dataset.scale)})`,
    '',
    '"time ×" is 1/req/s relative to the base size: the mean time per request, which autocannon measures over ' +
      'every request and so drifts less than a percentile.',
    '',
    '| S | links | Q1 p50 ms | Q1 p50 × | Q1 time × | floor Q1 p50 × | Q3 Giant p50 ms | Q3 p50 × | Q3 time × | ' +
      'floor Q3 p50 × | Q3 50-hero p50 ms | Giant / 50-hero p50 | Giant / 50-hero time |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const run of runs) {
    lines.push(
      `| ${int(run.dataset.scale)} | ${int(run.dataset.links)} | ${ms(p50(run, 'Q1', 'server'))} | ` +
        `**${ratio(p50(run, 'Q1', 'server'), p50(base, 'Q1', 'server'))}** | ${ratio(rps(base, 'Q1'), rps(run, 'Q1'))} | ` +
        `${ratio(p50(run, 'Q1', 'floor'), p50(base, 'Q1', 'floor'))} | ${ms(p50(run, 'Q3', 'server'))} | ` +
        `**${ratio(p50(run, 'Q3', 'server'), p50(base, 'Q3', 'server'))}** | ${ratio(rps(base, 'Q3'), rps(run, 'Q3'))} | ` +
        `${ratio(p50(run, 'Q3', 'floor'), p50(base, 'Q3', 'floor'))} | ${ms(p50(run, 'Q3n', 'server'))} | ` +
        `**${ratio(p50(run, 'Q3', 'server'), p50(run, 'Q3n', 'server'))}** | ${ratio(rps(run, 'Q3n'), rps(run, 'Q3'))} |`,
    );
  }
  lines.push('');
  return lines;
}

function targets(runs: DatasetRun[]): string[] {
  const mark = (ok: boolean | undefined) => (ok === undefined ? '?' : ok ? 'met' : '**not met**');
  const lines = ['## Against the targets of BENCHMARK.md', ''];
  for (const run of runs) {
    const s = `S = ${int(run.dataset.scale)}`;
    const stmts = (key: string) => run.sql[key]?.second;
    const half = (key: string) => {
      const row = run.rows[key];
      return row?.server && row.floor ? row.server.rps / row.floor.rps >= 0.5 : undefined;
    };
    lines.push(
      `- ${s}: Q1 at most 2 statements (${stmts('Q1')}): ${mark(stmts('Q1') === undefined ? undefined : stmts('Q1')! <= 2)}; ` +
        `Q2 at most 3 (${stmts('Q2')}): ${mark(stmts('Q2') === undefined ? undefined : stmts('Q2')! <= 3)}; ` +
        `at least half the floor's req/s: Q1 ${mark(half('Q1'))}, Q2 ${mark(half('Q2'))}, Q3 ${mark(half('Q3'))}; ` +
        `peak RSS under the Q2 load below 300 MB (${mb(run.rssAfterQ2?.peak)}): ` +
        `${mark(run.rssAfterQ2 ? run.rssAfterQ2.peak < 300 : undefined)}.`,
    );
  }
  if (runs.length > 1) {
    const base = runs[0]!;
    const last = runs[runs.length - 1]!;
    const growth = (key: string) => {
      const a = base.rows[key]?.server?.p50;
      const b = last.rows[key]?.server?.p50;
      return a && b ? b / a <= 1.5 : undefined;
    };
    lines.push(
      `- Growth, S = ${int(last.dataset.scale)} within 1.5× of S = ${int(base.dataset.scale)} (p50): ` +
        `Q1 ${mark(growth('Q1'))}, Q3 ${mark(growth('Q3'))}.`,
    );
  }
  for (const run of runs) {
    const scanned = new Set(Object.values(run.sql).flatMap((sql) => sql.seqScans.flat()));
    lines.push(
      `- S = ${int(run.dataset.scale)}: no full scan of a table of 1,000 rows or more (EXPLAIN of every statement of Q1 to Q3): ` +
        `${mark(scanned.size === 0)}${scanned.size ? ` (${[...scanned].join(', ')})` : ''}.`,
    );
  }
  for (const run of runs) {
    const a = run.rows.Q3?.server?.p50;
    const b = run.rows.Q3n?.server?.p50;
    lines.push(
      `- S = ${int(run.dataset.scale)}: the Giant team costs what a 50-hero team costs (Q3 p50 within 1.5×): ` +
        `${mark(a && b ? a / b <= 1.5 : undefined)}.`,
    );
  }
  const peer = runs.find((r) => r.dataset.scale === 10_000) ?? runs[0]!;
  lines.push(
    `- Twice the peer (PostGraphile, reported 160 req/s on Q1 and 16 on Q2 on this machine, not measured in this run, ` +
      `so indicative only), S = ${int(peer.dataset.scale)}: Q1 ${rate(peer.rows.Q1?.server?.rps)} req/s, ` +
      `Q2 ${rate(peer.rows.Q2?.server?.rps)} req/s.`,
    '',
  );
  return lines;
}

function statementsSection(run: DatasetRun): string[] {
  const lines = [
    `## SQL statements of one request (S = ${int(run.dataset.scale)}, from the server's query log)`,
    '',
    'Each with its plan checked by EXPLAIN on the same data and parameters: a statement that reads a whole table of 1,000 rows or more says so.',
    '',
  ];
  for (const query of queries) {
    const sql = run.sql[query.key];
    if (!sql) continue;
    lines.push(`- ${query.key}:`);
    sql.statements.forEach((statement, i) => {
      const flat = statement.replace(/\s+/g, ' ').trim();
      const scans = sql.seqScans[i] ?? [];
      const plan = scans.length ? ` **reads whole: ${scans.join(', ')}**` : '';
      lines.push(`  - \`${flat.length > 220 ? `${flat.slice(0, 220)}…` : flat}\`${plan}`);
    });
  }
  lines.push('');
  return lines;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const measurements = options.scales.length * queries.length * 2;
  const budgetS = 180 + options.scales.length * 240 + measurements * (options.warmup + options.duration + 20);
  const deadline = setTimeout(() => {
    progress(`the run went over its time limit of ${budgetS} s: stopping`);
    void stopEverything().finally(() => process.exit(2));
  }, budgetS * 1000);
  deadline.unref();

  progress('building the server (npm run build)');
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });

  const started = new Date();
  const adminUrl = process.env.BENCH_DATABASE_URL ?? defaultAdminUrl;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const pgVersion =
    (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v ?? '?';
  await admin.end();
  const commit = git(['rev-parse', '--short', 'HEAD']) || 'unknown';
  const dirty = git(['status', '--porcelain', '--', '.', ':(exclude)bench'])
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3));
  progress(
    `${commandLine()}: data sets ${options.scales.join(', ')}; ${options.warmup} s warm-up + ${options.duration} s ` +
      `per measurement, ${options.connections} connections; time limit ${budgetS} s`,
  );

  const runs: DatasetRun[] = [];
  for (const scale of options.scales) {
    const dataset = await ensureDataset({ scale, adminUrl, log: progress });
    runs.push({ dataset, sql: {}, samples: {}, rows: {}, notes: [], sourceVersion: '' });
  }
  for (const run of runs) {
    run.sql = await countSql(run.dataset);
    progress(
      `SQL statements per request on S=${run.dataset.scale}: ` +
        queries.map((q) => `${q.key} ${run.sql[q.key]?.second}`).join(', '),
    );
  }

  // Every data set gets its own server, all started up front, and the measurements of one query
  // on the different sizes follow each other, so drift on the machine spreads over the sizes.
  const servers = new Map<DatasetRun, Server>();
  let failed = false;
  try {
    for (const run of runs) {
      run.sourceVersion = sourceVersion();
      const server = await startServer(run.dataset);
      servers.set(run, server);
      run.rssStart = server.startRssMb;
    }
    for (const run of runs) {
      const db = new Client({ connectionString: run.dataset.url });
      await db.connect();
      try {
        for (const query of queries) run.samples[query.key] = await sample(servers.get(run)!, query, db);
      } finally {
        await db.end();
      }
    }
    progress('sample answers checked: expected shapes, no errors, the floor returns the same rows');

    for (const query of queries) {
      for (const run of runs) {
        const where = `${query.key} S=${run.dataset.scale}`;
        for (let attempt = 1; ; attempt++) {
          const server = servers.get(run)!;
          try {
            run.rows[query.key] = await measureRow(server, query, run.samples[query.key]!.body, options, where);
            break;
          } catch (error) {
            const message = (error as Error).message;
            if (attempt === 1 && (await stoppedFromOutside(server))) {
              // The machine is shared: a server stopped from outside (it has happened) is started
              // again and the measurement repeated once, and the report says so.
              const changed = sourceVersion() !== run.sourceVersion;
              const note =
                `The server of S=${run.dataset.scale} stopped during ${where} (${exitDescription(server)}); ` +
                'it was started again and the measurement repeated. Peak RSS figures from then on are those of the ' +
                'new process.' +
                (changed
                  ? ' **The source tree had changed since the run started, so the new process runs different code.**'
                  : '');
              progress(`${note}\n${server.output.join('').slice(-2000)}`);
              run.notes.push(note);
              servers.set(run, await startServer(run.dataset));
              continue;
            }
            failed = true;
            run.rows[query.key] = { failure: message.split('\n')[0] };
            progress(`${where} FAILED: ${message}`);
            if (exited(server.child)) throw new Error(`The server exited again:\n${server.output.join('')}`);
            break;
          }
        }
        if (query.key === 'Q2') run.rssAfterQ2 = memoryMb(servers.get(run)!.pid);
      }
    }
    for (const run of runs) run.rssEnd = memoryMb(servers.get(run)!.pid);
  } finally {
    await Promise.all([...servers.values()].map((server) => stopChild(server.child, 15_000)));
  }

  const growth = runs.length > 1;
  const report = [
    `# Benchmark: GraphQL server vs the SQL floor${options.quick ? ' (quick)' : ''}`,
    '',
    `- Command: \`${commandLine()}\``,
    `- Date: ${started.toISOString()}; took ${Math.round((Date.now() - started.getTime()) / 1000)} s`,
    `- Node ${process.version}, PostgreSQL ${pgVersion}, ${os.cpus().length} CPUs, load average at start ` +
      `${os
        .loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
    `- Commit ${commit}` +
      (dirty.length > 0 ? ` plus uncommitted changes outside bench/ (${dirty.join(', ')})` : ' (clean outside bench/)'),
    `- Each measurement: ${options.warmup} s warm-up (discarded), then ${options.duration} s, ${options.connections} ` +
      'connections. Server: `node dist/src/server.js` (npm run build), NODE_ENV=production, PG_POOL_MAX=10, loaded by ' +
      'autocannon in a separate process (bench/load.ts); floor: one SQL statement per request through `pg`, ' +
      `${options.connections} clients, in a separate process (bench/floor.ts).`,
    "- SQL statements per request: counted with the server's own query log (Prisma query events through `onQuery` " +
      'of src/db.ts, as `recordSql` in the tests does), one request through `yoga.fetch` in a separate process on ' +
      'the same database (bench/sql-count.ts).',
    '- Every response of every measurement was a 200 byte-identical to the checked sample (no GraphQL errors), ' +
      'unless a row says FAILED.',
    '',
    ...runs.flatMap((run) => datasetTable(run)),
    ...(growth ? growthTable(runs) : []),
    ...targets(runs),
    ...statementsSection(runs.find((r) => r.dataset.scale === 10_000) ?? runs[0]!),
  ].join('\n');
  console.log(report);
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, report);
  progress(`report written to ${path.relative(process.cwd(), options.out)}`);
  clearTimeout(deadline);
  if (failed) process.exitCode = 1;
}

main()
  .catch((error: unknown) => {
    progress(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => stopEverything());
