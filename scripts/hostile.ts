// Hostile clients against the server (its own process, in production mode, on a scratch PostgreSQL
// database holding the bench data set plus rows made for big answers). Each scenario is bounded in
// time; meanwhile GET /live is probed every 200 ms on the public port and on METRICS_PORT's listener
// (the probes' own port: src/http/management-listener.ts), and the server's RSS sampled every
// 100 ms, from a worker thread of their own so that the load generator's work does not delay them.
//
//   npm run hostile -- [--scale 10000] [--seconds 20] [--only storm,non-reading,costly,burst]
//                      [--burst-scale 1000] [--storm-clients 300] [--smoke]
//                      [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
//
// Scenarios (--only takes names or prefixes: `costly` is the three costly-* ones, `burst` the two
// burst-* ones):
//   storm          --storm-clients (300) clients in a loop, each sending the costliest query allowed (a 3-level cycle
//                  teams → heroes → teams of cost just under MAX_COMPLEXITY), ignoring Retry-After;
//   fairness       60 connections from one address in a loop sending that costliest query, and a
//                  polite client at another address (127.0.0.2) sending a small query every 100 ms:
//                  how many of the polite client's requests are answered, and how fast;
//   non-reading    60 raw TCP clients that pipeline three POSTs of the biggest answer the server
//                  gives (24 MB asked for, under MAX_RESPONSE_BYTES once that refuses it) and never read,
//                  and 100 that send one such POST and never read (a closed one is replaced until
//                  the end); 2 polite clients meanwhile send a small query every 250 ms;
//   costly-nodes   10 clients: nodes(ids:) with MAX_IDS distinct ids in as many aliases as the cost
//                  limit admits (at most MAX_ALIASES);
//   costly-like    10 clients: heroes(where: { nameContains: 200 characters of `%_` }) × 15 aliases;
//   costly-giant   10 clients: 14 aliased pages of the Giant team (100,000 heroes) ordered by NAME
//                  and by AGE from cursors deep in the list, first: 100;
//   burst-postgresql  a server of its own, as a new user starts it (development mode, every bound at
//                  its default) on a second scratch database holding the bench data set at
//                  --burst-scale (1,000): 3 rounds of 1,000 concurrent small reads, then 3 of 200
//                  concurrent small writes (createTeam), each request on a connection of its own;
//   burst-embedded the same on the embedded PGlite database in a fresh data folder: 3 rounds of 200
//                  concurrent small reads, then 3 of 100 concurrent small writes.
// --smoke is a short run for CI: S = 1,000 (the bursts use the same database), 8 s per scenario, the non-reading one 15 s (secondsOf; in 3 s, the
// polite clients of non-reading could all meet the first flood and its 2 s queue deadline);
// it fails (exit 1) on a masked error, an answer that is not JSON, a server that died, or a
// scenario in which no request got data, but not on timings, which a shared machine cannot promise.
// The scratch databases are dropped at the end, also after an error or Ctrl-C.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Client } from 'pg';
import { databaseUrl, datasetShape, ensureDataset } from '../bench/dataset';
import { memoryMb, productionNodeFlags } from '../bench/proc';
import { commandLine, provenance, provenanceLines } from '../bench/provenance';
import { percentile } from '../bench/stats';
import { freePort } from '../test/support/ports';
import { type ServerProcess, startServer } from '../test/support/server-process';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '20' },
    'database-url': {
      type: 'string',
      default: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    },
    only: { type: 'string' },
    'burst-scale': { type: 'string', default: '1000' },
    // Clients of the storm: 300 maximal queries at once.
    'storm-clients': { type: 'string', default: '300' },
    smoke: { type: 'boolean', default: false },
    // A server variable to set instead of its default, e.g. --set MAX_COST_IN_FLIGHT=150000.
    set: { type: 'string', multiple: true },
  },
});
const overrides = Object.fromEntries(
  (values.set ?? []).map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--set ${pair}: expected NAME=VALUE`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const smoke = values.smoke === true;
const scale = smoke ? 1000 : Number(values.scale);
const burstScale = smoke ? scale : Number(values['burst-scale']);
const seconds = smoke ? 8 : Number(values.seconds);
/**
 * How long a scenario runs. In the smoke run, the non-reading one gets 15 s, as in the full run:
 * its first seconds are the non-readers' flood (160 connections, each answer 9 MB), which on CI's
 * busy machine can take most of 8 s before the polite clients' first answer.
 */
const secondsOf = (name: ScenarioName) => (smoke && name === 'non-reading' ? 15 : seconds);
const stormClients = Number(values['storm-clients']);
if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--seconds must be a positive number`);
const shape = datasetShape(scale);
const admin = databaseUrl(values['database-url'], 'postgres');
const dbName = `heroes_hostile_${process.pid}`;
// The report's source (bench/provenance.ts): taken at start, as the run is what it measures.
const source = provenance(commandLine('scripts/hostile.ts'));
const runStarted = new Date();
const loadAtStart = os.loadavg();

const allScenarios = [
  'storm',
  'fairness',
  'non-reading',
  'costly-nodes',
  'costly-like',
  'costly-giant',
  'burst-postgresql',
  'burst-embedded',
] as const;
type ScenarioName = (typeof allScenarios)[number];
const only = values.only?.split(',').map((name) => name.trim());
const chosen = allScenarios.filter((name) => !only || only.some((o) => name === o || name.startsWith(`${o}-`)));
if (chosen.length === 0) throw new Error(`--only ${values.only} names no scenario (${allScenarios.join(', ')})`);

// Rows for big answers: heroes and teams whose names (and the teams' headquarters) are 200 × U+0001,
// which JSON writes as \u0001: 1,200 bytes a name. Each extra hero is in 10 extra teams.
const EXTRA_HEROES = 1000;
const EXTRA_TEAMS = 100;
const TEAMS_PER_EXTRA_HERO = 10;
const LONG = '\u0001'.repeat(200);
const firstExtraHero = shape.heroes + 1;
const firstExtraTeam = shape.giantTeamId + 1;

const base64 = (text: string) => Buffer.from(text).toString('base64');
const base64url = (text: string) => Buffer.from(text).toString('base64url');
const globalId = (type: 'Hero' | 'Team', id: number) => base64(`${type}:${id}`);
const cursor = (field: string, id: number, key?: string | number | null) =>
  base64url(JSON.stringify(field === 'ID' ? [field, id] : [field, id, key]));

