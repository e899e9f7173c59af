import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { backendCpu, cpuBetween } from './proc';
import { percentile, type Measurement } from './stats';

// The SQL floor of one query, run as a process of its own by bench/run.ts: its one hand-written
// statement through `pg`, by as many clients as the server gets connections, each sending it again
// as soon as the answer is in, for the warm-up (discarded) and then the measurement. Every answer
// must be the text of the first one. Prints the measurement as JSON.

export interface FloorConfig {
  url: string;
  sql: string;
  params: unknown[];
  connections: number;
  warmup: number;
  duration: number;
}

async function main() {
  const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as FloorConfig;
  const clients = Array.from({ length: config.connections }, () => new Client({ connectionString: config.url }));
  const db = new Client({ connectionString: config.url });
  await Promise.all([db, ...clients].map((client) => client.connect()));
  let expected: string | undefined;
  let mismatches = 0;
  let errors = 0;

  async function phase(seconds: number, latencies?: number[]): Promise<{ requests: number; seconds: number }> {
    const started = performance.now();
    const end = started + seconds * 1000;
    let requests = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < end) {
          const sent = performance.now();
          try {
            const { rows } = await client.query<{ data: string }>(config.sql, config.params);
            const text = rows[0]?.data ?? '';
            expected ??= text;
            if (text !== expected) mismatches++;
          } catch (error) {
            errors++;
            if (errors === 1) console.error(error);
            continue;
          }
          const done = performance.now();
          if (done <= end) {
            requests++;
            latencies?.push(done - sent);
          }
        }
      }),
    );
    return { requests, seconds: (performance.now() - started) / 1000 };
  }

  try {
    const warm = await phase(config.warmup);
    const latencies: number[] = [];
    const pgBefore = await backendCpu(db);
    const measured = await phase(config.duration, latencies);
    const pgAfter = await backendCpu(db);
    latencies.sort((a, b) => a - b);
    const measurement: Measurement = {
      requests: measured.requests,
      seconds: config.duration,
      rps: measured.requests / config.duration,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      failures: { errors, mismatches, empty: expected ? 0 : 1 },
      pgCpuMs: cpuBetween(pgBefore, pgAfter),
      warmupRequests: warm.requests,
    };
    console.log(JSON.stringify(measurement));
  } finally {
    await Promise.all([db, ...clients].map((client) => client.end()));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
