// Load-and-fault run: mixed reads and writes against the server (its own process, on PostgreSQL),
// with the database cut and then slowed midway; afterwards it checks that every acknowledged write
// is in the database and that no invariant broke. Bounded in time; talks only to 127.0.0.1.
//
//   npm run soak -- [--seconds 30] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
import { parseArgs } from 'node:util';
import { Client } from 'pg';
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
  },
});
const seconds = Number(values.seconds);
const admin = values['database-url'];
const dbName = `heroes_soak_${process.pid}`;

const encode = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');
const decode = (id: string) => Number(Buffer.from(id, 'base64').toString().split(':')[1]);

interface Answer {
  ok: boolean;
  code: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function main() {
  const setup = new Client({ connectionString: admin });
  await setup.connect();
  await setup.query(`CREATE DATABASE "${dbName}"`);
  const url = new URL(admin);
  url.pathname = `/${dbName}`;
  const proxy = await FaultyProxy.start({ host: url.hostname, port: Number(url.port || 5432) });
  const server = await startServer({
    DATABASE_URL: proxy.url(url.toString()),
    NODE_ENV: 'production',
    PG_POOL_MAX: '10',
    PG_CONNECT_TIMEOUT_MS: '1000',
  });
  const db = new Client({ connectionString: url.toString() });
  await db.connect();

  const counts = new Map<string, number>();
  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

  async function call(kind: string, query: string, variables: Record<string, unknown>): Promise<Answer> {
    count(`requests ${kind}`);
    try {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
      const code = body.errors?.[0]?.extensions?.code ?? (body.errors ? 'NO_CODE' : 'OK');
      count(`answers ${code}`);
      return { ok: !body.errors, code, data: body.data };
    } catch (error) {
      count('answers NETWORK_ERROR');
      return { ok: false, code: 'NETWORK_ERROR', data: undefined };
    }
  }

  // Shared teams and heroes for the add/remove churn; each writer also owns heroes of its own.
  const teams: number[] = [];
  for (let i = 0; i < 10; i++) {
    const answer = await call(
      'createTeam',
      'mutation ($n: String!) { createTeam(input: { name: $n, headquarters: "HQ" }) { team { id } } }',
      { n: `Soak ${i}` },
    );
    teams.push(decode(answer.data.createTeam.team.id));
  }
  const acknowledgedHeroes = new Map<number, number[]>(); // hero -> team ids it was created with
  const lastSet = new Map<number, { acked: number[]; unknownAfter: number[][] }>();

  const deadline = Date.now() + seconds * 1000;
  const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
  const someTeams = () => [...new Set(Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => pick(teams)))];

  const faults = (async () => {
    await new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / 3));
    console.log('fault: database connection cut for 3 s');
    await proxy.down();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await proxy.up();
    await new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / 3 - 3000));
    console.log('fault: 300 ms latency to the database for 3 s');
    proxy.delay(300);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    proxy.delay(0);
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
        const answer = await call(
          'createHero',
          'mutation ($n: String!, $t: [MembershipInput!]) { createHero(input: { name: $n, secretName: "s", teams: $t }) { hero { id } } }',
          { n: `w${w}-${Date.now()}`, t: chosen.map((t) => ({ teamId: encode('Team', t) })) },
        );
        if (answer.ok) acknowledgedHeroes.set(decode(answer.data.createHero.hero.id), chosen);
      } else if (roll < 0.65) {
        const chosen = someTeams();
        const answer = await call(
          'setHeroTeams',
          'mutation ($h: ID!, $t: [MembershipInput!]!) { setHeroTeams(input: { heroId: $h, teams: $t }) { hero { id } } }',
          { h: encode('Hero', owned), t: chosen.map((t) => ({ teamId: encode('Team', t) })) },
        );
        // A failed call may or may not have committed (a cut connection at COMMIT): either is fine.
        if (answer.ok) lastSet.set(owned, { acked: chosen, unknownAfter: [] });
        else lastSet.get(owned)!.unknownAfter.push(chosen);
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
  const duplicates = (await db.query('SELECT "teamId", "heroId" FROM "HeroTeamLink" GROUP BY 1, 2 HAVING count(*) > 1'))
    .rowCount;
  const orphans = (
    await db.query(
      `SELECT 1 FROM "HeroTeamLink" l LEFT JOIN "Hero" h ON h.id = l."heroId" LEFT JOIN "Team" t ON t.id = l."teamId" WHERE h.id IS NULL OR t.id IS NULL`,
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
  const answered = [...counts.entries()].filter(([k]) => k.startsWith('answers')).sort();
  const requests = [...counts.entries()].filter(([k]) => k.startsWith('requests')).sort();
  console.log(`\nsoak: ${seconds} s, ${values.workers} workers, server ${server.url}, database ${dbName}`);
  console.log('requests:', Object.fromEntries(requests.map(([k, v]) => [k.slice(9), v])));
  console.log('answers by code:', Object.fromEntries(answered.map(([k, v]) => [k.slice(8), v])));
  console.log(
    `createHero acknowledged: ${acknowledgedHeroes.size}, found in the database: ${acknowledgedHeroes.size - missing.length}`,
  );
  console.log(
    `setHeroTeams: ${lastSet.size} owned heroes checked, ${setMismatches} not in an acknowledged (or unknown-outcome) state`,
  );
  console.log(
    `duplicate links: ${duplicates}, orphan links: ${orphans}, server still running: ${server.child.exitCode === null}`,
  );

  server.child.kill('SIGTERM');
  const exitCode = await server.exited;
  console.log(`server exit code after SIGTERM: ${exitCode}`);
  await db.end();
  await proxy.down();
  await setup.query(`DROP DATABASE "${dbName}" WITH (FORCE)`);
  await setup.end();
  const failed = missing.length > 0 || duplicates !== 0 || orphans !== 0 || exitCode !== 0 || setMismatches > 0;
  console.log(failed ? 'FAILED' : 'OK: every acknowledged write is there, no invariant broke');
  process.exit(failed ? 1 : 0);
}

void main();