// ---------------------------------------------------------------------------------------------
// State that cleanup must reach, whatever point the run got to.

let server: ServerProcess | undefined;
let probe: Worker | undefined;
/** Scratch databases this run created, to drop at the end. */
const databasesCreated: string[] = [];
/** Data folders of embedded servers this run started, to remove at the end. */
const foldersCreated: string[] = [];
/** Servers of the burst scenarios, besides the main one. */
const burstServers = new Set<ServerProcess>();
const openSockets = new Set<net.Socket>();
const agents = new Set<http.Agent>();
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const socket of openSockets) socket.destroy();
    for (const agent of agents) agent.destroy();
    await probe?.terminate().catch(() => {});
    for (const running of [server, ...burstServers]) if (running) await stopServer(running);
    for (const folder of foldersCreated) rmSync(folder, { recursive: true, force: true });
    for (const name of databasesCreated) {
      const setup = new Client({ connectionString: admin });
      try {
        await setup.connect();
        await setup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        console.log(`dropped database ${name}`);
      } catch (error) {
        console.error(`could not drop database ${name}:`, error instanceof Error ? error.message : error);
      } finally {
        await setup.end().catch(() => {});
      }
    }
  })();
  return cleaning;
}

async function stopServer(running: ServerProcess): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill('SIGTERM');
  const killer = setTimeout(() => running.child.kill('SIGKILL'), 15_000);
  await running.exited;
  clearTimeout(killer);
}

async function createDatabase(name: string): Promise<void> {
  const setup = new Client({ connectionString: admin });
  await setup.connect();
  try {
    await setup.query(`CREATE DATABASE "${name}"`);
    databasesCreated.push(name);
  } finally {
    await setup.end();
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping the server and dropping ${dbName}`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Statistics.

class Tally {
  readonly statuses = new Map<string, number>();
  readonly codes = new Map<string, number>();
  masked = 0;
  readonly latencies: number[] = [];
  readonly dataLatencies: number[] = [];
  readonly examples = new Map<string, string>();

  add(map: Map<string, number>, key: string, n = 1) {
    map.set(key, (map.get(key) ?? 0) + n);
  }

  /** Records one answered request: its status and what its body says (masked: errors counted). */
  answer(status: number, body: string, ms: number) {
    this.add(this.statuses, String(status));
    this.latencies.push(ms);
    const outcome = classify(body);
    // Per request: its distinct codes ("+" between them), "data" when it holds no error.
    const distinct = [...new Set(outcome.codes)].sort();
    if (distinct.length > 0) this.add(this.codes, distinct.join('+'));
    else {
      this.add(this.codes, outcome.data ? 'data' : 'NO_DATA_NO_ERRORS');
      if (outcome.data) this.dataLatencies.push(ms);
    }
    this.masked += outcome.masked;
    for (const code of outcome.codes) if (!this.examples.has(code)) this.examples.set(code, outcome.message);
  }

  failure(kind: string) {
    this.add(this.statuses, kind);
  }

  get requests() {
    let n = 0;
    for (const count of this.statuses.values()) n += count;
    return n;
  }
}

/** What an answer says: its error codes, how many of them are masked, whether it carries data. */
function classify(body: string): { codes: string[]; masked: number; data: boolean; message: string } {
  // Data answers can be tens of MB: they are parsed only when they hold errors.
  if (!body.includes('"errors"')) {
    const data = body.startsWith('{"data":{') || body.includes('"data":{');
    return { codes: [], masked: 0, data, message: '' };
  }
  let errors: { message?: string; extensions?: { code?: string } }[] = [];
  let data = false;
  try {
    if (body.length < 4_000_000) {
      const parsed = JSON.parse(body) as { errors?: typeof errors; data?: unknown };
      errors = parsed.errors ?? [];
      data = parsed.data !== null && parsed.data !== undefined;
    } else {
      // Too big to parse cheaply: the codes and messages by pattern.
      for (const match of body.matchAll(/"message":"((?:[^"\\]|\\.)*)"[^{}]*?(?:"code":"([A-Z_]+)")?/g)) {
        errors.push({ message: match[1], extensions: { code: match[2] } });
      }
      data = true;
    }
  } catch {
    return { codes: ['NOT_JSON'], masked: 0, data: false, message: body.slice(0, 200) };
  }
  const codes = errors.map((error) => error.extensions?.code ?? 'NO_CODE');
  const masked = errors.filter(
    (error) => error.extensions?.code === 'INTERNAL_SERVER_ERROR' || /Unexpected error/.test(error.message ?? ''),
  ).length;
  return { codes, masked, data, message: (errors[0]?.message ?? '').slice(0, 200) };
}

// ---------------------------------------------------------------------------------------------
// HTTP, as well-behaved clients do it (keep-alive, reading every answer).

interface Answer {
  status: number;
  body: string;
  ms: number;
}

function post(
  agent: http.Agent,
  url: string,
  payload: string,
  timeoutMs: number,
  localAddress?: string,
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${url}/graphql`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        timeout: timeoutMs,
        // Another client address on the loopback interface (all of 127.0.0.0/8 is local).
        localAddress,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('client timeout')));
    request.on('error', reject);
    request.end(payload);
  });
}

const body = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });

