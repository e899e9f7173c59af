import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startServer } from '../test/support/server-process';
import { defaultAdminUrl, ensureDataset } from './dataset';
import { processCpuMs, productionNodeFlags } from './proc';
import { commandLine, provenance, provenanceLines } from './provenance';
import { queries, requestBody } from './queries';
import { percentile } from './stats';

// What compressing answers costs and saves (src/http/compression.ts): Q1 and Q2 sent in turn, one
// at a time on a keep-alive connection, without Accept-Encoding, with gzip and with br, to one
// production server (COMPRESSION=true): the bytes of each answer as sent, and the server's CPU
// (user + system, its zlib threads included) per request, from /proc. One request at a time, so
// that CPU per request is the request's own; the latency is the client's (same machine).

const { values: options } = parseArgs({
  options: {
    scale: { type: 'string', default: '10000' },
    requests: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '30' },
    'database-url': { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (options.help) {
  console.log(`npx tsx bench/compression.ts [options]
  --scale S             data set (bench/dataset.ts; default 10000)
  --requests N          requests measured per query and encoding (default 300)
  --warmup W            requests sent before, not measured (default 30)
  --database-url URL    PostgreSQL server of the data set (default ${defaultAdminUrl})
  --out FILE            report (default bench/results/compression.md)`);
  process.exit(0);
}

const encodings = ['identity', 'gzip', 'br'] as const;
type Encoding = (typeof encodings)[number];

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One POST; the answer's bytes as sent, decoded. */
function send(url: string, body: string, encoding: Encoding): Promise<{ sent: number; text: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${url}/graphql`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...(encoding === 'identity' ? {} : { 'accept-encoding': encoding }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const raw = Buffer.concat(chunks);
          const sentAs = response.headers['content-encoding'] ?? 'identity';
          if (response.statusCode !== 200) return reject(new Error(`HTTP ${response.statusCode}: ${raw.toString()}`));
          if (sentAs !== encoding) return reject(new Error(`asked for ${encoding}, got ${sentAs}`));
          const text = (
            sentAs === 'gzip' ? gunzipSync(raw) : sentAs === 'br' ? brotliDecompressSync(raw) : raw
          ).toString();
          resolve({ sent: raw.length, text, ms: performance.now() - started });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function main() {
  const source = provenance(commandLine('bench/compression.ts'));
  const started = new Date();
  const loadAtStart = loadavg();
  const scale = Number(options.scale);
  const requests = Number(options.requests);
  const warmup = Number(options.warmup);
  const dataset = await ensureDataset({ scale, adminUrl: options['database-url'] });
  const server = await startServer(
    {
      DATABASE_URL: dataset.url,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      COMPRESSION: 'true',
      // A busy machine's late loop would shed requests: this bench measures each request's cost.
      MAX_EVENT_LOOP_DELAY_MS: '0',
    },
    productionNodeFlags(),
  );
  const stopServer = () => server.child.kill('SIGKILL');
  process.once('exit', stopServer);
  const pid = server.child.pid!;
  const rows: string[] = [];
  try {
    for (const key of ['Q1', 'Q2']) {
      const query = queries.find((candidate) => candidate.key === key)!;
      const body = requestBody(query, dataset);
      for (const encoding of encodings) {
        for (let i = 0; i < warmup; i++) await send(server.url, body, encoding);
        const cpuBefore = processCpuMs(pid)!;
        const times: number[] = [];
        let sent = 0;
        let plain = 0;
        for (let i = 0; i < requests; i++) {
          const answer = await send(server.url, body, encoding);
          const parsed = JSON.parse(answer.text) as { data?: unknown; errors?: unknown };
          if (parsed.errors) throw new Error(`${key}: ${JSON.stringify(parsed.errors)}`);
          query.check(parsed.data, dataset);
          times.push(answer.ms);
          sent = answer.sent;
          plain = Buffer.byteLength(answer.text);
        }
        const cpuMs = (processCpuMs(pid)! - cpuBefore) / requests;
        const row =
          `| ${key} | ${encoding} | ${plain.toLocaleString('en')} | ${sent.toLocaleString('en')} ` +
          `| ${cpuMs.toFixed(2)} ms | ${percentile(
            times.sort((a, b) => a - b),
            50,
          ).toFixed(2)} ms |`;
        console.log(row);
        rows.push(row);
      }
    }
  } finally {
    agent.destroy();
    server.child.kill('SIGTERM');
    await server.exited;
    process.off('exit', stopServer);
  }
  const report = `# Compression of answers: bytes and CPU

${provenanceLines(source, started, loadAtStart).join('\n')}

One production server (NODE_ENV=production, COMPRESSION=true, the compression middleware's
defaults: gzip level 6, brotli quality 4) on PostgreSQL, data set S = ${scale.toLocaleString('en')}.
Per query and encoding, ${warmup} requests, then ${requests} measured, one at a time on one
keep-alive connection. Bytes: the answer's body as sent, and decoded. CPU: the server process's
user + system time per request (its zlib threads included), from /proc. Latency: the client's p50,
on the same machine (no network between them).

| query | Accept-Encoding | answer bytes | bytes sent | server CPU per request | p50 latency |
| --- | --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}
`;
  const out = options.out ?? path.join(__dirname, 'results', 'compression.md');
  writeFileSync(out, report);
  console.log(`\nWritten to ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
