import { complexityFromQuery } from '@pothos/plugin-complexity';
import { prisma } from '../src/db';
import { containsPattern, hasTrigram, UNINDEXED_SEARCH_COST } from '../src/links/filters';
import { schema } from '../src/schema';
import { graphql } from './gql';
import { makeTeams, resetDatabase, teamId } from './support/factories';
import { ok, recordSql } from './support/graphql';
import {
  explainServed,
  type PlanMode,
  type PlanNode,
  rowsPerPlan,
  type ServedPlan,
  statementsOf,
} from './support/plans';

// nameContains is a case-insensitive substring of the name, served by the trigram indexes on
// lower(name) (migration 20261201041500_name_trigram_indexes) when the text has a trigram.

const SearchHeroes = graphql(`
  query SearchHeroes($text: String!) {
    heroes(first: 100, where: { nameContains: $text }) {
      totalCount
      edges {
        node {
          name
        }
      }
    }
  }
`);

const SearchTeams = graphql(`
  query SearchTeams($text: String!) {
    teams(first: 100, where: { nameContains: $text }) {
      totalCount
      edges {
        node {
          name
        }
      }
    }
  }
`);

const SearchTeamHeroes = graphql(`
  query SearchTeamHeroes($id: ID!, $text: String!) {
    team(id: $id) {
      heroes(first: 10, where: { nameContains: $text }, orderBy: { field: NAME }) {
        totalCount
        edges {
          node {
            name
          }
        }
      }
    }
  }
`);

async function heroNames(text: string): Promise<string[]> {
  const data = await ok(SearchHeroes, { text });
  expect(data.heroes.totalCount).toBe(data.heroes.edges.length);
  return data.heroes.edges.map((edge) => edge.node.name).sort();
}

function nodes(plan: PlanNode, into: PlanNode[] = []): PlanNode[] {
  into.push(plan);
  for (const child of plan.Plans ?? []) nodes(child, into);
  return into;
}

/**
 * The plans of each statement of a recorded request that reads `table`, as the server runs it:
 * planned for its values, and for a named statement also after six runs and generic
 * (test/support/plans.ts).
 */
async function plans(
  recorded: Parameters<typeof statementsOf>[0],
  table: string,
): Promise<Partial<Record<PlanMode, ServedPlan>>[]> {
  const found: Partial<Record<PlanMode, ServedPlan>>[] = [];
  for (const statement of statementsOf(recorded)) {
    if (!statement.sql.includes(`FROM "${table}"`) && !statement.sql.includes(`JOIN "${table}"`)) continue;
    found.push(await explainServed(statement));
  }
  return found;
}

/** `check` of each plan of a statement, by how it was planned. */
const perPlan = <T>(served: Partial<Record<PlanMode, ServedPlan>>, check: (plan: PlanNode) => T) =>
  Object.fromEntries(Object.entries(served).map(([mode, { plan }]) => [mode, check(plan)]));

const usesIndex = (plan: PlanNode, index: string) =>
  nodes(plan).some((node) => node['Node Type'] === 'Bitmap Index Scan' && node['Index Name'] === index);

describe('the trigram indexes', () => {
  it('exist on lower(name) of heroes and teams, with pg_trgm', async () => {
    const indexes = await prisma.$queryRaw<{ indexname: string; indexdef: string }[]>`
      SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%trgm%' ORDER BY indexname`;
    expect(indexes.map((index) => [index.indexname, index.indexdef.replace(/^.* USING /, '')])).toEqual([
      ['Hero_name_trgm_idx', 'gin (lower(name) gin_trgm_ops)'],
      ['Team_name_trgm_idx', 'gin (lower(name) gin_trgm_ops)'],
    ]);
    const extensions = await prisma.$queryRaw<{ extname: string }[]>`
      SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'`;
    expect(extensions).toHaveLength(1);
  });
});