/** `clients` loops, each sending what `next()` makes until the deadline; answers are tallied. */
async function loadLoop(
  url: string,
  tally: Tally,
  clients: number,
  deadline: number,
  next: () => string,
  pauseMs = 0,
  localAddress?: string,
): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  agents.add(agent);
  const loop = async () => {
    while (Date.now() < deadline) {
      try {
        const answer = await post(agent, url, next(), 60_000, localAddress);
        tally.answer(answer.status, answer.body, answer.ms);
      } catch (error) {
        tally.failure(
          error instanceof Error && error.message === 'client timeout' ? 'client timeout' : 'network error',
        );
      }
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  agent.destroy();
  agents.delete(agent);
}

// ---------------------------------------------------------------------------------------------
// The /live prober and RSS sampler, on a thread of their own.

/** The probes of one listener: the public port, or METRICS_PORT's (src/http/management-listener.ts). */
interface LiveReport {
  live: number[];
  liveFailures: number;
  /** Probes over 500 ms: the whole probe and the part of it spent connecting, in ms. */
  slow: { took: number; connect: number }[];
}

interface ProbeReport {
  public: LiveReport;
  management: LiveReport;
  rss: number[];
}

const probeSource = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const fs = require('node:fs');
const { urls, pid } = workerData;
const rss = [];
const rssTimer = setInterval(() => {
  try {
    const match = /VmRSS:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/' + pid + '/status', 'utf8'));
    if (match) rss.push(Number(match[1]) * 1024);
  } catch {}
}, 100);
const reports = {};
const timers = Object.entries(urls).map(([name, url]) => {
  const report = (reports[name] = { live: [], liveFailures: 0, slow: [] });
  return setInterval(() => {
    const started = performance.now();
    let connected = NaN;
    // A new connection each time, as an orchestrator's probe makes it.
    const request = http.get(url + '/live', { agent: false, timeout: 10000 }, (response) => {
      response.resume();
      response.on('end', () => {
        const took = performance.now() - started;
        report.live.push(took);
        // A slow probe split into its connection and its answer: a connection waiting in the
        // listen queue, or a SYN the kernel retransmitted, shows in the first; a late server in the second.
        if (took > 500) report.slow.push({ took, connect: connected - started });
        if (response.statusCode !== 200) report.liveFailures++;
      });
    });
    request.on('socket', (socket) => socket.once('connect', () => (connected = performance.now())));
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => {
      report.live.push(performance.now() - started);
      report.liveFailures++;
    });
  }, 200);
});
parentPort.on('message', () => {
  clearInterval(rssTimer);
  for (const timer of timers) clearInterval(timer);
  // Probes still pending are as slow as they are so far.
  parentPort.postMessage({ ...reports, rss });
});
`;

function startProbe(urls: { public: string; management: string }, pid: number): { stop: () => Promise<ProbeReport> } {
  const worker = new Worker(probeSource, { eval: true, workerData: { urls, pid } });
  probe = worker;
  // Without a listener from the start, a prober that fails (its source does not compile, it
  // throws) would end this process before cleanup() stops the server and drops the database.
  let failed: unknown;
  worker.on('error', (error) => (failed = error));
  return {
    stop: () =>
      new Promise<ProbeReport>((resolve, reject) => {
        if (failed !== undefined) return reject(failed);
        worker.once('message', (report: ProbeReport) => {
          void worker.terminate();
          probe = undefined;
          resolve(report);
        });
        worker.once('error', reject);
        worker.postMessage('stop');
      }),
  };
}

/** The server's resident set now, in bytes. */
function rssOf(pid: number): number {
  return (memoryMb(pid)?.current ?? NaN) * 1024 * 1024;
}

/** The server's peak resident set (VmHWM), in bytes. */
function hwmOf(pid: number): number {
  return (memoryMb(pid)?.peak ?? NaN) * 1024 * 1024;
}

// ---------------------------------------------------------------------------------------------
// The operations.

/** The storm's query: teams → heroes → teams, with the top page size making its cost. */
function stormQuery(teams: number): string {
  return `{ teams(first: ${teams}) { edges { node { id name heroes(first: 50) { edges { node { id name teams(first: 6) { edges { node { id name } } } } } } } } } }`;
}

/**
 * The non-reading clients' query: 15 aliases over the long-name heroes with their long-name teams,
 * `page` heroes each (62: a 24 MB answer, as the issue's probe asked for).
 */
const BIG_ALIASES = 15;
const BIG_PAGE = 62;
function bigQuery(page: number): string {
  const aliases = Array.from({ length: BIG_ALIASES }, (_, i) => {
    const after = cursor('ID', firstExtraHero - 1 + i * page);
    return `a${i}: heroes(first: ${page}, after: "${after}") { edges { node { name teams(first: ${TEAMS_PER_EXTRA_HERO}) { edges { node { name headquarters } } } } } }`;
  });
  return `{ ${aliases.join(' ')} }`;
}

/**
 * nodes(ids:) with `perAlias` distinct ids in each of `aliases` aliases; the request body is
 * limited (MAX_BODY_BYTES, 100,000 by default), so the aliases share as many different lists as fit
 * in it, of the shortest ids (heroes 1..9999); `round` shifts the ids each time.
 */
function nodesRequest(aliases: number, perAlias: number, round: number, maxBody = 95_000): string {
  const pool = Math.min(shape.heroes, 9999);
  const list = (k: number) =>
    Array.from({ length: perAlias }, (_, j) => globalId('Hero', ((round * 7919 + k * perAlias + j) % pool) + 1));
  const make = (distinct: number) => {
    const vars = Array.from({ length: distinct }, (_, i) => `$i${i}: [ID!]!`).join(', ');
    const fields = Array.from(
      { length: aliases },
      (_, i) => `n${i}: nodes(ids: $i${i % distinct}) { id ... on Hero { name age } ... on Team { name } }`,
    ).join(' ');
    const variables: Record<string, string[]> = {};
    for (let i = 0; i < distinct; i++) variables[`i${i}`] = list(i);
    return body(`query (${vars}) { ${fields} }`, variables);
  };
  let distinct = Math.min(aliases, Math.floor(pool / perAlias));
  while (distinct > 1 && Buffer.byteLength(make(distinct)) > maxBody) distinct--;
  return make(distinct);
}

function distinctNodeIds(payload: string): number {
  const { variables } = JSON.parse(payload) as { variables: Record<string, string[]> };
  return new Set(Object.values(variables).flat()).size;
}

const LIKE_PATTERN = '%_'.repeat(100);
function likeRequest(aliases: number): string {
  const fields = Array.from(
    { length: aliases },
    (_, i) => `l${i}: heroes(first: 100, where: { nameContains: $p }) { totalCount edges { node { id name } } }`,
  ).join(' ');
  return body(`query ($p: String!) { ${fields} }`, { p: LIKE_PATTERN });
}

function giantRequest(): string {
  const names = ['Black Owl', 'Captain Wasp', 'Doctor Hawk', 'Iron Comet', 'Night Fox', 'Shadow Storm', 'Thunder Mole'];
  const ages: (number | null)[] = [20, 33, 46, 59, 72, 85, null];
  const pages = [
    ...names.map(
      (name, i) =>
        `n${i}: heroes(first: 100, orderBy: { field: NAME, direction: ${i % 2 ? 'DESC' : 'ASC'} }, after: "${cursor('NAME', 50_000, name)}") { edges { cursor node { id name age } } }`,
    ),
    ...ages.map(
      (age, i) =>
        `g${i}: heroes(first: 100, orderBy: { field: AGE, direction: ${i % 2 ? 'DESC' : 'ASC'} }, after: "${cursor('AGE', 50_000, age)}") { edges { cursor node { id name age } } }`,
    ),
  ];
  return body(`query ($t: ID!) { team(id: $t) { name ${pages.join(' ')} } }`, {
    t: globalId('Team', shape.giantTeamId),
  });
}

// ---------------------------------------------------------------------------------------------
// Non-reading clients: raw TCP, requests written and the socket never read.

function rawPost(host: string, port: number, payload: string): string {
  return (
    `POST /graphql HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: keep-alive\r\n\r\n${payload}`
  );
}

interface NonReadingStats {
  opened: number;
  closedByServer: number;
  connectErrors: number;
}

function nonReadingClients(url: string, payload: string, deadline: number): { done: Promise<NonReadingStats> } {
  const { hostname, port } = new URL(url);
  const stats: NonReadingStats = { opened: 0, closedByServer: 0, connectErrors: 0 };
  const one = rawPost(hostname, Number(port), payload);
  const open = (requests: number): Promise<void> =>
    new Promise((resolve) => {
      if (Date.now() >= deadline) return resolve();
      const socket = net.connect({ host: hostname, port: Number(port) });
      // Never read: the kernel's receive buffer fills, then the server's send buffer, then the
      // server's own memory holds the rest of the answers.
      socket.pause();
      openSockets.add(socket);
      stats.opened++;
      let connected = false;
      socket.on('connect', () => {
        connected = true;
        socket.write(one.repeat(requests));
      });
      socket.on('error', () => {
        if (!connected) stats.connectErrors++;
      });
      let givenUp = false;
      socket.on('close', () => {
        openSockets.delete(socket);
        if (!givenUp && Date.now() < deadline) {
          stats.closedByServer++;
          // A hostile client comes back at once.
          setTimeout(() => void open(requests).then(resolve), connected ? 0 : 100);
        } else resolve();
      });
      // At the deadline the client gives up and closes its connection.
      const timer = setTimeout(
        () => {
          givenUp = true;
          socket.destroy();
        },
        Math.max(0, deadline - Date.now()),
      );
      socket.on('close', () => clearTimeout(timer));
    });
  const done = Promise.all([
    ...Array.from({ length: 60 }, () => open(3)),
    ...Array.from({ length: 100 }, () => open(1)),
  ]).then(() => stats);
  return { done };
}

// ---------------------------------------------------------------------------------------------
// A scenario: the load, the probe, and what the server logged meanwhile.

interface Result {
  name: ScenarioName;
  what: string;
  tally: Tally;
  /** /live on the public port, and on METRICS_PORT's listener (the probes' port: docs/operations.md). */
  live: { public: LiveFigures; management: LiveFigures };
  rss: { start: number; peak: number; end: number; after: number };
  logLines: string[];
  notes: string[];
  /** Refusals by reason (http_requests_shed_total) during the scenario. */
  shed: Map<string, number>;
  /**
   * The server's own longest event-loop delay during the scenario (prom-client's
   * nodejs_eventloop_lag_max_seconds, reset at each scrape): a slow /live probe with a short one
   * was late in the load generator's process, not in the server.
   */
  loopMaxMs: number;
}

interface LiveFigures {
  max: number;
  p99: number;
  count: number;
  failures: number;
}

function liveFigures(report: LiveReport): LiveFigures {
  const live = [...report.live].sort((a, b) => a - b);
  return { max: live.at(-1) ?? NaN, p99: percentile(live, 99), count: live.length, failures: report.liveFailures };
}

const underASecond = (live: LiveFigures) => live.max < 1000 && live.failures === 0;

/** Each server's METRICS_PORT listener (its metrics and probes), by server. */
const managementUrls = new WeakMap<ServerProcess, string>();

function managementUrl(srv: ServerProcess): string {
  const url = managementUrls.get(srv);
  if (!url) throw new Error('a server started without startWithManagement');
  return url;
}

/**
 * Starts a server with METRICS_PORT (a free port on 127.0.0.1): the scenarios scrape its metrics
 * and probe its /live there, and on the public port.
 */
async function startWithManagement(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const srv = await startServer({ ...env, METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' }, npmStart);
  managementUrls.set(srv, `http://127.0.0.1:${port}`);
  return srv;
}

