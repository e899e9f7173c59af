import { prisma } from '../src/db';
import { graphql } from './gql';
import { inPostgresOrder, makeHeroesWithTies, makeTeams, resetDatabase, teamId } from './support/factories';
import { ok, recordSql } from './support/graphql';
import { explainServed, rowsPerPlan, statementsOf } from './support/plans';

// Pages of a team's heroes ordered by a node column (NAME, AGE). A big team's page is found by
// walking the heroes' index in order and probing the link; a small team's by sorting its links.
// Both must give the same pages, in every direction, from every cursor, with ties (same name,
// same age, no age) broken by id, and NULL ages last going up.

const HEROES = 600;
let big: number;
let small: number;
/** Every hero, in id order, with its memberships' isTraining (the same in both teams). */
let heroes: { id: number; name: string; age: number | null; isTraining: boolean }[];

beforeAll(async () => {
  await resetDatabase();
  const [first, second] = await makeTeams(2, 'Order');
  big = first!;
  small = second!;
  // Few distinct names and ages, so ties are the rule; one hero in six has no age.
  const rows = await makeHeroesWithTies(HEROES);
  heroes = rows.map((row, i) => ({ ...row, isTraining: i % 3 === 0 }));
  // The big team holds every hero; the small one 20 of them.
  await prisma.heroTeamLink.createMany({
    data: heroes.flatMap((hero, i) => [
      { teamId: big, heroId: hero.id, isTraining: hero.isTraining },
      ...(i % 30 === 0 ? [{ teamId: small, heroId: hero.id, isTraining: hero.isTraining }] : []),
    ]),
  });
  // And 200 teams of 3: as in real data, most teams are small, so PostgreSQL left to itself would
  // read and sort a team's links (the big team's cost below is the loader's choice, not luck).
  const others = await makeTeams(200, 'Other');
  await prisma.heroTeamLink.createMany({
    data: others.flatMap((team, t) =>
      [0, 1, 2].map((k) => ({ teamId: team, heroId: heroes[(t * 3 + k) % HEROES]!.id })),
    ),
  });
  await prisma.$executeRawUnsafe('ANALYZE');
});

const Page = graphql(`
  query NodeOrderPage(
    $id: ID!
    $order: HeroOrder
    $first: Int
    $after: String
    $last: Int
    $before: String
    $isTraining: Boolean
    $where: HeroFilter
  ) {
    team(id: $id) {
      heroes(
        orderBy: $order
        first: $first
        after: $after
        last: $last
        before: $before
        isTraining: $isTraining
        where: $where
      ) {
        edges {
          cursor
          isTraining
          node {
            id
            name
            age
          }
        }
        pageInfo {
          hasNextPage
          hasPreviousPage
          startCursor
          endCursor
        }
      }
    }
  }
`);

type Field = 'NAME' | 'AGE';
type Direction = 'ASC' | 'DESC';
type Hero = (typeof heroes)[number];

/** The ids of `members` in the order a page of `field` and `direction` must give them. */
function expected(members: Hero[], field: Field, direction: Direction): string[] {
  return inPostgresOrder(members, (hero) => (field === 'NAME' ? hero.name : hero.age), direction).map(
    (hero) => `${hero.id}`,
  );
}

const ids = (edges: { node: { id: string } }[]) =>
  edges.map((edge) => Buffer.from(edge.node.id, 'base64').toString().split(':')[1]!);

/** Every page of the list, forwards with `first` or backwards with `last`, in list order. */
async function walkAll(
  team: number,
  order: { field: Field; direction: Direction },
  how: 'first' | 'last',
  extra: { isTraining?: boolean; where?: { minAge?: number } } = {},
): Promise<{ ids: string[]; pages: number }> {
  const found: string[] = [];
  let cursor: string | null | undefined;
  let pages = 0;
  for (;;) {
    const variables =
      how === 'first'
        ? { id: teamId(team), order, first: 7, after: cursor, ...extra }
        : { id: teamId(team), order, last: 7, before: cursor, ...extra };
    const { team: result } = await ok(Page, variables);
    const { edges, pageInfo } = result!.heroes;
    pages++;
    if (how === 'first') {
      found.push(...ids(edges));
      if (!pageInfo.hasNextPage) break;
      cursor = pageInfo.endCursor;
    } else {
      found.unshift(...ids(edges));
      if (!pageInfo.hasPreviousPage) break;
      cursor = pageInfo.startCursor;
    }
    if (pages > HEROES) throw new Error('the pages do not end');
  }
  return { ids: found, pages };
}

