import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { prisma } from '../src/db';
import { heroId, linkAll, makeHeroes, makeTeams, resetDatabase, teamId } from './support/factories';
import { ok } from './support/graphql';

// The lock order of src/links/locks.ts, checked for every write to a membership on both databases,
// without racing anything. Two writers deadlock only when one takes a link row before a row the
// other holds while waiting for that link: the order (the hero, then the team, then links) is what
// prevents it. PGlite runs one transaction at a time, so no test of writers at once can see the
// order broken there (test/concurrency.test.ts shows the deadlocks on PostgreSQL, step by step);
// what PGlite can show is the order itself. A row trigger on HeroTeamLink, added for this file,
// records for each link row a statement is about to write whether the writing transaction already
// holds its team's row and its hero's row: it holds a row it locked (the row's xmax is its
// transaction id) or wrote (its xmin is); a row it deleted (a cascade's) is gone.

beforeAll(async () => {
  await prisma.$executeRawUnsafe(`
    CREATE TABLE lock_probe (op text, "teamId" int, "heroId" int, team text, hero text)`);
  await prisma.$executeRawUnsafe(`
    CREATE FUNCTION lock_probe() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      link "HeroTeamLink" := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
      mine text := (txid_current() % 4294967296)::text;
    BEGIN
      INSERT INTO lock_probe VALUES (
        TG_OP, link."teamId", link."heroId",
        coalesce((SELECT CASE WHEN mine IN (xmax::text, xmin::text) THEN 'held' ELSE 'NOT held' END
                  FROM "Team" WHERE id = link."teamId"), 'gone'),
        coalesce((SELECT CASE WHEN mine IN (xmax::text, xmin::text) THEN 'held' ELSE 'NOT held' END
                  FROM "Hero" WHERE id = link."heroId"), 'gone'));
      RETURN link;
    END $$`);
  await prisma.$executeRawUnsafe(`
    CREATE TRIGGER lock_probe BEFORE INSERT OR UPDATE OR DELETE ON "HeroTeamLink"
    FOR EACH ROW EXECUTE FUNCTION lock_probe()`);
});

/** What the probe saw for the link rows `write` wrote: one line per kind of write, with what was held. */
async function heldWhileWriting(write: () => Promise<unknown>): Promise<string[]> {
  await prisma.$executeRawUnsafe('TRUNCATE lock_probe');
  await write();
  const rows = await prisma.$queryRawUnsafe<{ op: string; team: string; hero: string }[]>(
    'SELECT op, team, hero FROM lock_probe',
  );
  return [...new Set(rows.map((row) => `${row.op}: team ${row.team}, hero ${row.hero}`))].sort();
}

const mutate = (document: string, variables: Record<string, unknown>) =>
  ok(parse(document) as TypedDocumentNode<unknown, Record<string, unknown>>, variables);

let teams: number[];
let heroes: number[];

beforeEach(async () => {
  await resetDatabase();
  teams = await makeTeams(3, 'Locked');
  heroes = await makeHeroes(4, 'Locked');
  // Heroes 0 and 1 in teams 0 and 1; heroes 2 and 3 in none.
  await linkAll(heroes.slice(0, 2), teams.slice(0, 2));
});

const h = (i: number) => heroId(heroes[i]!);
const t = (i: number) => teamId(teams[i]!);

// Each write, and what it must hold when it writes a link row (src/links/locks.ts). Inserts and
// deletes need their hero first, whose Hero."teamCount" the trigger changes, and their team
// (except addHeroToTeam's insert, which takes only its hero first: locks.ts says why that is
// safe); updates of a link's flag change no hero's count and need only the team.
const writes: [string, () => Promise<unknown>, string[]][] = [
  [
    'addHeroToTeam',
    () =>
      mutate('mutation ($h: ID!, $t: ID!) { addHeroToTeam(input: { heroId: $h, teamId: $t }) { isTraining } }', {
        h: h(2),
        t: t(0),
      }),
    ['INSERT: team NOT held, hero held'],
  ],
  [
    'updateMembership',
    () =>
      mutate(
        'mutation ($h: ID!, $t: ID!) { updateMembership(input: { heroId: $h, teamId: $t, isTraining: true }) { isTraining } }',
        { h: h(0), t: t(0) },
      ),
    ['UPDATE: team held, hero NOT held'],
  ],
  [
    'removeHeroFromTeam',
    () =>
      mutate('mutation ($h: ID!, $t: ID!) { removeHeroFromTeam(input: { heroId: $h, teamId: $t }) { removed } }', {
        h: h(0),
        t: t(0),
      }),
    ['DELETE: team held, hero held'],
  ],
  [
    'setHeroTeams',
    () =>
      mutate(
        'mutation ($h: ID!, $t: ID!) { setHeroTeams(input: { heroId: $h, teams: [{ teamId: $t }] }) { hero { id } } }',
        {
          h: h(0),
          t: t(2),
        },
      ),
    ['DELETE: team held, hero held', 'INSERT: team held, hero held'],
  ],
  [
    'createHero with teams',
    () =>
      mutate(
        'mutation ($a: ID!, $b: ID!) { createHero(input: { name: "New", secretName: "n", teams: [{ teamId: $a }, { teamId: $b }] }) { hero { id } } }',
        { a: t(0), b: t(2) },
      ),
    ['INSERT: team held, hero held'],
  ],
  [
    'deleteHero',
    () => mutate('mutation ($h: ID!) { deleteHero(input: { id: $h }) { deletedId } }', { h: h(0) }),
    ['DELETE: team held, hero gone'],
  ],
  [
    'deleteTeam',
    () => mutate('mutation ($t: ID!) { deleteTeam(input: { id: $t }) { deletedId } }', { t: t(0) }),
    ['DELETE: team gone, hero held'],
  ],
  [
    'addHeroesToTeam',
    () =>
      mutate(
        'mutation ($t: ID!, $a: ID!, $b: ID!) { addHeroesToTeam(input: { teamId: $t, heroes: [{ heroId: $a }, { heroId: $b }] }) { added } }',
        { t: t(2), a: h(2), b: h(3) },
      ),
    ['INSERT: team held, hero held'],
  ],
  [
    'removeHeroesFromTeam',
    () =>
      mutate(
        'mutation ($t: ID!, $a: ID!, $b: ID!) { removeHeroesFromTeam(input: { teamId: $t, heroIds: [$a, $b] }) { removed } }',
        {
          t: t(0),
          a: h(0),
          b: h(1),
        },
      ),
    ['DELETE: team held, hero held'],
  ],
  [
    'setTeamHeroes (one kept and changed, one dropped, one added)',
    () =>
      mutate(
        'mutation ($t: ID!, $keep: ID!, $add: ID!) { setTeamHeroes(input: { teamId: $t, heroes: [{ heroId: $keep, isTraining: false }, { heroId: $add }] }) { added removed updated } }',
        { t: t(0), keep: h(0), add: h(2) },
      ),
    ['DELETE: team held, hero held', 'INSERT: team held, hero held', 'UPDATE: team held, hero held'],
  ],
];

it.each(writes)('%s holds what the lock order says before it writes a link', async (_, write, expected) => {
  expect(await heldWhileWriting(write)).toEqual(expected);
});
