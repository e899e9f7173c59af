import { prisma } from '../src/db';
import { graphql } from './gql';
import type { HeroOrder } from './gql/graphql';
import { heroId, makeTeams, resetDatabase, teamId } from './support/factories';
import { ok, recordSql } from './support/graphql';
import {
  explainServed,
  jitAboveCost,
  type PlanMode,
  rowsPerPlan,
  type ServedPlan,
  statementsOf,
} from './support/plans';

// The plans the server's reads get as it sends them: named prepared statements, which PostgreSQL
// plans for their values five times and then may run with one generic plan, made for any values
// (test/support/plans.ts). A page of a big team is found by walking an index, a small team's by
// sorting its links: the choice is made per parent when the statement runs (the team's counters),
// so one generic plan must serve both. Each page is checked planned for its values, after six runs
// with the other team's values (the plan a connection settled on), and as the generic plan.

const BIG = 20_000;
const SMALL = 50;
let big: number;
let small: number;
let busy: number;

beforeAll(async () => {
  await resetDatabase();
  [big, small] = (await makeTeams(2, 'Plan')) as [number, number];
  // Names and ages with many ties, so that the walk's index order is the tiebreaker's too.
  await prisma.$executeRawUnsafe(`
    INSERT INTO "Hero" (name, "secretName", age)
    SELECT (ARRAY['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot', 'Golf'])[1 + g % 7] || ' ' || g % 997,
           'Secret ' || g, CASE WHEN g % 6 = 0 THEN NULL ELSE 20 + g % 50 END
    FROM generate_series(1, ${BIG}) g`);
  await prisma.$executeRawUnsafe(`
    INSERT INTO "HeroTeamLink" ("teamId", "heroId", "isTraining", "joinedAt")
    SELECT ${big}, id, id % 3 = 0, timestamptz '2026-01-01' + id * interval '1 minute' FROM "Hero"`);
  await prisma.$executeRawUnsafe(`
    INSERT INTO "HeroTeamLink" ("teamId", "heroId") SELECT ${small}, id FROM "Hero" WHERE id % ${BIG / SMALL} = 0`);
  // Most teams are small, as in real data: 300 teams of 3.
  const others = await makeTeams(300, 'Other');
  await prisma.$executeRawUnsafe(`
    INSERT INTO "HeroTeamLink" ("teamId", "heroId")
    SELECT t, (t * 3 + k) % ${BIG} + 1 FROM unnest(ARRAY[${others.join(',')}]) t, generate_series(0, 2) k`);
  // A hero in 6 teams: the big one, and 5 of the small ones.
  busy = 1;
  await prisma.heroTeamLink.createMany({
    data: others.slice(100, 105).map((team) => ({ teamId: team, heroId: busy })),
    skipDuplicates: true,
  });
  await prisma.$executeRawUnsafe('ANALYZE');
}, 60_000);

const TeamPage = graphql(`
  query GenericPlanTeamPage($id: ID!, $order: HeroOrder, $after: String) {
    team(id: $id) {
      heroes(first: 10, orderBy: $order, after: $after) {
        edges {
          joinedAt
          node {
            id
            name
            age
          }
        }
      }
    }
  }
`);

const HeroTeams = graphql(`
  query GenericPlanHeroTeams($id: ID!) {
    hero(id: $id) {
      teams(first: 10, orderBy: { field: NAME }) {
        edges {
          node {
            name
          }
        }
      }
    }
  }
`);

/** The plans of the statement that read a team's page, for `team`, warmed with `other`'s values. */
async function pagePlans(team: number, other: number, variables: { order?: HeroOrder; after?: string }) {
  const page = async (id: number) => {
    const recorded = await recordSql(() => ok(TeamPage, { id: teamId(id), ...variables }));
    expect(recorded.result.team?.heroes.edges).toHaveLength(10);
    const [statement] = statementsOf(recorded, /LATERAL/);
    return statement!;
  };
  const [own, warm] = [await page(team), await page(other)];
  expect(own.sql).toBe(warm.sql);
  expect(own.named).toBe(true);
  return explainServed(own, { warm: warm.params });
}