describe('nameContains', () => {
  beforeAll(async () => {
    await resetDatabase();
    await prisma.hero.createMany({
      data: [
        '100% Man',
        '100 Percent',
        'Under_Score',
        'Under Score',
        'Back\\Slash',
        'BackSlash',
        'Rusty-Man',
        'Spider-Boy',
        'Ðoctor Ärger',
        'Café Noir',
        'CAFÉ BLANC',
        'Фантом',
        '日本の侍',
      ].map((name) => ({ name, secretName: 's' })),
    });
  });

  it('takes %, _ and \\ as themselves, not as LIKE wildcards or escapes', async () => {
    expect(await heroNames('%')).toEqual(['100% Man']);
    expect(await heroNames('0% m')).toEqual(['100% Man']);
    expect(await heroNames('_')).toEqual(['Under_Score']);
    expect(await heroNames('der_sco')).toEqual(['Under_Score']);
    expect(await heroNames('\\')).toEqual(['Back\\Slash']);
    expect(await heroNames('k\\s')).toEqual(['Back\\Slash']);
    expect(await heroNames('%_')).toEqual([]);
    expect(await heroNames('%_'.repeat(100))).toEqual([]);
    expect(await heroNames('\\%')).toEqual([]);
  });

  it('ignores case, ASCII or not, and finds any Unicode text', async () => {
    expect(await heroNames('MAN')).toEqual(['100% Man', 'Rusty-Man']);
    expect(await heroNames('café')).toEqual(['CAFÉ BLANC', 'Café Noir']);
    expect(await heroNames('ärger')).toEqual(['Ðoctor Ärger']);
    expect(await heroNames('ðOCTOR')).toEqual(['Ðoctor Ärger']);
    expect(await heroNames('фант')).toEqual(['Фантом']);
    expect(await heroNames('の侍')).toEqual(['日本の侍']);
    expect(await heroNames('')).toHaveLength(13);
  });

  it('finds the same names with the index or without it (texts of 1 and 2 characters)', async () => {
    expect(await heroNames('y')).toEqual(['Rusty-Man', 'Spider-Boy']);
    expect(await heroNames('sp')).toEqual(['Spider-Boy']);
    expect(await heroNames('r-')).toEqual(['Spider-Boy']);
  });

  it('on teams too', async () => {
    await prisma.team.createMany({
      data: ['Z_Force', 'Zebra Force', 'Preventers'].map((name) => ({ name, headquarters: 'hq' })),
    });
    const names = async (text: string) =>
      (await ok(SearchTeams, { text })).teams.edges.map((edge) => edge.node.name).sort();
    expect(await names('z_')).toEqual(['Z_Force']);
    expect(await names('FORCE')).toEqual(['Z_Force', 'Zebra Force']);
  });
});

describe('containsPattern and hasTrigram', () => {
  it('escape the LIKE wildcards and the escape character', () => {
    expect(containsPattern('a%b_c\\d')).toBe('%a\\%b\\_c\\\\d%');
    expect(containsPattern('')).toBe('%%');
  });

  it.each([
    ['owl', true],
    ['ow', false],
    ['o', false],
    ['', false],
    ['ow ', true], // "ow" padded behind
    ['x y', true], // "y" padded in front
    [' o', true],
    ['%_'.repeat(100), false],
    ['-_-', false],
    ['日本の', true],
    ['日本', false],
  ])('%j has a trigram: %s', (text, expected) => {
    expect(hasTrigram(text)).toBe(expected);
  });

  it('price a text without a trigram as a scan of the table', () => {
    const cost = (text: string) =>
      complexityFromQuery(`{ heroes(first: 1, where: { nameContains: ${JSON.stringify(text)} }) { totalCount } }`, {
        schema,
      }).complexity;
    expect(cost('er') - cost('owl')).toBe(UNINDEXED_SEARCH_COST - 1);
    expect(cost('%_'.repeat(100)) - cost('owl')).toBe(UNINDEXED_SEARCH_COST - 1);
  });
});