/** What the server's metrics are scraped with: in production the public port answers them only with it. */
const metricsToken = 'hostile-run-metrics-token';

/**
 * From the server's metrics: http_requests_shed_total by reason, and the longest event-loop delay
 * since the last scrape (NaN when not scraped).
 */
async function scrape(url: string): Promise<{ shed: Map<string, number>; loopMaxMs: number }> {
  const shed = new Map<string, number>();
  let loopMaxMs = NaN;
  try {
    const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    for (const match of text.matchAll(/^http_requests_shed_total\{reason="([a-z_]+)"\} (\d+)/gm)) {
      shed.set(match[1]!, Number(match[2]));
    }
    const lag = /^nodejs_eventloop_lag_max_seconds (\S+)/m.exec(text);
    if (lag) loopMaxMs = Number(lag[1]) * 1000;
  } catch {
    // A server that cannot be scraped: the scenario's other figures still say what happened.
  }
  return { shed, loopMaxMs };
}

/**
 * The kernel's TCP counters (/proc/net/netstat and /proc/net/snmp, as nstat reads them): a
 * dropped SYN or a full listen queue moves one of them.
 */
function tcpCounters(): Map<string, number> {
  const counters = new Map<string, number>();
  for (const file of ['/proc/net/netstat', '/proc/net/snmp']) {
    let lines: string[];
    try {
      lines = readFileSync(file, 'utf8').trim().split('\n');
    } catch {
      continue;
    }
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]!.split(/\s+/);
      const values = lines[i + 1]!.split(/\s+/);
      for (let j = 1; j < names.length; j++) counters.set(`${names[0]}${names[j]}`, Number(values[j]));
    }
  }
  return counters;
}

/** The counters that say why a connection was slow to open, and how much each moved. */
function tcpDelta(before: Map<string, number>, after: Map<string, number>): string {
  const telling = /Listen|Syn|PAWS|TW|ReqQ|Cookie|Retrans|AttemptFails|EstabResets|OutRsts|PassiveOpens/;
  return (
    [...after]
      .filter(([name, value]) => telling.test(name) && value !== (before.get(name) ?? value))
      .map(([name, value]) => `${name.replace(/^(TcpExt|Tcp):/, '$1 ')} +${value - before.get(name)!}`)
      .join(', ') || 'none moved'
  );
}

