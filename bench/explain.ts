import './explain-env';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { type Dataset, ensureDataset } from './dataset';
import { commandLine, provenance, provenanceLines } from './provenance';
import { teamGlobalId } from './queries';

// What the database does for one request of each shape of the link layer's additions (filters
// through the link, JOINED_AT pages, bulk memberships) on a bench data set: the SQL statements the
// server sends, counted with its own query log, and for each the rows its plan reads per table, from
// EXPLAIN ANALYZE with the statement's own parameters. Writes are measured as they happened: the
// request runs, an undo request restores the data, then the recorded statements are replayed under
// EXPLAIN ANALYZE in a transaction that is rolled back. Counts, not times, are what to compare.
//
//   npm run bench:explain -- --scale 10000 [--database NAME] [--only q6,q6-age,...] [--plans] [--out FILE]
//
// --plans prints each statement's plan as text too (to stderr). The report goes to stdout and to
// bench/results/explain-<scale>.md (--out FILE overrides; a run with --only writes no file unless
// --out is given).

interface Shape {
  key: string;
  label: string;
  query: string;
  variables(data: Dataset): Record<string, unknown>;
  /** A request that puts the data back as it was before this one (for writes). */
  undo?: { query: string; variables(data: Dataset): Record<string, unknown> };
}

const heroGlobalId = (id: number) => Buffer.from(`Hero:${id}`).toString('base64');
/** A cursor of a page in this order, at any key: a page after it starts wherever the key falls. */
const cursor = (field: string, id: number, key: string | number | null) =>
  Buffer.from(JSON.stringify([field, id, key])).toString('base64url');

/** The Giant team's page of 10 heroes in one ordering (Q6 and its variants). */
function giantPage(key: string, label: string, page: string): Shape {
  return {
    key,
    label,
    query: `query ($id: ID!) { team(id: $id) { heroes(${page}) { totalCount edges { node { id name age } } } } }`,
    variables: (data) => ({ id: teamGlobalId(data.giantTeamId) }),
  };
}
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/**
 * nameContains on the root list (a page of 100 with totalCount, as scripts/hostile.ts sends it 15
 * times over), and on the link: a 50-hero team's members and the Giant team's, by name.
 */
function nameSearches(): Shape[] {
  const texts = [
    ['long', '200 characters of `%_`', '%_'.repeat(100)],
    ['3', 'a 3-letter text, "owl" (one hero in 12)', 'owl'],
    ['3-none', 'a 3-letter text no hero has, "xyz"', 'xyz'],
    ['word', 'a word, "panther" (one hero in 12)', 'panther'],
    ['2', 'a 2-letter text, "er" (most heroes)', 'er'],
    ['1', 'a 1-letter text, "q" (no hero)', 'q'],
  ] as const;
  return [
    ...texts.map(([key, label, text]) => ({
      key: `name-${key}`,
      label: `heroes(first: 100) whose name contains ${label}, with totalCount`,
      query: `query ($s: String!) { heroes(first: 100, where: { nameContains: $s }) { totalCount edges { node { id name } } } }`,
      variables: () => ({ s: text }),
    })),
    ...(['owl', 'q'] as const).flatMap((text) => [
      {
        key: `name-team-${text}`,
        label: `a 50-hero team's heroes whose name contains "${text}", by name, with totalCount`,
        query: `query ($id: ID!, $s: String!) { team(id: $id) { heroes(first: 10, where: { nameContains: $s }, orderBy: { field: NAME }) {
          totalCount edges { node { id name } } } } }`,
        variables: () => ({ id: teamGlobalId(1), s: text }),
      },
      {
        key: `name-giant-${text}`,
        label: `the Giant team's heroes whose name contains "${text}", by name, with totalCount`,
        query: `query ($id: ID!, $s: String!) { team(id: $id) { heroes(first: 10, where: { nameContains: $s }, orderBy: { field: NAME }) {
          totalCount edges { node { id name } } } } }`,
        variables: (data: Dataset) => ({ id: teamGlobalId(data.giantTeamId), s: text }),
      },
    ]),
    {
      key: 'name-teams',
      label: 'Hero 1\'s teams whose name contains "force"',
      query: `query ($id: ID!) { hero(id: $id) { teams(first: 10, where: { nameContains: "force" }) { totalCount edges { node { id name } } } } }`,
      variables: () => ({ id: heroGlobalId(1) }),
    },
  ];
}