describe('the plans of nameContains on 10,000 heroes', () => {
  let small: number;

  beforeAll(async () => {
    await resetDatabase();
    // Names of words, numbered, and secret names long enough for the table to span a few hundred
    // pages: on fewer, reading them all costs PostgreSQL less than any index.
    await prisma.$executeRawUnsafe(`
      INSERT INTO "Hero" (name, "secretName")
      SELECT (ARRAY['Captain', 'Doctor', 'Iron', 'Silver', 'Night'])[1 + g % 5] || ' ' ||
             (ARRAY['Falcon', 'Lion', 'Wasp', 'Hawk', 'Comet', 'Panther', 'Viper', 'Mole'])[1 + g / 5 % 8] || ' ' || g,
             repeat('s', 100)
      FROM generate_series(1, 10000) g`);
    small = (await makeTeams(1, 'Small'))[0]!;
    await prisma.$executeRawUnsafe(
      `INSERT INTO "HeroTeamLink" ("teamId", "heroId") SELECT ${small}, id FROM "Hero" WHERE id % 100 = 0`,
    );
    // VACUUM too: it moves the rows from the GIN index's pending list (where new rows wait, and
    // which every search reads whole) into the index proper, as autovacuum would.
    await prisma.$executeRawUnsafe('VACUUM ANALYZE "Hero", "Team", "HeroTeamLink"');
  }, 30_000);

  it('a root list with a text of 3 characters or more reads the trigram index, page and count', async () => {
    for (const text of ['4321', 'Panther 12', 'xyz']) {
      const recorded = await recordSql(() => ok(SearchHeroes, { text }));
      const read = await plans(recorded, 'Hero');
      expect(read).toHaveLength(2);
      // Sent with the text in the statement, so planned for each text (planPerValue): a generic
      // plan, made once for any text, would read the index for every text or for none.
      for (const served of read)
        expect(perPlan(served, (plan) => usesIndex(plan, 'Hero_name_trgm_idx'))).toEqual({ custom: true });
    }
  });

  it("a small team's page filtered by name reads the team's links, not every hero the index finds", async () => {
    const recorded = await recordSql(() => ok(SearchTeamHeroes, { id: teamId(small), text: 'comet' }));
    expect(recorded.result.team?.heroes.totalCount).toBe(50);
    const [page] = await plans(recorded, 'HeroTeamLink');
    const never = { custom: false, prepared: false, generic: false };
    expect(perPlan(page!, (plan) => usesIndex(plan, 'Hero_name_trgm_idx'))).toEqual(never);
    expect(rowsPerPlan(page!, 'HeroTeamLink', 100)).toEqual(rowsPerPlan(page!, 'HeroTeamLink'));
  });

  it('a text without a trigram is lowercased once per statement, not on every row, in every plan', async () => {
    // In a generic plan (PG_GENERIC_PLANS runs named statements with theirs) a function of a
    // parameter is evaluated again on every row: lower() of these 200 characters, 100,000 times
    // on the bench's heroes, was most of the statement.
    const text = '%_'.repeat(100);
    const perRow = (plan: PlanNode) =>
      nodes(plan)
        .map((node) => node.Filter ?? '')
        .filter((filter) => /lower\(\$\d+\)/.test(filter));
    const heroes = await plans(await recordSql(() => ok(SearchHeroes, { text })), 'Hero');
    const page = await plans(await recordSql(() => ok(SearchTeamHeroes, { id: teamId(small), text })), 'HeroTeamLink');
    for (const served of [...heroes, ...page]) {
      expect(Object.keys(served)).toContain('generic');
      for (const filters of Object.values(perPlan(served, perRow))) expect(filters).toEqual([]);
    }
  });

  it('a text without a trigram is a plain scan, never a scan of the whole index', async () => {
    const recorded = await recordSql(() => ok(SearchHeroes, { text: 'q' }));
    for (const served of await plans(recorded, 'Hero')) {
      for (const uses of Object.values(perPlan(served, (plan) => usesIndex(plan, 'Hero_name_trgm_idx'))))
        expect(uses).toBe(false);
    }
  });
});
