// Load-and-fault run: mixed reads and writes against the server (its own process, on PostgreSQL,
// in production mode, called with an editor's token from `npm run token`), while the database is
// cut, slowed and black-holed in turn through a proxy of its own (the shared server is never
// touched). Afterwards it checks, straight on the database, that every acknowledged write is
// there, that no write answered "nothing was changed" was made, and that no invariant broke; and
// it fails on any masked error (INTERNAL_SERVER_ERROR, or an error without a code), on any request
// the server did not answer, and on any answer that breaks the outage contract (a 503 without
// Retry-After, a mutation's error without safeToRetry). Bounded in time; talks only to 127.0.0.1.
//
//   npm run soak -- [--seconds 30] [--workers 8] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
//                   [--out bench/results/soak.md]
//
// With --out it also writes its answers and checks as a report that names its command and commit
// (bench/provenance.ts), from which docs/limits.md's table is copied (bench/figures.ts).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { commandLine, provenance, provenanceLines } from '../bench/provenance';
import { FaultyProxy } from '../test/support/proxy';
import { startServer } from '../test/support/server-process';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    'database-url': {
      type: 'string',
      default: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    },
    workers: { type: 'string', default: '8' },
    out: { type: 'string' },
  },
});
const source = provenance(commandLine('scripts/soak.ts'));
const started = new Date();
const loadAtStart = os.loadavg();
const seconds = Number(values.seconds);
if (!Number.isFinite(seconds) || seconds < 12) {
  console.error('--seconds must be 12 or more: three faults of 3 s each, with steady traffic between them');
  process.exit(2);
}
const admin = values['database-url'];
const dbName = `heroes_soak_${process.pid}`;
const root = path.resolve(__dirname, '..');

const encode = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');
const decode = (id: string) => Number(Buffer.from(id, 'base64').toString().split(':')[1]);

interface GraphQLErrorShape {
  message?: string;
  extensions?: { code?: string; safeToRetry?: boolean };
}

interface Answer {
  ok: boolean;
  code: string;
  /** Whether the server said a failed mutation changed nothing (DATABASE_UNAVAILABLE, OVERLOADED). */
  unchanged: boolean;
  data: any;
}

/** What the database is being put through now, for the count of answers by phase. */
let phase = 'steady';

/** Undoes what the run set up (its server, proxy and database), also when it fails half-way. */
const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
}

/** A token for an editor (creates, updates, memberships), from the project's own `npm run token`. */
async function editorToken(secret: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'scripts/token.ts', '--role', 'editor', '--sub', 'soak', '--expires', '2h'],
    { cwd: root, env: { ...process.env, JWT_SECRET: secret, NODE_OPTIONS: '' }, encoding: 'utf8' },
  );
  return stdout.trim();
}

