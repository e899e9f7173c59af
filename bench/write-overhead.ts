import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type ServerProcess, startServer } from '../test/support/server-process';
import { commandLine, provenance, provenanceLines } from './provenance';
import { databaseUrlHelp, databaseUrlOption, ScratchDatabase } from './scratch-database';
import { percentile } from './stats';

// What the triggers of the change log and of the membership history cost a write (issue 23): a
// bulk `addHeroesToTeam` of --heroes (1,000) heroes who are not members yet, sent to the server
// over HTTP, timed by the client (the mutation's wall time: request, statements, commit, answer),
// in alternating runs with the triggers that write the change log and the history enabled and
// disabled (ALTER TABLE … ENABLE / DISABLE
// TRIGGER), on PostgreSQL, in a scratch database of its own that the script creates, migrates
// (the server does, at start) and drops at the end, also after an error or Ctrl-C.
//
//   npx tsx bench/write-overhead.ts                       # 1,000 heroes, 10 pairs
//   npx tsx bench/write-overhead.ts --heroes 100 --pairs 2 --out /tmp/write-overhead.md
//   npx tsx bench/write-overhead.ts --database-url postgresql://postgres@127.0.0.1:5432/postgres
//
// Which triggers: every trigger (pg_trigger, not internal) whose name or function's name matches
// /change_log|changelog|history|period/i, or whose function writes the log (its source calls
// heroes_log_changes or names "ChangeLog"): today the *_notify_changes_* triggers of HeroTeamLink,
// Hero and Team and ChangeLog_commit; membership-history triggers (MembershipPeriod_*) too once
// their migration is there. The counters' triggers (a team's heroCount and trainingHeroCount, a
// hero's team count) stay enabled on both sides: they are part of the write either way. The
// report lists both sets.
//
// Each run: --heroes new heroes (plain SQL, not timed), the triggers set for the run's side (an
// ALTER TABLE on both sides, so that both replan the statements it invalidates), the mutation,
// timed, then the triggers enabled again and the memberships and heroes removed (not timed). Runs
// alternate in pairs, ABBA (on/off, then off/on, …), after one unmeasured pair that warms the
// server up. PGlite is not measured: the embedded database lives inside the server's process, out
// of reach of another connection that would toggle its triggers between two requests.

