import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDataset, type Dataset } from './dataset';
import type { LoadConfig } from './load';
import { childPids, memoryMb, productionNodeFlags } from './proc';
import { queries, requestBody } from './queries';
import type { Measurement } from './stats';
import { freePort } from '../test/support/ports';
import { commandLine, provenance, provenanceLines } from './provenance';

// Q1 and Q2 against the server run as 1 and as 2 processes (WEB_CONCURRENCY), side by side in one
// run: rounds alternate the process counts, each round starts each server afresh, and the report
// gives the medians and the ratio of N processes to 1 (bench/README.md, "Processes").
//
//   npm run bench:processes
//   npm run bench:processes -- --processes 1,2 --scale 1000 --rounds 3 --warmup 3 --duration 15

const { values: options } = parseArgs({
  options: {
    processes: { type: 'string', default: '1,2' },
    scale: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '10' },
    'pool-max': { type: 'string', default: '10' },
    queries: { type: 'string', default: 'Q1,Q2' },
    out: { type: 'string', default: path.join(__dirname, 'results', 'processes.md') },
  },
});

const root = path.resolve(__dirname, '..');
const counts = options.processes.split(',').map(Number);
const selected = options.queries.split(',').map((key) => {
  const query = queries.find((q) => q.key === key);
  if (!query) throw new Error(`No query ${key} in bench/queries.ts`);
  return query;
});
const rounds = Number(options.rounds);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'heroes-bench-processes-'));
const children = new Set<ChildProcess>();