const shapes: Shape[] = [
  giantPage('q6', "Q6: the Giant team's first 10 heroes by name", 'first: 10, orderBy: { field: NAME }'),
  giantPage(
    'q6-desc',
    "the Giant team's first 10 by name, descending",
    'first: 10, orderBy: { field: NAME, direction: DESC }',
  ),
  giantPage(
    'q6-last',
    "the Giant team's last 10 by name, before a cursor",
    `last: 10, before: "${cursor('NAME', 50_000, 'M')}", orderBy: { field: NAME }`,
  ),
  giantPage('q6-age', "the Giant team's first 10 by age", 'first: 10, orderBy: { field: AGE }'),
  giantPage(
    'q6-age-after',
    "the Giant team's 10 by age after age 60 (the NULL ages come after)",
    `first: 10, after: "${cursor('AGE', 5000, 60)}", orderBy: { field: AGE }`,
  ),
  giantPage('q6-age-last', "the Giant team's last 10 by age (the NULL ages)", 'last: 10, orderBy: { field: AGE }'),
  giantPage(
    'q6-age-desc-null',
    "the Giant team's 10 by age descending, after a NULL age",
    `first: 10, after: "${cursor('AGE', 50_000, null)}", orderBy: { field: AGE, direction: DESC }`,
  ),
  giantPage(
    'q6-older',
    "the Giant team's first 10 older than 30, by name",
    'first: 10, where: { minAge: 31 }, orderBy: { field: NAME }',
  ),
  {
    key: 'q5',
    label: "Q5: 20 teams' first 50 heroes by name",
    query: `{ teams(first: 20, orderBy: { field: ID }) { edges { node { name
      heroes(first: 50, orderBy: { field: NAME }) { edges { isTraining node { id name age } } } } } } }`,
    variables: () => ({}),
  },
  {
    key: 'q5-one',
    label: "a 50-hero team's first 10 by name",
    query: `query ($id: ID!) { team(id: $id) { heroes(first: 10, orderBy: { field: NAME }) { edges { node { id name } } } } }`,
    variables: () => ({ id: teamGlobalId(1) }),
  },
  {
    key: 'both',
    label: 'heroes in both of two teams (team 1, 50 members, and the Giant team, 100,000), first 20 by id',
    query: `query ($a: ID!, $b: ID!) { heroes(first: 20, where: { and: [
      { teams: { some: { team: { ids: [$a] } } } }, { teams: { some: { team: { ids: [$b] } } } }] }) {
      totalCount edges { node { id name } } } }`,
    variables: (data) => ({ a: teamGlobalId(1), b: teamGlobalId(data.giantTeamId) }),
  },
  {
    key: 'none',
    label: 'heroes in no team, first 20 by id (every hero has one: the page stays empty)',
    query: `{ heroes(first: 20, where: { teams: { none: {} } }) { edges { node { id name } } } }`,
    variables: () => ({}),
  },
  {
    key: 'newest',
    label: 'the 10 newest members of the Giant team (100,000 members)',
    query: `query ($id: ID!) { team(id: $id) { heroes(first: 10, orderBy: { field: JOINED_AT, direction: DESC }) {
      edges { joinedAt node { id name } } pageInfo { endCursor } } } }`,
    variables: (data) => ({ id: teamGlobalId(data.giantTeamId) }),
  },
  {
    key: 'trainee',
    label: 'teams that have a hero in training, first 20 by id',
    query: `{ teams(first: 20, where: { heroes: { some: { isTraining: true } } }) { edges { node { id name } } } }`,
    variables: () => ({}),
  },
  {
    key: 'older',
    label: "a 50-hero team's heroes older than 30, by name",
    query: `query ($id: ID!) { team(id: $id) { heroes(where: { minAge: 31 }, orderBy: { field: NAME }) {
      totalCount edges { node { name age } } } } }`,
    variables: () => ({ id: teamGlobalId(1) }),
  },
  ...nameSearches(),
  {
    key: 'biggest',
    label: 'the five biggest teams (HERO_COUNT DESC), with their counters',
    query: `{ teams(first: 5, orderBy: { field: HERO_COUNT, direction: DESC }) {
      edges { node { id name heroCount trainingHeroCount } } } }`,
    variables: () => ({}),
  },
  {
    key: 'trainees',
    label: 'teams with more than three heroes in training, first 10',
    query: `{ teams(first: 10, where: { trainingHeroCount: { gt: 3 } }) { edges { node { id name trainingHeroCount } } } }`,
    variables: () => ({}),
  },
  {
    key: 'q9',
    label: 'Q9: the five biggest teams, head count, trainees, average age, first 5 heroes',
    query: `{ teams(first: 5, orderBy: { field: HERO_COUNT, direction: DESC }) { edges { node { id name heroCount trainingHeroCount
      heroes(first: 5) { aggregate { age { avg } } edges { node { id name } } } } } } }`,
    variables: () => ({}),
  },
  {
    key: 'bulk',
    label: 'addHeroesToTeam: 1,000 heroes who are not members yet, into team 1',
    query: `mutation ($team: ID!, $heroes: [HeroMembershipInput!]!) {
      addHeroesToTeam(input: { teamId: $team, heroes: $heroes }) { added team { heroes { totalCount } } } }`,
    variables: (data) => ({
      team: teamGlobalId(1),
      heroes: range(data.scale + 1, 1000).map((id) => ({ heroId: heroGlobalId(id), isTraining: id % 2 === 0 })),
    }),
    undo: {
      query: `mutation ($team: ID!, $heroes: [ID!]!) {
        removeHeroesFromTeam(input: { teamId: $team, heroIds: $heroes }) { removed } }`,
      variables: (data) => ({ team: teamGlobalId(1), heroes: range(data.scale + 1, 1000).map(heroGlobalId) }),
    },
  },
];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows each table's scans produced or read and threw away, over all their loops. */
function rowsRead(plan: PlanNode, into = new Map<string, number>()): Map<string, number> {
  const table = plan['Relation Name'];
  if (table && /Scan/.test(plan['Node Type'])) {
    const perLoop =
      (plan['Actual Rows'] ?? 0) + (plan['Rows Removed by Filter'] ?? 0) + (plan['Rows Removed by Index Recheck'] ?? 0);
    into.set(table, (into.get(table) ?? 0) + perLoop * (plan['Actual Loops'] ?? 1));
  }
  for (const child of plan.Plans ?? []) rowsRead(child, into);
  return into;
}