async function runScenario(
  srv: ServerProcess,
  name: ScenarioName,
  what: string,
  load: (deadline: number, tally: Tally, notes: string[]) => Promise<void>,
): Promise<Result> {
  const pid = srv.child.pid!;
  const tally = new Tally();
  const notes: string[] = [];
  const logStart = srv.output().length;
  const rssStart = rssOf(pid);
  const management = managementUrl(srv);
  const { shed: shedBefore } = await scrape(management);
  console.log(`\n== ${name}: ${what} (${secondsOf(name)} s)`);
  const tcpBefore = tcpCounters();
  const prober = startProbe({ public: srv.url, management }, pid);
  const started = Date.now();
  await load(started + secondsOf(name) * 1000, tally, notes);
  const elapsed = (Date.now() - started) / 1000;
  const report = await prober.stop();
  const shed = new Map<string, number>();
  const after = await scrape(management);
  for (const [reason, count] of after.shed) {
    const delta = count - (shedBefore.get(reason) ?? 0);
    if (delta > 0) shed.set(reason, delta);
  }
  const rssEnd = rssOf(pid);
  // What the process holds once the clients are gone and it had a moment to collect.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const rssAfter = rssOf(pid);
  const logLines = srv
    .output()
    .slice(logStart)
    .split('\n')
    .filter((line) => line.trim() !== '');
  const result: Result = {
    name,
    what,
    tally,
    live: { public: liveFigures(report.public), management: liveFigures(report.management) },
    rss: { start: rssStart, peak: Math.max(rssStart, rssEnd, ...report.rss), end: rssEnd, after: rssAfter },
    logLines,
    notes: [
      `ran ${elapsed.toFixed(1)} s`,
      ...notes,
      ...(['public', 'management'] as const).map(
        (port) =>
          `/live probes ${port === 'public' ? 'of the public port' : 'of METRICS_PORT'} over 500 ms (whole, of which connecting): ${
            report[port].slow.map((p) => `${ms(p.took)} (${ms(p.connect)})`).join(', ') || 'none'
          }`,
      ),
      `kernel TCP counters meanwhile: ${tcpDelta(tcpBefore, tcpCounters())}`,
    ],
    shed,
    loopMaxMs: after.loopMaxMs,
  };
  printResult(result);
  return result;
}

const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
const ms = (value: number) => (Number.isNaN(value) ? '–' : `${Math.round(value)} ms`);
const counts = (map: Map<string, number>) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([key, n]) => `${key}: ${n}`)
    .join(', ') || '–';

function printResult(r: Result) {
  const lat = [...r.tally.latencies].sort((a, b) => a - b);
  const dataLat = [...r.tally.dataLatencies].sort((a, b) => a - b);
  console.log(`requests: ${r.tally.requests}`);
  console.log(`  by HTTP status: ${counts(r.tally.statuses)}`);
  console.log(`  by extensions.code: ${counts(r.tally.codes)}`);
  for (const [code, message] of r.tally.examples) console.log(`    ${code}: "${message}"`);
  console.log(`  masked errors (INTERNAL_SERVER_ERROR / Unexpected error): ${r.tally.masked}`);
  console.log(`  refused by reason (http_requests_shed_total): ${counts(r.shed)}`);
  console.log(`  latency of answered requests: p50 ${ms(percentile(lat, 50))}, p99 ${ms(percentile(lat, 99))}`);
  console.log(`  latency of answers with data: p50 ${ms(percentile(dataLat, 50))}, p99 ${ms(percentile(dataLat, 99))}`);
  for (const [port, live] of [
    ['public port', r.live.public],
    ['METRICS_PORT', r.live.management],
  ] as const) {
    console.log(
      `/live on the ${port}: ${live.count} probes, ${live.failures} failed, max ${ms(live.max)}, p99 ${ms(live.p99)}: ` +
        (underASecond(live) ? 'under 1 s' : 'NOT under 1 s'),
    );
  }
  console.log(`the server's event loop at most ${ms(r.loopMaxMs)} late`);
  console.log(
    `RSS: ${mb(r.rss.start)} at start, peak ${mb(r.rss.peak)}, ${mb(r.rss.end)} at the end, ${mb(r.rss.after)} 3 s later`,
  );
  console.log(`server log: ${r.logLines.length} lines`);
  // Lines that start an entry (not a stack frame or an error's fields), alike up to their numbers.
  const kinds = new Map<string, number>();
  for (const line of r.logLines) {
    if (/^\s|^[}\]]/.test(line)) continue;
    const kind = line
      .replace(/\x1b\[[0-9;]*m/g, '')
      .replace(/\d+/g, 'N')
      .slice(0, 160);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  for (const [kind, n] of kinds) console.log(`  | ${n} × ${kind}`);
  for (const note of r.notes) console.log(`note: ${note}`);
}

