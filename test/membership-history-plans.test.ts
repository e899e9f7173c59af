import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { prisma } from '../src/db';
import { makeHeroesWithTies, makeTeams, resetDatabase, teamId } from './support/factories';
import { ok, recordSql } from './support/graphql';
import { explainServed, rowsPerPlan, statementsOf } from './support/plans';

// A page asOf an instant of a big team reads about as many periods as the page holds, in every
// order, as the server runs it (for its values, after six runs, generic): the periods' indexes of
// migration membership_history serve each order as the link's serve it now. The team has history
// (changes and departures) on both sides of the instant. docs/api.md has the EXPLAIN of the same
// page on a team of 100,000 members.

const HEROES = 3000;
let big: number;
let before: string;
let after: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = any;

beforeAll(async () => {
  await resetDatabase();
  const [first] = await makeTeams(1, 'Crowd');
  big = first!;
  const rows = await makeHeroesWithTies(HEROES);
  await prisma.heroTeamLink.createMany({ data: rows.map((row) => ({ teamId: big, heroId: row.id })) });
  const others = await makeTeams(200, 'Other');
  await prisma.heroTeamLink.createMany({
    data: others.flatMap((team, t) => [0, 1, 2].map((k) => ({ teamId: team, heroId: rows[(t * 3 + k) % HEROES]!.id }))),
  });
  const churn = async () => {
    await prisma.$executeRaw`UPDATE "HeroTeamLink" SET "isTraining" = NOT "isTraining" WHERE "teamId" = ${big} AND "heroId" % 10 = 0`;
    await prisma.$executeRaw`DELETE FROM "HeroTeamLink" WHERE "teamId" = ${big} AND "heroId" % 20 = 0`;
    await prisma.$executeRaw`INSERT INTO "HeroTeamLink" ("teamId", "heroId") SELECT ${big}, id FROM "Hero" WHERE id % 40 = 0`;
  };
  await churn();
  await new Promise((resolve) => setTimeout(resolve, 5));
  before = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 5));
  await churn();
  await new Promise((resolve) => setTimeout(resolve, 5));
  after = new Date().toISOString();
  await prisma.$executeRawUnsafe('ANALYZE');
});

const Page = parse(`
  query AsOfPage($id: ID!, $at: DateTime!, $order: HeroOrder, $first: Int, $last: Int) {
    team(id: $id) { heroes(asOf: $at, orderBy: $order, first: $first, last: $last) { edges { isTraining node { id } } } }
  }
`) as TypedDocumentNode<Data, Record<string, unknown>>;

describe("the cost of an asOf page of a big team's heroes", () => {
  // The most periods a page of 10 (11 rows read) may read: by id, the few closed periods of its
  // heroes passed over; walking the heroes by a column (NAME, AGE), each hero's periods probed,
  // heroes that had left included; newest joined first, from the instant on (the memberships joined
  // after it are never read), passing over the closed periods of the recent joiners (the churn
  // leaves ten among them).
  it.each([
    ['by ID', { order: { field: 'ID' } }, 16],
    ['by ID, the last 10', { order: { field: 'ID' }, first: undefined, last: 10 }, 16],
    ['by JOINED_AT DESC', { order: { field: 'JOINED_AT', direction: 'DESC' } }, 25],
    ['by JOINED_AT', { order: { field: 'JOINED_AT' } }, 25],
    ['by NAME', { order: { field: 'NAME' } }, 30],
    ['by AGE DESC', { order: { field: 'AGE', direction: 'DESC' } }, 30],
  ] as const)('%s: one statement, about as many periods read as the page holds', async (_, variables, most) => {
    for (const at of [before, after]) {
      const recorded = await recordSql(() => ok(Page, { id: teamId(big), at, first: 10, ...variables }));
      expect(recorded.statements).toHaveLength(2); // the team, then its page
      const [page] = statementsOf(recorded, /LATERAL/);
      const plans = await explainServed(page!);
      expect(rowsPerPlan(plans, 'MembershipPeriod', most)).toEqual(rowsPerPlan(plans, 'MembershipPeriod'));
      expect(rowsPerPlan(plans, 'HeroTeamLink')).toEqual(Object.fromEntries(Object.keys(plans).map((m) => [m, 0])));
    }
  });
});