function progress(line: string): void {
  console.error(`[bench:processes ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

const loadAverage = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

function spawnTracked(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

interface Server {
  child: ChildProcess;
  url: string;
  databaseUrl: string;
  output: string[];
}

/** The production build as `processes` processes, started like bench/run.ts starts it. */
async function startServer(dataset: Dataset, processes: number): Promise<Server> {
  const port = await freePort();
  const child = spawnTracked([...productionNodeFlags(), path.join(root, 'dist/src/server.js')], {
    ...process.env,
    NODE_ENV: 'production',
    MIGRATE_ON_START: 'false',
    DATABASE_URL: dataset.url,
    PORT: String(port),
    PG_POOL_MAX: options['pool-max'],
    WEB_CONCURRENCY: String(processes),
    GRAPHIQL: 'false',
    LOG_SQL: 'false',
    // On this shared machine other work deschedules a worker past the 300 ms bound now and then: one
    // request shed for it would fail the run, which measures throughput, not shedding.
    MAX_EVENT_LOOP_DELAY_MS: '0',
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => output.push(chunk.toString());
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  // The primary's line comes once every worker listens (src/http/processes.ts); one process says the same.
  const deadline = Date.now() + 90_000;
  while (!/GraphQL server on/.test(output.join(''))) {
    if (child.exitCode !== null) throw new Error(`The server exited while starting:\n${output.join('')}`);
    if (Date.now() > deadline) throw new Error(`The server did not start in 90 s:\n${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, url: `http://127.0.0.1:${port}/graphql`, databaseUrl: dataset.url, output };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Resident memory (MB) of the server's processes: the primary and its workers. */
function rssMb(pid: number): number {
  return [pid, ...childPids(pid)].reduce((total, p) => total + (memoryMb(p)?.current ?? 0), 0);
}

async function measure(server: Server, body: string, expectedBody: string): Promise<Measurement> {
  const config: LoadConfig = {
    url: server.url,
    body,
    expectedBody,
    connections: Number(options.connections),
    warmup: Number(options.warmup),
    duration: Number(options.duration),
    serverPid: server.child.pid!,
    databaseUrl: server.databaseUrl,
  };
  const file = path.join(tmp, 'load.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawnTracked(['--import', 'tsx', path.join(__dirname, 'load.ts'), file], process.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`The load generator exited with ${code}:\n${stderr}`);
  const measurement = JSON.parse(stdout.trim().split('\n').pop()!) as Measurement;
  const bad = Object.entries(measurement.failures).filter(([, n]) => n > 0);
  if (bad.length > 0 || measurement.requests === 0) {
    throw new Error(`Failures under load: ${JSON.stringify(measurement.failures)}`);
  }
  return measurement;
}

interface Result extends Measurement {
  rssMb: number;
  loadBefore: string;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main() {
  const source = provenance(commandLine('bench/processes.ts'));
  const loadAtStartOfRun = os.loadavg();
  progress('building the server (npm run build)');
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  const dataset = await ensureDataset({ scale: Number(options.scale), log: progress });
  const results = new Map<string, Result[]>();
  const loadAtStart = loadAverage();
  const started = new Date();
  for (let round = 1; round <= rounds; round++) {
    // Alternating the order each round: neither count always runs on the warmer machine.
    const order = round % 2 ? counts : [...counts].reverse();
    for (const processes of order) {
      const server = await startServer(dataset, processes);
      try {
        for (const query of selected) {
          const body = requestBody(query, dataset);
          const sample = await fetch(server.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body,
          });
          const expectedBody = await sample.text();
          if (sample.status !== 200 || (JSON.parse(expectedBody) as { errors?: unknown }).errors) {
            throw new Error(`${query.key}: ${sample.status} ${expectedBody.slice(0, 500)}`);
          }
          query.check((JSON.parse(expectedBody) as { data: unknown }).data, dataset);
          const loadBefore = loadAverage();
          const measurement = await measure(server, body, expectedBody).catch((error: Error) => {
            throw new Error(`${error.message}\nThe server said:\n${server.output.join('').slice(-3000)}`);
          });
          const result = { ...measurement, rssMb: rssMb(server.child.pid!), loadBefore };
          const key = `${query.key}/${processes}`;
          results.set(key, [...(results.get(key) ?? []), result]);
          progress(
            `round ${round} ${query.key} ${processes} process(es): ${measurement.rps.toFixed(1)} req/s, ` +
              `p50 ${measurement.p50.toFixed(1)} ms, p99 ${measurement.p99.toFixed(1)} ms (load ${loadBefore})`,
          );
        }
      } finally {
        await stop(server.child);
      }
    }
  }

  const base = counts[0]!;
  const lines = [
    `# Processes: ${selected.map((q) => q.key).join(' and ')} with ${counts.join(' and ')} server processes (WEB_CONCURRENCY)`,
    '',
    ...provenanceLines(source, started, loadAtStartOfRun),
    '',
    `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), load average ${loadAtStart} once built and ` +
      `${loadAverage()} at the end ` +
      '(1, 5, 15 min; the machine is shared: other work ran meanwhile). ' +
      `S = ${dataset.scale.toLocaleString('en-US')} (\`${dataset.database}\`), ` +
      `${options.connections} connections, ${options.warmup} s warm-up + ${options.duration} s per measurement, ` +
      `${rounds} rounds alternating the process counts, medians; PG_POOL_MAX=${options['pool-max']} per process. ` +
      `Server: \`node ${productionNodeFlags().join(' ')} dist/src/server.js\` (npm run start:prod's flags), NODE_ENV=production, MAX_EVENT_LOOP_DELAY_MS=0. The load generator (autocannon) and ` +
      'PostgreSQL run on the same machine and compete with the server for its cores.',
    '',
    `| query | processes | req/s | p50 ms | p99 ms | server CPU ms/request | RSS MB (all processes) | req/s ratio to ${base} process${base > 1 ? 'es' : ''} |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const query of selected) {
    const baseline = results.get(`${query.key}/${base}`)!;
    for (const processes of counts) {
      const list = results.get(`${query.key}/${processes}`)!;
      // The ratio of each round's pair, then the median: a pair ran minutes apart, not hours.
      const ratio = median(list.map((result, i) => result.rps / baseline[i]!.rps));
      const cpu = list.flatMap((r) => (r.serverCpuMs === undefined ? [] : [r.serverCpuMs / r.requests]));
      lines.push(
        `| ${query.key} | ${processes} | ${median(list.map((r) => r.rps)).toFixed(1)} | ` +
          `${median(list.map((r) => r.p50)).toFixed(1)} | ${median(list.map((r) => r.p99)).toFixed(1)} | ` +
          `${cpu.length ? median(cpu).toFixed(2) : 'n/a'} | ${Math.round(median(list.map((r) => r.rssMb)))} | ` +
          `${processes === base ? '1' : ratio.toFixed(2)} |`,
      );
    }
  }
  lines.push('', 'Each round, req/s (load average before the measurement):', '');
  for (const [key, list] of results) {
    lines.push(
      `- ${key.replace('/', ', ')} process(es): ${list.map((r) => `${r.rps.toFixed(1)} (${r.loadBefore.split(' ')[0]})`).join(', ')}`,
    );
  }
  const report = `${lines.join('\n')}\n`;
  writeFileSync(options.out, report);
  console.log(report);
}

const cleanUp = () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