function table(results: Result[]): string {
  const rows = results.map((r) => {
    const lat = [...r.tally.latencies].sort((a, b) => a - b);
    return [
      r.name,
      String(r.tally.requests),
      counts(r.tally.statuses),
      counts(r.tally.codes),
      String(r.tally.masked),
      ms(percentile(lat, 50)),
      ms(percentile(lat, 99)),
      counts(r.shed),
      ms(r.live.public.max),
      ms(r.live.public.p99),
      underASecond(r.live.public) ? 'yes' : `no (${r.live.public.failures} failed)`,
      ms(r.live.management.max),
      underASecond(r.live.management) ? 'yes' : `no (${r.live.management.failures} failed)`,
      ms(r.loopMaxMs),
      mb(r.rss.peak),
      String(r.logLines.length),
    ];
  });
  const head = [
    'scenario',
    'requests',
    'by HTTP status',
    'by extensions.code',
    'masked',
    'p50',
    'p99',
    'refused by reason',
    '/live max',
    '/live p99',
    '/live < 1 s',
    'METRICS_PORT /live max',
    'METRICS_PORT /live < 1 s',
    'server loop max delay',
    'peak RSS',
    'log lines',
  ];
  return [head, head.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

// ---------------------------------------------------------------------------------------------

async function addBigAnswerRows(url: string): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query('BEGIN');
    await db.query(
      `INSERT INTO "Team" (id, name, headquarters) SELECT t, $1, $1 FROM generate_series($2::int, $3::int) t`,
      [LONG, firstExtraTeam, firstExtraTeam + EXTRA_TEAMS - 1],
    );
    await db.query(
      `INSERT INTO "Hero" (id, name, "secretName", age) SELECT h, $1, $1, 30 FROM generate_series($2::int, $3::int) h`,
      [LONG, firstExtraHero, firstExtraHero + EXTRA_HEROES - 1],
    );
    // Extra hero j is in the extra teams (j + 10 k) mod 100, k = 0..9: every extra team gets 100.
    await db.query(
      `INSERT INTO "HeroTeamLink" ("teamId", "heroId")
       SELECT $1::int + ((h - $2::int) + 10 * k) % $3::int, h
       FROM generate_series($2::int, $4::int) h CROSS JOIN generate_series(0, $5::int - 1) k`,
      [firstExtraTeam, firstExtraHero, EXTRA_TEAMS, firstExtraHero + EXTRA_HEROES - 1, TEAMS_PER_EXTRA_HERO],
    );
    await db.query(`SELECT setval(pg_get_serial_sequence('"Hero"', 'id'), $1)`, [firstExtraHero + EXTRA_HEROES - 1]);
    await db.query(`SELECT setval(pg_get_serial_sequence('"Team"', 'id'), $1)`, [firstExtraTeam + EXTRA_TEAMS - 1]);
    await db.query('COMMIT');
    await db.query('VACUUM ANALYZE "Hero", "Team", "HeroTeamLink"');
  } finally {
    await db.end();
  }
}

/** Bounds the server reads from its environment: left unset, so that it runs with its defaults. */
function defaultBounds(): Record<string, string> {
  const blank: Record<string, string> = {};
  for (const key of Object.keys(process.env)) {
    if (/^(MAX_|HTTP_|PG_|DEFAULT_PAGE_SIZE$|HEAP_GROWING_PERCENT$|SHUTDOWN_GRACE_MS$|TRUST_PROXY$)/.test(key)) {
      blank[key] = '';
    }
  }
  return blank;
}

/** What the start scripts give node on its command line (package.json's start:prod, as npm start). */
const npmStart = productionNodeFlags();

const SMALL_READ = '{ teams(first: 5) { edges { node { name heroes(first: 5) { edges { node { name } } } } } } }';
const SMALL_WRITE =
  'mutation ($name: String!) { createTeam(input: { name: $name, headquarters: "Burst" }) { team { id name } } }';

/**
 * `requests` requests at once, each on a connection of its own (as that many browsers would send
 * them), each answer tallied; resolves to the whole burst's time.
 */
async function burst(url: string, tally: Tally, requests: number, payload: (i: number) => string): Promise<number> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  agents.add(agent);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: requests }, async (_, i) => {
      try {
        const answer = await post(agent, url, payload(i), 60_000);
        tally.answer(answer.status, answer.body, answer.ms);
      } catch (error) {
        tally.failure(
          error instanceof Error && error.message === 'client timeout' ? 'client timeout' : 'network error',
        );
      }
    }),
  );
  agent.destroy();
  agents.delete(agent);
  return performance.now() - started;
}

const BURST_ROUNDS = 3;