const { values: options } = parseArgs({
  options: {
    heroes: { type: 'string', default: '1000' },
    pairs: { type: 'string', default: '10' },
    ...databaseUrlOption,
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (options.help) {
  console.log(`npx tsx bench/write-overhead.ts [options]
  --heroes N            heroes per addHeroesToTeam (default 1000; MAX_BULK is 1000 by default)
  --pairs K             measured pairs of runs, one with the change-log triggers and one without (default 10)
${databaseUrlHelp}
  --out FILE            report (default bench/results/write-overhead.md)`);
  process.exit(0);
}

const heroCount = Number(options.heroes);
const pairs = Number(options.pairs);
if (!Number.isInteger(heroCount) || heroCount < 1) throw new Error('--heroes must be a positive integer');
if (!Number.isInteger(pairs) || pairs < 1) throw new Error('--pairs must be a positive integer');

/** Triggers of these names, or whose function has such a name, write the change log or the history. */
const LOGGING_NAME = /change_log|changelog|history|period/i;
/** A trigger function whose source says it writes the change log. */
const LOGGING_SOURCE = /heroes_log_changes|"ChangeLog"/;

const scratch = new ScratchDatabase(options['database-url']!, 'heroes_write_overhead');

let server: ServerProcess | undefined;

interface Trigger {
  name: string;
  table: string;
  fn: string;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const globalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');

async function post(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(`${server!.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  if (response.status !== 200 || body.errors) throw new Error(`${response.status}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function main() {
  const source = provenance(commandLine('bench/write-overhead.ts'));
  const started = new Date();
  const loadAtStart = loadavg();

  await scratch.create();
  // The server migrates the new database as it starts.
  server = scratch.track(
    await startServer({
      DATABASE_URL: scratch.url,
      NODE_ENV: 'development',
      ANONYMOUS_ROLE: 'admin',
      LOG_LEVEL: 'warn',
      // A mutation shed with 503 (the loop ran late on a busy machine) would fail the run.
      MAX_EVENT_LOOP_DELAY_MS: '0',
      ...(process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {}),
    }),
  );
  const db = await scratch.connect();
  const version = String((await db.query('SHOW server_version')).rows[0].server_version);

  const { rows: all } = await db.query<Trigger & { source: string }>(`
    SELECT t.tgname AS name, t.tgrelid::regclass::text AS "table", t.tgfoid::regproc::text AS fn, p.prosrc AS source
    FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
    WHERE NOT t.tgisinternal ORDER BY 2, 1`);
  const logging = all.filter(
    (t) => LOGGING_NAME.test(t.name) || LOGGING_NAME.test(t.fn) || LOGGING_SOURCE.test(t.source),
  );
  const kept = all.filter((t) => !logging.includes(t));
  if (logging.length === 0) throw new Error('no trigger writes the change log: nothing to measure');
  const setTriggers = async (enabled: boolean) => {
    for (const t of logging) {
      await db.query(`ALTER TABLE ${t.table} ${enabled ? 'ENABLE' : 'DISABLE'} TRIGGER ${quoteIdent(t.name)}`);
    }
  };
  const logHead = async () =>
    Number((await db.query('SELECT coalesce(max("position"), 0)::float8 AS head FROM "ChangeCommit"')).rows[0].head);

  const team = (
    await post(`mutation { createTeam(input: { name: "Write overhead", headquarters: "w" }) { team { id } } }`)
  ).createTeam.team.id as string;

  /** One run: new heroes, the triggers as `enabled` says, the mutation timed (ms), then undone. */
  const once = async (enabled: boolean): Promise<number> => {
    const { rows } = await db.query<{ id: number }>(
      `INSERT INTO "Hero" (name, "secretName", age)
       SELECT 'Overhead ' || i, 'secret ' || i, 20 + i % 50 FROM generate_series(1, $1::int) i RETURNING id`,
      [heroCount],
    );
    const heroes = rows.map((row) => globalId('Hero', row.id));
    await setTriggers(enabled);
    const headBefore = await logHead();
    const sent = performance.now();
    const data = await post(
      `mutation ($team: ID!, $heroes: [HeroMembershipInput!]!) {
        addHeroesToTeam(input: { teamId: $team, heroes: $heroes }) { added } }`,
      { team, heroes: heroes.map((heroId, i) => ({ heroId, isTraining: i % 2 === 0 })) },
    );
    const ms = performance.now() - sent;
    const logged = (await logHead()) > headBefore;
    await setTriggers(true);
    if (data.addHeroesToTeam.added !== heroCount) {
      throw new Error(`addHeroesToTeam added ${data.addHeroesToTeam.added}, not ${heroCount}`);
    }
    // Triggers on: the mutation's transaction is in the log; off: it is not.
    if (logged !== enabled)
      throw new Error(`triggers ${enabled ? 'on' : 'off'}, yet the log ${logged ? 'grew' : 'did not grow'}`);
    await post(
      `mutation ($team: ID!, $heroes: [ID!]!) { removeHeroesFromTeam(input: { teamId: $team, heroIds: $heroes }) { removed } }`,
      { team, heroes },
    );
    await db.query(`DELETE FROM "Hero" WHERE id = ANY($1::int[])`, [rows.map((row) => row.id)]);
    return ms;
  };

  // One pair unmeasured (the server's first bulk write plans and compiles what the others reuse).
  await once(true);
  await once(false);
  const on: number[] = [];
  const off: number[] = [];
  const runs: string[] = [];
  /** Each pair's own difference, on − off (ms): what drifts between pairs cancels within one. */
  const differences: number[] = [];
  for (let k = 0; k < pairs; k++) {
    const order = k % 2 === 0 ? [true, false] : [false, true];
    const times: string[] = [];
    const pair = { on: 0, off: 0 };
    for (const enabled of order) {
      const ms = await once(enabled);
      (enabled ? on : off).push(ms);
      pair[enabled ? 'on' : 'off'] = ms;
      times.push(`${enabled ? 'on' : 'off'} ${ms.toFixed(1)}`);
    }
    differences.push(pair.on - pair.off);
    const line = `pair ${k + 1}: ${times.join(', ')} ms`;
    console.log(line);
    runs.push(`- ${line}`);
  }
  on.sort((a, b) => a - b);
  off.sort((a, b) => a - b);
  differences.sort((a, b) => a - b);
  const row = (label: string, sorted: number[]) =>
    `| ${label} | ${sorted.length} | ${percentile(sorted, 50).toFixed(1)} | ${percentile(sorted, 90).toFixed(1)} | ${sorted[0]!.toFixed(1)} | ${sorted.at(-1)!.toFixed(1)} |`;
  const diff = (p: number) => {
    const a = percentile(on, p);
    const b = percentile(off, p);
    return `${(a - b).toFixed(1)} ms (${(((a - b) / b) * 100).toFixed(1)} %)`;
  };
  const list = (triggers: Trigger[]) =>
    triggers.length ? triggers.map((t) => `\`${t.name}\` on ${t.table} (${t.fn})`).join(', ') : 'none';
  const report = `# Write overhead of the change log and membership history triggers

${provenanceLines(source, started, loadAtStart).join('\n')}

On PostgreSQL ${version}, a scratch database of its own (migrated by the server at start). One
\`addHeroesToTeam\` of ${heroCount} heroes who are not members yet (payload \`added\`), sent over HTTP to the
server (NODE_ENV=development, one process, on this machine), timed by the client: the mutation's wall
time in ms, its round trip, statements and commit included. ${pairs} pairs of runs, alternating ABBA (on,
off, then off, on, …) after one unmeasured pair; each run on ${heroCount} new heroes (made by plain SQL,
not timed), its memberships and heroes removed after it (not timed). Each run sets the triggers
with ALTER TABLE, on both sides, so both replan alike.

Triggers disabled for "off": ${list(logging)}.

Kept enabled on both sides (the counters and the rest): ${list(kept)}.

| change-log and history triggers | runs | p50 ms | p90 ms | min ms | max ms |
| --- | ---: | ---: | ---: | ---: | ---: |
${row('on', on)}
${row('off', off)}

Overhead of the triggers (on − off): p50 ${diff(50)}, p90 ${diff(90)}; the median of each pair's own
difference ${percentile(differences, 50).toFixed(1)} ms (${((percentile(differences, 50) / percentile(off, 50)) * 100).toFixed(1)} % of the p50 without).

The runs, in order:

${runs.join('\n')}
`;
  const out = options.out ?? path.join(__dirname, 'results', 'write-overhead.md');
  writeFileSync(out, report);
  console.log(`\nWritten to ${out}`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    if (server) console.error(server.output().slice(-3000));
    process.exitCode = 1;
  })
  .finally(() => scratch.drop());
