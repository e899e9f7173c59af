import { readFileSync } from 'node:fs';
import { closeDatabase } from '../src/db';
import { databaseWorkMs } from '../src/db/pglite';
import { yoga } from '../src/graphql/yoga';

// How much of a request's time on the embedded database is PGlite's own synchronous work, which
// runs on the event loop (src/db/pglite.ts: gatePGlite counts it, as databaseWorkMs, for
// src/http/admission.ts): what a worker thread could take off the event loop. Run by
// `npm run bench -- --embedded` (bench/run.ts) with DATA_DIR set to the bench's PGlite folder,
// before the server starts on it (one process per folder). Sends each request through yoga.fetch
// in this process, one at a time: a warm-up, then for `seconds`; prints `RESULT <json>` last.

export interface ShareConfig {
  /** Request bodies by query key. */
  bodies: Record<string, string>;
  warmupSeconds: number;
  seconds: number;
}

export interface Share {
  requests: number;
  /** Wall-clock time per request, one at a time, without HTTP, ms. */
  wallMs: number;
  /** CPU time of this process per request (user + system, all threads), ms. */
  cpuMs: number;
  /** PGlite's synchronous work per request (its WebAssembly PostgreSQL on the event loop), ms. */
  pgliteMs: number;
}

async function send(body: string): Promise<void> {
  const response = await yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
  });
  const text = await response.text();
  if (response.status !== 200 || text.includes('"errors"'))
    throw new Error(`${response.status}: ${text.slice(0, 500)}`);
}

async function repeat(body: string, seconds: number, least: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let n = 0;
  while (n < least || performance.now() < until) {
    await send(body);
    n++;
  }
  return n;
}

async function main() {
  const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ShareConfig;
  const result: Record<string, Share> = {};
  for (const [key, body] of Object.entries(config.bodies)) {
    await repeat(body, config.warmupSeconds, 3);
    const cpu = process.cpuUsage();
    const database = databaseWorkMs();
    const started = performance.now();
    const requests = await repeat(body, config.seconds, 5);
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    result[key] = {
      requests,
      wallMs: wall / requests,
      cpuMs: (used.user + used.system) / 1000 / requests,
      pgliteMs: (databaseWorkMs() - database) / requests,
    };
  }
  if (Object.values(result).every((share) => share.pgliteMs === 0)) {
    throw new Error("PGlite's synchronous work was not counted (src/db/pglite.ts, gatePGlite): no figure to give");
  }
  await closeDatabase();
  console.log(`RESULT ${JSON.stringify(result)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