/** Rounds of concurrent small reads, then of concurrent small writes, on a server of their own. */
async function burstScenario(
  name: ScenarioName,
  srv: ServerProcess,
  where: string,
  reads: number,
  writes: number,
): Promise<Result> {
  return runScenario(
    srv,
    name,
    `${where}: ${BURST_ROUNDS} rounds of ${reads} concurrent small reads, then ${BURST_ROUNDS} of ${writes} concurrent small writes`,
    async (_deadline, tally, notes) => {
      const reading = new Tally();
      const writing = new Tally();
      const took: string[] = [];
      for (let round = 0; round < BURST_ROUNDS; round++) {
        took.push(`reads ${((await burst(srv.url, reading, reads, () => body(SMALL_READ))) / 1000).toFixed(2)} s`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      for (let round = 0; round < BURST_ROUNDS; round++) {
        const ms = await burst(srv.url, writing, writes, (i) =>
          body(SMALL_WRITE, { name: `Burst ${process.pid} ${round} ${i}` }),
        );
        took.push(`writes ${(ms / 1000).toFixed(2)} s`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      for (const part of [reading, writing]) {
        for (const [status, n] of part.statuses) tally.add(tally.statuses, status, n);
        for (const [code, n] of part.codes) tally.add(tally.codes, code, n);
        for (const [code, message] of part.examples) if (!tally.examples.has(code)) tally.examples.set(code, message);
        tally.masked += part.masked;
        tally.latencies.push(...part.latencies);
        tally.dataLatencies.push(...part.dataLatencies);
      }
      const summary = (label: string, part: Tally) => {
        const lat = [...part.latencies].sort((a, b) => a - b);
        return `${label}: ${counts(part.codes)}, ${counts(part.statuses)}; latency p50 ${ms(percentile(lat, 50))}, max ${ms(lat.at(-1) ?? NaN)}`;
      };
      notes.push(
        summary(`${reads} reads × ${BURST_ROUNDS}`, reading),
        summary(`${writes} writes × ${BURST_ROUNDS}`, writing),
      );
      notes.push(`each burst took: ${took.join(', ')}`);
    },
  );
}

async function main() {
  await createDatabase(dbName);

  const dataset = await ensureDataset({ scale, database: dbName, adminUrl: admin, log: (line) => console.log(line) });
  await addBigAnswerRows(dataset.url);
  console.log(
    `added ${EXTRA_HEROES} heroes (ids ${firstExtraHero}..) and ${EXTRA_TEAMS} teams (ids ${firstExtraTeam}..) ` +
      `named 200 × U+0001, each extra hero in ${TEAMS_PER_EXTRA_HERO} extra teams`,
  );

  server = await startWithManagement({
    ...defaultBounds(),
    DATABASE_URL: dataset.url,
    NODE_ENV: 'production',
    METRICS_TOKEN: metricsToken,
    PG_POOL_MAX: '10',
    // The log's warnings and errors, which the report lists by kind; not a line per request.
    LOG_LEVEL: 'warn',
    ...overrides,
  });
  const srv = server;
  const pid = srv.child.pid!;
  console.log(`server ${srv.url}, pid ${pid}, RSS ${mb(rssOf(pid))} idle`);
  const checkAgent = new http.Agent({ keepAlive: true });
  agents.add(checkAgent);
  const once = (payload: string) => post(checkAgent, srv.url, payload, 120_000);
  const checks: string[] = [];
  const check = (line: string) => {
    checks.push(line);
    console.log(`check: ${line}`);
  };

  // The storm's query: its cost is just under MAX_COMPLEXITY, and the server accepts it alone. The
  // cost is read from the refusal of the same query twice over (two aliases): twice its cost.
  const STORM_TEAMS = 34;
  const storm = body(stormQuery(STORM_TEAMS));
  {
    const inner = stormQuery(STORM_TEAMS).slice(2, -2);
    const doubled = await once(body(`{ a: ${inner} b: ${inner} }`));
    const cost = Number(/complexity (\d+)/.exec(doubled.body)?.[1]) / 2;
    const alone = await once(storm);
    const outcome = classify(alone.body);
    check(
      `storm query (teams(first: ${STORM_TEAMS}) → heroes(first: 50) → teams(first: 6)): cost ${cost} ` +
        `of MAX_COMPLEXITY 50000; alone: HTTP ${alone.status}, ${outcome.codes.join(',') || 'data'}, ` +
        `${Math.round(alone.body.length / 1000)} kB in ${ms(alone.ms)}`,
    );
    if (alone.status !== 200 || outcome.codes.length > 0 || !(cost < 50_000)) {
      throw new Error(`the storm query is refused alone, or costs more than allowed`);
    }
  }

  // The probe's 24 MB answer, then the biggest the server still answers (MAX_RESPONSE_BYTES), which
  // is what the non-reading clients ask for.
  let bigPage = BIG_PAGE;
  let big = body(bigQuery(bigPage));
  for (;;) {
    const alone = await once(big);
    const outcome = classify(alone.body);
    check(
      `non-reading clients' query (${BIG_ALIASES} aliases × ${bigPage} long-name heroes × their ${TEAMS_PER_EXTRA_HERO} long-name teams): ` +
        `HTTP ${alone.status}, ${outcome.codes.join(',') || 'data'}, ${(Buffer.byteLength(alone.body) / 1e6).toFixed(1)} MB in ${ms(alone.ms)}; ` +
        `request ${Buffer.byteLength(big)} bytes; RSS now ${mb(rssOf(pid))}`,
    );
    if (alone.status === 200 && outcome.codes.length === 0) break;
    if (!outcome.codes.includes('MAX_RESPONSE_BYTES_EXCEEDED') || bigPage <= 1) {
      throw new Error(`the big query is refused alone`);
    }
    bigPage = Math.floor(bigPage * 0.8);
    big = body(bigQuery(bigPage));
  }

  const aliasesAllowed = 15;
  let nodesAliases = aliasesAllowed;
  {
    const over = await once(nodesRequest(1, 501, 0));
    check(`nodes(ids:) with 501 ids: HTTP ${over.status}, ${classify(over.body).codes.join(',')}`);
    const tooMany = await once(nodesRequest(aliasesAllowed + 1, 10, 0));
    check(
      `nodes(ids:) in ${aliasesAllowed + 1} aliases: HTTP ${tooMany.status}, ${classify(tooMany.body).codes.join(',')}`,
    );
    // The most aliases of MAX_IDS ids the cost limit admits (each id costs its lookup too).
    let payload = nodesRequest(nodesAliases, 500, 0);
    let alone = await once(payload);
    while (nodesAliases > 1 && classify(alone.body).codes.includes('MAX_COMPLEXITY_EXCEEDED')) {
      check(`nodes(ids:) × ${nodesAliases} aliases of 500 ids: HTTP ${alone.status}, MAX_COMPLEXITY_EXCEEDED`);
      nodesAliases--;
      payload = nodesRequest(nodesAliases, 500, 0);
      alone = await once(payload);
    }
    check(
      `nodes(ids:) × ${nodesAliases} aliases of 500 ids (${distinctNodeIds(payload)} distinct ids, request ` +
        `${Buffer.byteLength(payload)} bytes): HTTP ${alone.status}, ${classify(alone.body).codes.join(',') || 'data'}, ` +
        `${Math.round(alone.body.length / 1000)} kB in ${ms(alone.ms)}`,
    );
    const like = await once(likeRequest(aliasesAllowed));
    check(
      `nameContains of 200 × "%_" in ${aliasesAllowed} aliases: HTTP ${like.status}, ` +
        `${classify(like.body).codes.join(',') || 'data'} in ${ms(like.ms)}`,
    );
    const giant = await once(giantRequest());
    check(
      `14 pages of the Giant team by NAME and AGE: HTTP ${giant.status}, ${classify(giant.body).codes.join(',') || 'data'}, ` +
        `${Math.round(giant.body.length / 1000)} kB in ${ms(giant.ms)}`,
    );
  }
  checkAgent.destroy();
  agents.delete(checkAgent);
  console.log(`RSS after the checks: ${mb(rssOf(pid))}`);

  const results: Result[] = [];
  for (const name of chosen) {
    if (srv.child.exitCode !== null || srv.child.signalCode !== null) {
      throw new Error(
        `the server exited (${srv.child.exitCode ?? srv.child.signalCode}):\n${srv.output().slice(-3000)}`,
      );
    }
    if (name === 'burst-postgresql') {
      let url = dataset.url;
      if (burstScale !== scale) {
        const burstDb = `heroes_hostile_burst_${process.pid}`;
        await createDatabase(burstDb);
        url = (
          await ensureDataset({
            scale: burstScale,
            database: burstDb,
            adminUrl: admin,
            log: (line) => console.log(line),
          })
        ).url;
      }
      const own = await startWithManagement({ ...defaultBounds(), DATABASE_URL: url, NODE_ENV: '', LOG_LEVEL: 'warn' });
      burstServers.add(own);
      results.push(await burstScenario(name, own, `PostgreSQL, S = ${burstScale}`, 1000, 200));
      await stopServer(own);
      burstServers.delete(own);
      continue;
    }
    if (name === 'burst-embedded') {
      const folder = mkdtempSync(path.join(os.tmpdir(), 'heroes-hostile-'));
      foldersCreated.push(folder);
      const own = await startWithManagement({
        ...defaultBounds(),
        DATABASE_URL: '',
        DATA_DIR: path.join(folder, 'data'),
        NODE_ENV: '',
        LOG_LEVEL: 'warn',
      });
      burstServers.add(own);
      results.push(await burstScenario(name, own, 'embedded PGlite, fresh data folder', 200, 100));
      await stopServer(own);
      burstServers.delete(own);
      continue;
    }
    if (name === 'fairness') {
      results.push(
        await runScenario(
          srv,
          name,
          '60 connections from 127.0.0.1 in a loop sending the costliest query; 1 polite client at 127.0.0.2 sending a small query every 100 ms',
          async (deadline, tally, notes) => {
            const polite = new Tally();
            await Promise.all([
              loadLoop(srv.url, tally, 60, deadline, () => storm),
              loadLoop(srv.url, polite, 1, deadline, () => body(SMALL_READ), 100, '127.0.0.2'),
            ]);
            const lat = [...polite.latencies].sort((a, b) => a - b);
            const answered = polite.codes.get('data') ?? 0;
            const share = polite.requests > 0 ? answered / polite.requests : 0;
            notes.push(
              `the requests counted are the flood's; polite client: ${polite.requests} sent, ${answered} answered with data ` +
                `(${(100 * share).toFixed(1)}%; ${counts(polite.codes)}), p95 ${ms(percentile(lat, 95))}, max ${ms(lat.at(-1) ?? NaN)}: ` +
                (share >= 0.9 && percentile(lat, 95) < 1000
                  ? 'holds (≥ 90%, p95 < 1 s)'
                  : 'DOES NOT hold (≥ 90%, p95 < 1 s)'),
            );
            polite.masked > 0 && notes.push(`polite client: ${polite.masked} masked errors`);
            tally.masked += polite.masked;
          },
        ),
      );
      continue;
    }
    if (name === 'storm') {
      results.push(
        await runScenario(
          srv,
          name,
          `${stormClients} clients in a loop sending the costliest query`,
          (deadline, tally) => loadLoop(srv.url, tally, stormClients, deadline, () => storm),
        ),
      );
    } else if (name === 'non-reading') {
      results.push(
        await runScenario(
          srv,
          name,
          '60 connections pipelining 3 big POSTs + 100 sending 1, none reading; 2 polite clients',
          async (deadline, tally, notes) => {
            const hostile = nonReadingClients(srv.url, big, deadline);
            const polite = loadLoop(
              srv.url,
              tally,
              2,
              deadline,
              () => body('{ teams(first: 5) { edges { node { name } } } }'),
              250,
            );
            const [stats] = await Promise.all([hostile.done, polite]);
            notes.push(
              `the requests counted are the 2 polite clients'; non-reading connections: ${stats.opened} opened, ` +
                `${stats.closedByServer} seen closed before the end (and replaced; a socket never read sees few closes), ` +
                `${stats.connectErrors} failed to connect`,
            );
          },
        ),
      );
    } else if (name === 'costly-nodes') {
      let round = 0;
      results.push(
        await runScenario(srv, name, `10 clients: nodes(ids:) × ${nodesAliases} aliases × 500 ids`, (deadline, tally) =>
          loadLoop(srv.url, tally, 10, deadline, () => nodesRequest(nodesAliases, 500, ++round)),
        ),
      );
    } else if (name === 'costly-like') {
      const payload = likeRequest(aliasesAllowed);
      results.push(
        await runScenario(
          srv,
          name,
          `10 clients: nameContains 200 × "%_" × ${aliasesAllowed} aliases`,
          (deadline, tally) => loadLoop(srv.url, tally, 10, deadline, () => payload),
        ),
      );
    } else {
      const payload = giantRequest();
      results.push(
        await runScenario(srv, name, '10 clients: 14 pages of the Giant team by NAME and AGE', (deadline, tally) =>
          loadLoop(srv.url, tally, 10, deadline, () => payload),
        ),
      );
    }
  }

  const hwm = hwmOf(pid);
  const alive = srv.child.exitCode === null && srv.child.signalCode === null;
  const output = [
    `# Hostile clients, S = ${scale.toLocaleString('en')}`,
    '',
    ...provenanceLines(source, runStarted, loadAtStart),
    '',
    `${seconds} s per scenario; server in production mode (NODE_ENV=production, ` +
      `PG_POOL_MAX=10${Object.entries(overrides)
        .map(([name, value]) => `, ${name}=${value}`)
        .join('')}, every other bound at its default), started through tsx as test/support/server-process.ts ` +
      `does, with node ${npmStart.join(' ')} as npm run start:prod (and npm start) give it; database ${dbName} (bench data set S = ${scale} plus ${EXTRA_HEROES} heroes and ${EXTRA_TEAMS} teams ` +
      `named 200 × U+0001). Latencies are of answered requests; /live is probed every 200 ms on a new ` +
      `connection, RSS (VmRSS of the server process) sampled every 100 ms, both from a worker thread.`,
    '',
    ...checks.map((line) => `- ${line}`),
    '',
    table(results),
    '',
    ...results.flatMap((r) => [
      `- ${r.name}: ${r.what}; ${r.notes.join('; ')}; RSS ${mb(r.rss.start)} at start, ${mb(r.rss.after)} 3 s after the end.`,
    ]),
    `- server peak RSS over the whole run (VmHWM): ${mb(hwm)}; still running at the end: ${alive}.`,
    '',
  ].join('\n');
  console.log(`\n${output}`);
  if (smoke) {
    const failures = results.flatMap((r) => [
      ...(r.tally.masked > 0 ? [`${r.name}: ${r.tally.masked} masked errors`] : []),
      ...(r.tally.codes.has('NOT_JSON') ? [`${r.name}: answers that are not JSON`] : []),
      ...((r.tally.codes.get('data') ?? 0) === 0 ? [`${r.name}: no request got data`] : []),
    ]);
    if (!alive) failures.push('the server died');
    if (failures.length > 0) throw new Error(`smoke run failed: ${failures.join('; ')}`);
    console.log('smoke run: no masked error, every scenario answered with data, the server still running');
    return;
  }
  const file = path.resolve(__dirname, `../bench/results/hostile-${scale}.md`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, output);
  console.log(`saved ${path.relative(process.cwd(), file)}`);
}

main()
  .then(() => cleanup())
  .then(() => process.exit(0))
  .catch(async (error: unknown) => {
    console.error(error);
    await cleanup();
    process.exit(1);
  });