const modes: PlanMode[] = ['custom', 'prepared', 'generic'];

/** Each plan's estimate and whether it was compiled, against the bound above which it would be. */
function costs(plans: Partial<Record<PlanMode, ServedPlan>>, bound: number) {
  return Object.fromEntries(
    Object.entries(plans).map(([mode, served]) => [mode, { belowJit: served.cost < bound, jit: served.jit }]),
  );
}

const orders = [
  ['by NAME (a node column)', { order: { field: 'NAME' } }],
  ['by AGE descending (a nullable node column)', { order: { field: 'AGE', direction: 'DESC' } }],
  ['by ID (the link index)', { order: { field: 'ID' } }],
  ['by JOINED_AT descending (the link index)', { order: { field: 'JOINED_AT', direction: 'DESC' } }],
] satisfies [string, { order: HeroOrder }][];

describe.each(orders)('a page of 10 %s', (_, variables) => {
  it(`of the big team (${BIG.toLocaleString('en-US')} heroes): about 10 rows of each table in every plan`, async () => {
    const plans = await pagePlans(big, small, variables);
    expect(Object.keys(plans)).toEqual(modes);
    expect(rowsPerPlan(plans, 'HeroTeamLink', 12)).toEqual(rowsPerPlan(plans, 'HeroTeamLink'));
    expect(rowsPerPlan(plans, 'Hero', 14)).toEqual(rowsPerPlan(plans, 'Hero'));
  });

  it(`of the small team (${SMALL} heroes): its own links, never a walk of the heroes, in every plan`, async () => {
    const plans = await pagePlans(small, big, variables);
    expect(rowsPerPlan(plans, 'HeroTeamLink', SMALL)).toEqual(rowsPerPlan(plans, 'HeroTeamLink'));
    expect(rowsPerPlan(plans, 'Hero', SMALL + 1)).toEqual(rowsPerPlan(plans, 'Hero'));
  });

  it('is costed like the page it is, so that PostgreSQL never compiles it at each run (JIT)', async () => {
    const bound = await jitAboveCost();
    for (const plans of [await pagePlans(big, small, variables), await pagePlans(small, big, variables)]) {
      const fine = { belowJit: true, jit: false };
      expect(costs(plans, bound)).toEqual({ custom: fine, prepared: fine, generic: fine });
    }
  });
});

it('a page by NAME after a cursor deep in the big team reads as few rows in every plan', async () => {
  const cursor = Buffer.from(JSON.stringify(['NAME', 15_000, 'Delta 500'])).toString('base64url');
  const plans = await pagePlans(big, small, { order: { field: 'NAME' }, after: cursor });
  expect(rowsPerPlan(plans, 'HeroTeamLink', 12)).toEqual(rowsPerPlan(plans, 'HeroTeamLink'));
  expect(rowsPerPlan(plans, 'Hero', 14)).toEqual(rowsPerPlan(plans, 'Hero'));
});

it("a hero's teams by NAME (its teamCount says few: its links sorted) read its links in every plan", async () => {
  const recorded = await recordSql(() => ok(HeroTeams, { id: heroId(busy) }));
  expect(recorded.result.hero?.teams.edges).toHaveLength(6);
  const [statement] = statementsOf(recorded, /LATERAL/);
  const plans = await explainServed(statement!);
  expect(Object.keys(plans)).toEqual(modes);
  expect(rowsPerPlan(plans, 'HeroTeamLink', 6)).toEqual(rowsPerPlan(plans, 'HeroTeamLink'));
  // Its 6 teams, and max(id), one step down the primary key, which the choice to sort compares with.
  expect(rowsPerPlan(plans, 'Team', 7)).toEqual(rowsPerPlan(plans, 'Team'));
});