function fullScans(plan: PlanNode, into: string[] = []): string[] {
  if (plan['Node Type'] === 'Seq Scan' && plan['Relation Name']) into.push(plan['Relation Name']);
  for (const child of plan.Plans ?? []) fullScans(child, into);
  return into;
}

interface Measured {
  statement: string;
  ms: number;
  rows: Map<string, number>;
  seqScans: string[];
  /** Time in triggers, foreign-key checks included (the link's checks and its counters). */
  triggers: { name: string; calls: number; ms: number }[];
}

interface TriggerTime {
  'Trigger Name': string;
  Calls: number;
  Time: number;
}

async function main() {
  const option = (name: string) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const scale = Number(option('--scale') ?? 10_000);
  const only = option('--only')?.split(',');
  const showPlans = process.argv.includes('--plans');
  const out = option('--out') ?? (only ? undefined : path.join(__dirname, 'results', `explain-${scale}.md`));
  const source = provenance(commandLine('bench/explain.ts'));
  const started = new Date();
  const loadAtStart = os.loadavg();
  const data = await ensureDataset({ scale, database: option('--database'), log: (line) => console.error(line) });
  // The server's modules read DATABASE_URL when they load: bench/explain-env.ts set it first.
  if (process.env.DATABASE_URL !== data.url)
    throw new Error(`DATABASE_URL is ${process.env.DATABASE_URL}, the data set ${data.url}`);
  const { onQuery, closeDatabase } = await import('../src/db');
  const { yoga } = await import('../src/graphql/yoga');

  const send = async (query: string, variables: Record<string, unknown>) => {
    const response = await yoga.fetch('http://bench/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    if (response.status !== 200 || text.includes('"errors"'))
      throw new Error(`${response.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as { data: unknown };
  };

  const client = new Client({ connectionString: data.url });
  await client.connect();
  const lines = [
    `# Plans of the link layer's shapes at S = ${scale.toLocaleString('en-US')}`,
    '',
    ...provenanceLines(source, started, loadAtStart),
    '',
    `Database ${data.database} (checksum ${data.checksum}).`,
    "Rows: what each table's scans produced or read and discarded, over all loops (EXPLAIN ANALYZE).",
    '',
    '| shape | statements | rows read per statement | Seq Scans | ms in PostgreSQL |',
    '| --- | ---: | --- | --- | ---: |',
  ];
  try {
    for (const shape of shapes.filter((one) => !only || only.includes(one.key))) {
      const recorded: { query: string; params: unknown[] }[] = [];
      const stop = onQuery((event) =>
        recorded.push({ query: event.query, params: JSON.parse(event.params) as unknown[] }),
      );
      try {
        await send(shape.query, shape.variables(data));
      } finally {
        stop();
      }
      if (shape.undo) await send(shape.undo.query, shape.undo.variables(data));

      const measured: Measured[] = [];
      await client.query('BEGIN');
      try {
        for (const { query, params } of recorded) {
          // The end of a transaction, as Prisma reports it: nothing to plan.
          if (/^\s*(--|COMMIT|BEGIN)/i.test(query)) {
            measured.push({ statement: query.trim(), ms: 0, rows: new Map(), seqScans: [], triggers: [] });
            continue;
          }
          const { rows } = await client.query<{
            'QUERY PLAN': { Plan: PlanNode; 'Execution Time': number; Triggers?: TriggerTime[] }[];
          }>(
            `EXPLAIN (ANALYZE, FORMAT JSON) ${query}`,
            params.map((value) =>
              Array.isArray(value) || value === null || typeof value !== 'object' ? value : JSON.stringify(value),
            ),
          );
          const [plan] = rows[0]!['QUERY PLAN'];
          if (showPlans) {
            const text = await client.query<{ 'QUERY PLAN': string }>(
              `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${query}`,
              params.map((value) =>
                Array.isArray(value) || value === null || typeof value !== 'object' ? value : JSON.stringify(value),
              ),
            );
            console.error(text.rows.map((row) => `      ${row['QUERY PLAN']}`).join('\n'));
          }
          measured.push({
            statement: query.replace(/\s+/g, ' ').trim(),
            ms: plan!['Execution Time'],
            rows: rowsRead(plan!.Plan),
            seqScans: fullScans(plan!.Plan),
            triggers: (plan!.Triggers ?? []).map((t) => ({ name: t['Trigger Name'], calls: t.Calls, ms: t.Time })),
          });
        }
      } finally {
        await client.query('ROLLBACK');
      }
      const describe = (m: Measured) =>
        [...m.rows].map(([table, rows]) => `${table} ${Math.round(rows).toLocaleString('en-US')}`).join(', ') || 'none';
      lines.push(
        `| ${shape.label} | ${measured.length} | ${measured.map((m, i) => `${i + 1}: ${describe(m)}`).join('; ')} | ` +
          `${[...new Set(measured.flatMap((m) => m.seqScans))].join(', ') || 'none'} | ` +
          `${measured.reduce((sum, m) => sum + m.ms, 0).toFixed(1)} |`,
      );
      console.error(`${shape.key}: ${measured.length} statements`);
      for (const m of measured) {
        console.error(`  ${m.ms.toFixed(2)} ms  ${describe(m)}  ${m.statement.slice(0, 160)}`);
        for (const t of m.triggers) console.error(`      trigger ${t.name}: ${t.calls} calls, ${t.ms.toFixed(2)} ms`);
      }
    }
  } finally {
    await client.end();
    await closeDatabase();
  }
  const report = `${lines.join('\n')}\n`;
  process.stdout.write(report);
  if (out) {
    writeFileSync(out, report);
    console.error(`Written to ${path.relative(process.cwd(), out)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