describe.each([
  ['the big team (walked in the index)', () => big, () => heroes],
  ['the small team (its links sorted)', () => small, () => heroes.filter((_, i) => i % 30 === 0)],
])('%s', (_, team, members) => {
  it.each([
    ['NAME', 'ASC'],
    ['NAME', 'DESC'],
    ['AGE', 'ASC'],
    ['AGE', 'DESC'],
  ] as const)(
    'by %s %s: the first 7, then every page after, give the whole list in order',
    async (field, direction) => {
      const all = expected(members(), field, direction);
      const first = await ok(Page, { id: teamId(team()), order: { field, direction }, first: 7 });
      expect(ids(first.team!.heroes.edges)).toEqual(all.slice(0, 7));
      // Only the big team is checked page by page here: the small one's list is short anyway.
      const forwards = await walkAll(team(), { field, direction }, 'first');
      expect(forwards.ids).toEqual(all);
    },
  );

  it.each([
    ['NAME', 'ASC'],
    ['AGE', 'ASC'],
    ['AGE', 'DESC'],
  ] as const)('by %s %s, backwards with last/before: the same list', async (field, direction) => {
    const backwards = await walkAll(team(), { field, direction }, 'last');
    expect(backwards.ids).toEqual(expected(members(), field, direction));
  });

  it('with isTraining and a filter on the heroes: only those, in order', async () => {
    const trainees = members().filter((hero) => hero.isTraining);
    const result = await walkAll(team(), { field: 'AGE', direction: 'ASC' }, 'first', { isTraining: true });
    expect(result.ids).toEqual(expected(trainees, 'AGE', 'ASC'));

    const older = members().filter((hero) => !hero.isTraining && hero.age !== null && hero.age >= 40);
    const filtered = await walkAll(team(), { field: 'NAME', direction: 'DESC' }, 'last', {
      isTraining: false,
      where: { minAge: 40 },
    });
    expect(filtered.ids).toEqual(expected(older, 'NAME', 'DESC'));
  });

  it('edges carry their own isTraining', async () => {
    const { team: result } = await ok(Page, { id: teamId(team()), order: { field: 'NAME' }, first: 50 });
    const byId = new Map(heroes.map((hero) => [`${hero.id}`, hero.isTraining]));
    for (const edge of result!.heroes.edges) {
      expect(edge.isTraining).toBe(byId.get(ids([edge])[0]!));
    }
  });
});

describe("the cost of a big team's page by a node column", () => {
  /** The page's plans as the server runs it: for its values, after six runs, generic (test/support/plans.ts). */
  async function explainPage(variables: Record<string, unknown>) {
    const recorded = await recordSql(() => ok(Page, { id: teamId(big), first: 10, ...variables }));
    const [page] = statementsOf(recorded, /LATERAL/);
    return { statements: recorded.statements.length, plans: await explainServed(page!) };
  }

  it.each([
    ['by NAME', { order: { field: 'NAME' } }],
    ['by NAME DESC', { order: { field: 'NAME', direction: 'DESC' } }],
    ['by AGE, the last 10', { order: { field: 'AGE' }, first: undefined, last: 10 }],
    ['by AGE DESC', { order: { field: 'AGE', direction: 'DESC' } }],
  ])('%s: one statement, about as many rows as the page holds', async (_, variables) => {
    const { statements, plans } = await explainPage(variables);
    expect(statements).toBe(2); // the team, then its page
    expect(rowsPerPlan(plans, 'HeroTeamLink', 11)).toEqual(rowsPerPlan(plans, 'HeroTeamLink'));
    expect(rowsPerPlan(plans, 'Hero', 13)).toEqual(rowsPerPlan(plans, 'Hero'));
  });

  it('from cursors deep in the list (before and after the NULL ages): as few rows, and the right ones', async () => {
    const all = expected(heroes, 'AGE', 'ASC');
    const byId = new Map(heroes.map((hero) => [`${hero.id}`, hero]));
    // A cursor 60% into the list, then one among the NULL ages near its end.
    for (const at of [Math.floor(all.length * 0.6), all.length - 20]) {
      const hero = byId.get(all[at]!)!;
      const after = Buffer.from(JSON.stringify(['AGE', hero.id, hero.age])).toString('base64url');
      const { plans } = await explainPage({ order: { field: 'AGE' }, after });
      expect(rowsPerPlan(plans, 'HeroTeamLink', 12)).toEqual(rowsPerPlan(plans, 'HeroTeamLink'));
      expect(rowsPerPlan(plans, 'Hero', 14)).toEqual(rowsPerPlan(plans, 'Hero'));
      const { team } = await ok(Page, { id: teamId(big), order: { field: 'AGE' }, first: 10, after });
      expect(ids(team!.heroes.edges)).toEqual(all.slice(at + 1, at + 11));
    }
  });
});

describe('the root list of heroes by AGE', () => {
  const Heroes = graphql(`
    query HeroesByAge($direction: OrderDirection!, $first: Int!, $after: String) {
      heroes(orderBy: { field: AGE, direction: $direction }, first: $first, after: $after) {
        edges {
          node {
            id
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  `);

  it.each(['ASC', 'DESC'] as const)(
    '%s: pages of 50 across the NULL ages give every hero once, in order',
    async (direction) => {
      const found: string[] = [];
      let after: string | null | undefined;
      for (;;) {
        const { heroes: page } = await ok(Heroes, { direction, first: 50, after });
        found.push(...ids(page.edges));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(found).toEqual(expected(heroes, 'AGE', direction));
    },
  );
});