async function main() {
  const setup = new Client({ connectionString: admin });
  await setup.connect();
  await setup.query(`CREATE DATABASE "${dbName}"`);
  cleanups.push(async () => {
    await setup.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await setup.end();
  });
  const url = new URL(admin);
  url.pathname = `/${dbName}`;
  const proxy = await FaultyProxy.start({ host: url.hostname, port: Number(url.port || 5432) });
  cleanups.push(() => proxy.down());
  const secret = randomBytes(32).toString('base64url');
  const token = await editorToken(secret);
  const server = await startServer({
    DATABASE_URL: proxy.url(url.toString()),
    NODE_ENV: 'production',
    JWT_SECRET: secret,
    PG_POOL_MAX: '10',
    PG_CONNECT_TIMEOUT_MS: '1000',
  });
  cleanups.push(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  cleanups.push(() => db.end());

  const counts = new Map<string, number>();
  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const broken: string[] = [];
  const breach = (what: string) => {
    if (broken.length < 20) broken.push(what);
    count('contract breaches');
  };

  async function call(kind: string, query: string, variables: Record<string, unknown>): Promise<Answer> {
    count(`requests ${kind}`);
    const during = phase;
    try {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(20_000),
      });
      const body = (await response.json()) as { data?: unknown; errors?: GraphQLErrorShape[] };
      const error = body.errors?.[0];
      const code = error ? (error.extensions?.code ?? 'NO_CODE') : 'OK';
      count(`answers ${code}`);
      count(`phase ${during} ${code}`);
      if (response.status === 503 && !response.headers.get('retry-after')) breach(`${kind}: 503 without Retry-After`);
      const mutation = kind !== 'read';
      if (mutation && error && ['DATABASE_UNAVAILABLE', 'MUTATION_OUTCOME_UNKNOWN'].includes(code)) {
        const safe = error.extensions?.safeToRetry;
        if (typeof safe !== 'boolean') breach(`${kind}: ${code} without safeToRetry`);
        if (code === 'DATABASE_UNAVAILABLE' && safe !== true) breach(`${kind}: DATABASE_UNAVAILABLE not safe to retry`);
        if (code === 'MUTATION_OUTCOME_UNKNOWN' && safe !== (kind !== 'createHero' && kind !== 'createTeam')) {
          breach(`${kind}: MUTATION_OUTCOME_UNKNOWN with safeToRetry ${safe}`);
        }
      }
      return {
        ok: !body.errors,
        code,
        unchanged: code === 'DATABASE_UNAVAILABLE' || code === 'OVERLOADED',
        data: body.data,
      };
    } catch {
      count('answers NETWORK_ERROR');
      count(`phase ${during} NETWORK_ERROR`);
      return { ok: false, code: 'NETWORK_ERROR', unchanged: false, data: undefined };
    }
  }

  // Shared teams and heroes for the add/remove churn; each writer also owns a hero of its own.
  const teams: number[] = [];
  for (let i = 0; i < 10; i++) {
    const answer = await call(
      'createTeam',
      'mutation ($n: String!) { createTeam(input: { name: $n, headquarters: "HQ" }) { team { id } } }',
      { n: `Soak ${i}` },
    );
    if (!answer.ok) throw new Error(`createTeam failed before any fault: ${answer.code}`);
    teams.push(decode(answer.data.createTeam.team.id));
  }
  const acknowledgedHeroes = new Map<number, number[]>(); // hero -> team ids it was created with
  const refusedHeroNames: string[] = []; // createHero answered "nothing was changed"
  const lastSet = new Map<number, { acked: number[]; unknownAfter: number[][] }>();
  let sequence = 0;

  const deadline = Date.now() + seconds * 1000;
  const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
  const someTeams = () => [...new Set(Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => pick(teams)))];

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const quarter = (seconds * 1000) / 4;
  const faults = (async () => {
    await sleep(quarter);
    console.log('fault: database connection cut for 3 s (connections reset, new ones refused)');
    phase = 'cut';
    await proxy.down();
    await sleep(3000);
    await proxy.up();
    phase = 'steady';
    await sleep(quarter - 3000);
    console.log('fault: 300 ms latency to the database for 3 s');
    phase = 'latency';
    proxy.delay(300);
    await sleep(3000);
    proxy.delay(0);
    phase = 'steady';
    await sleep(quarter - 3000);
    console.log('fault: database black-holed for 3 s (connections cut, new ones never answered)');
    phase = 'black-hole';
    proxy.stall();
    await sleep(3000);
    await proxy.up();
    phase = 'steady';
  })();

  const worker = async (w: number) => {
    // A hero only this worker sets the teams of, so its final teams are checkable exactly.
    let owned: number | undefined;
    while (owned === undefined && Date.now() < deadline) {
      const answer = await call(
        'createHero',
        'mutation ($n: String!) { createHero(input: { name: $n, secretName: "s" }) { hero { id } } }',
        { n: `owner ${w}` },
      );
      if (answer.ok) owned = decode(answer.data.createHero.hero.id);
    }
    if (owned === undefined) return;
    lastSet.set(owned, { acked: [], unknownAfter: [] });
    while (Date.now() < deadline) {
      const roll = Math.random();
      if (roll < 0.35) {
        await call(
          'read',
          '{ teams(first: 10) { edges { node { heroes(first: 20) { totalCount edges { isTraining node { name teams { totalCount } } } } } } } }',
          {},
        );
      } else if (roll < 0.5) {
        const chosen = someTeams();
        const name = `w${w}-${++sequence}`;
        const answer = await call(
          'createHero',
          'mutation ($n: String!, $t: [MembershipInput!]) { createHero(input: { name: $n, secretName: "s", teams: $t }) { hero { id } } }',
          { n: name, t: chosen.map((t) => ({ teamId: encode('Team', t) })) },
        );
        if (answer.ok) acknowledgedHeroes.set(decode(answer.data.createHero.hero.id), chosen);
        else if (answer.unchanged) refusedHeroNames.push(name);
      } else if (roll < 0.65) {
        const chosen = someTeams();
        const answer = await call(
          'setHeroTeams',
          'mutation ($h: ID!, $t: [MembershipInput!]!) { setHeroTeams(input: { heroId: $h, teams: $t }) { hero { id } } }',
          { h: encode('Hero', owned), t: chosen.map((t) => ({ teamId: encode('Team', t) })) },
        );
        // Refused with "nothing was changed": the teams stay as they were. Any other failure (the
        // outcome unknown, no answer) may or may not have been applied.
        if (answer.ok) lastSet.set(owned, { acked: chosen, unknownAfter: [] });
        else if (!answer.unchanged) lastSet.get(owned)!.unknownAfter.push(chosen);
      } else if (roll < 0.85) {
        const heroes = [...acknowledgedHeroes.keys()]; // shared heroes, never an owned one
        if (heroes.length)
          await call(
            'addHeroToTeam',
            'mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }',
            { h: encode('Hero', pick(heroes)), t: encode('Team', pick(teams)) },
          );
      } else {
        const heroes = [...acknowledgedHeroes.keys()];
        if (heroes.length)
          await call(
            'removeHeroFromTeam',
            'mutation ($h: ID!, $t: ID!) { removeHeroFromTeam(input: { heroId: $h, teamId: $t }) { removed } }',
            { h: encode('Hero', pick(heroes)), t: encode('Team', pick(teams)) },
          );
      }
    }
  };
  await Promise.all(Array.from({ length: Number(values.workers) }, (_, w) => worker(w)));
  await faults;

  // Checks, straight on the database.
  const found = new Set((await db.query<{ id: number }>('SELECT id FROM "Hero"')).rows.map((r) => r.id));
  const missing = [...acknowledgedHeroes.keys()].filter((id) => !found.has(id));
  const madeThoughRefused = (await db.query('SELECT name FROM "Hero" WHERE name = ANY($1::text[])', [refusedHeroNames]))
    .rowCount;
  const duplicates = (await db.query('SELECT "teamId", "heroId" FROM "HeroTeamLink" GROUP BY 1, 2 HAVING count(*) > 1'))
    .rowCount;
  const orphans = (
    await db.query(
      `SELECT 1 FROM "HeroTeamLink" l LEFT JOIN "Hero" h ON h.id = l."heroId" LEFT JOIN "Team" t ON t.id = l."teamId" WHERE h.id IS NULL OR t.id IS NULL`,
    )
  ).rowCount;
  // The counters the triggers keep agree with the links they count.
  const wrongCounters = (
    await db.query(
      `SELECT 1 FROM "Team" t LEFT JOIN LATERAL (
         SELECT count(*) AS heroes, count(*) FILTER (WHERE l."isTraining") AS training
         FROM "HeroTeamLink" l WHERE l."teamId" = t.id) c ON TRUE
       WHERE t."heroCount" <> c.heroes OR t."trainingHeroCount" <> c.training`,
    )
  ).rowCount;
  // An owned hero's teams are exactly its last acknowledged set, or a set sent after it whose
  // outcome the caller could not know.
  let setMismatches = 0;
  const key = (teamIds: number[]) => [...teamIds].sort((a, b) => a - b).join(',');
  for (const [hero, { acked, unknownAfter }] of lastSet) {
    const rows = (await db.query<{ teamId: number }>('SELECT "teamId" FROM "HeroTeamLink" WHERE "heroId" = $1', [hero]))
      .rows;
    const actual = key(rows.map((r) => r.teamId));
    if (![acked, ...unknownAfter].some((set) => key(set) === actual)) setMismatches++;
  }
  const section = (prefix: string) =>
    Object.fromEntries(
      [...counts.entries()]
        .filter(([k]) => k.startsWith(prefix))
        .sort()
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
  const byPhase: Record<string, Record<string, number>> = {};
  for (const [k, v] of counts) {
    if (!k.startsWith('phase ')) continue;
    const [, during, code] = k.split(' ');
    (byPhase[during!] ??= {})[code!] = v;
  }
  const masked = (counts.get('answers INTERNAL_SERVER_ERROR') ?? 0) + (counts.get('answers NO_CODE') ?? 0);
  const unanswered = counts.get('answers NETWORK_ERROR') ?? 0;
  const breaches = counts.get('contract breaches') ?? 0;
  console.log(`\nsoak: ${seconds} s, ${values.workers} workers, server ${server.url}, database ${dbName}`);
  console.log('requests:', section('requests '));
  console.log('answers by code:', section('answers '));
  console.log('answers by code, by what the database was going through when the request was sent:');
  for (const during of ['steady', 'cut', 'latency', 'black-hole']) console.log(`  ${during}:`, byPhase[during] ?? {});
  console.log(
    `masked errors (INTERNAL_SERVER_ERROR or no code): ${masked}, requests not answered: ${unanswered}, outage contract breaches: ${breaches}`,
  );
  for (const what of broken) console.log(`  breach: ${what}`);
  console.log(
    `createHero acknowledged: ${acknowledgedHeroes.size}, found in the database: ${acknowledgedHeroes.size - missing.length}; ` +
      `answered "nothing was changed": ${refusedHeroNames.length}, found in the database anyway: ${madeThoughRefused}`,
  );
  console.log(
    `setHeroTeams: ${lastSet.size} owned heroes checked, ${setMismatches} not in an acknowledged (or unknown-outcome) state`,
  );
  console.log(
    `duplicate links: ${duplicates}, orphan links: ${orphans}, teams whose counters disagree with their links: ${wrongCounters}, server still running: ${server.child.exitCode === null}`,
  );

  server.child.kill('SIGTERM');
  const exitCode = await server.exited;
  console.log(`server exit code after SIGTERM: ${exitCode}`);
  await cleanUp();
  if (values.out) {
    const codes = ['OK', 'DATABASE_UNAVAILABLE', 'MUTATION_OUTCOME_UNKNOWN', 'OVERLOADED', 'NOT_FOUND'];
    const faults: [string, string][] = [
      ['steady', 'steady (requests in flight when a fault began included)'],
      ['cut', 'connection cut, 3 s'],
      ['latency', '300 ms latency, 3 s'],
      ['black-hole', 'black-holed, 3 s'],
    ];
    const count = (n: number | undefined) => (n ?? 0).toLocaleString('en-US');
    const others = (row: Record<string, number>) =>
      Object.entries(row)
        .filter(([code]) => !codes.includes(code) && code !== 'INTERNAL_SERVER_ERROR' && code !== 'NO_CODE')
        .map(([code, n]) => `${code} ${n}`)
        .join(', ') || '0';
    const report = [
      '# Soak run: answers while the database is cut, slowed and black-holed',
      '',
      ...provenanceLines(source, started, loadAtStart),
      '',
      `${seconds} s, ${values.workers} workers; answers by what the database was going through when each request was sent:`,
      '',
      `| | ${codes.map((code) => `\`${code}\``).join(' | ')} | other | masked |`,
      `| --- |${' ---: |'.repeat(codes.length + 2)}`,
      ...faults.map(([during, label]) => {
        const row = byPhase[during] ?? {};
        const maskedHere = (row.INTERNAL_SERVER_ERROR ?? 0) + (row.NO_CODE ?? 0);
        return `| ${label} | ${codes.map((code) => count(row[code])).join(' | ')} | ${others(row)} | ${maskedHere} |`;
      }),
      '',
      '## Checks',
      '',
      `- masked errors: ${masked}; requests not answered: ${unanswered}; outage contract breaches: ${breaches}`,
      `- createHero acknowledged: ${count(acknowledgedHeroes.size)}, in the database: ${count(acknowledgedHeroes.size - missing.length)}; answered "nothing was changed": ${count(refusedHeroNames.length)}, in the database anyway: ${madeThoughRefused}`,
      `- setHeroTeams: ${lastSet.size} writers' heroes checked, ${setMismatches} not in an acknowledged (or unknown-outcome) state`,
      `- duplicate links: ${duplicates}; orphan links: ${orphans}; teams whose counters disagree with their links: ${wrongCounters}`,
      `- server exit code after SIGTERM: ${exitCode}`,
      '',
    ].join('\n');
    writeFileSync(path.resolve(values.out), report);
    console.log(`report: ${values.out}`);
  }
  const failed =
    masked > 0 ||
    unanswered > 0 ||
    breaches > 0 ||
    missing.length > 0 ||
    madeThoughRefused !== 0 ||
    duplicates !== 0 ||
    orphans !== 0 ||
    wrongCounters !== 0 ||
    exitCode !== 0 ||
    setMismatches > 0;
  if (failed) {
    console.log(`FAILED\n--- server output (last 4,000 characters) ---\n${server.output().slice(-4000)}`);
  } else {
    console.log(
      'OK: no masked error, every acknowledged write is there, nothing refused was written, no invariant broke',
    );
  }
  process.exit(failed ? 1 : 0);
}

main().catch(async (error: unknown) => {
  console.error('soak: failed to run:', error);
  await cleanUp();
  process.exit(1);
});
