import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { percentile, type Measurement } from './stats';
import { Client } from 'pg';
import { backendCpu, cpuBetween, processTreeCpuMs } from './proc';

// One load measurement of the GraphQL server, run as a process of its own by bench/run.ts:
// autocannon for the warm-up (results discarded), then for the measurement. Every response must be
// a 200 whose body is byte for byte the sample answer the runner checked, so a GraphQL error under
// load (which still answers 200) counts as a mismatch. Prints the measurement as JSON.

export interface LoadConfig {
  url: string;
  body: string;
  expectedBody: string;
  connections: number;
  warmup: number;
  duration: number;
  /** The server's pid, to read its CPU time (and its workers') around the measurement. */
  serverPid: number;
  /** The server's PostgreSQL database, to read the CPU time of its backends (none for PGlite, in process). */
  databaseUrl?: string;
}

function run(config: LoadConfig, seconds: number, latencies?: number[]): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: config.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: config.body,
        connections: config.connections,
        duration: seconds,
        timeout: 30,
        expectBody: config.expectedBody,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (latencies) instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

async function main() {
  const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadConfig;
  const warm = await run(config, config.warmup);
  const latencies: number[] = [];
  const db = config.databaseUrl ? new Client({ connectionString: config.databaseUrl }) : undefined;
  await db?.connect();
  const serverBefore = processTreeCpuMs(config.serverPid);
  const pgBefore = db && (await backendCpu(db));
  const result = await run(config, config.duration, latencies);
  const serverAfter = processTreeCpuMs(config.serverPid);
  const pgAfter = db && (await backendCpu(db));
  await db?.end();
  latencies.sort((a, b) => a - b);
  const requests = result.requests.total;
  const measurement: Measurement = {
    requests,
    seconds: result.duration,
    rps: requests / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failures: {
      non2xx: result.non2xx + warm.non2xx,
      errors: result.errors + warm.errors,
      timeouts: result.timeouts + warm.timeouts,
      mismatches: result.mismatches + warm.mismatches,
    },
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count ?? 0])),
    serverCpuMs: serverBefore !== undefined && serverAfter !== undefined ? serverAfter - serverBefore : undefined,
    pgCpuMs: cpuBetween(pgBefore, pgAfter),
    warmupRequests: warm.requests.total,
  };
  console.log(JSON.stringify(measurement));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
