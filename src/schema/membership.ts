import { builder } from '../builder';
import type { Context } from '../context';
import { prisma } from '../db';
import { lockedHero, lockedTeam } from '../db/locks';
import { notFound } from '../errors';
import type { Hero as HeroRow, Team as TeamRow } from '../generated/prisma/client';
import { dbId, globalId } from '../ids';
import { type MemberPage, membershipEdge } from '../loaders/links';
import { pageCost } from '../loaders/pagination';
import { heroTable } from '../loaders/tables';
import { HeroFilter, TeamFilter } from './filters';
import { checkMemberships, Hero, HeroOrder, MembershipInput } from './hero';
import { Team, TeamOrder } from './team';

// HeroTeamLink: both directions of the many-to-many relation and the mutations of memberships.

/** The membership's own fields, on the edges of both directions. */
const membershipEdgeFields = {
  isTraining: {
    description: 'Whether the hero is in training with this team.',
    resolve: (edge: { isTraining: boolean }) => edge.isTraining,
  },
  joinedAt: {
    type: 'DateTime',
    description: 'When the membership began (set by the server as the hero joined the team).',
    resolve: (edge: { joinedAt: number }) => edge.joinedAt,
  },
} as const;

/**
 * The edge types of both directions, created apart from their connections so that the mutations'
 * payloads can return a membership as the very type its connection lists: Relay's @appendEdge
 * inserts a payload's edge as it is into the connections a client names, where it must read as
 * every other edge does (its fields, and a cursor the connection accepts).
 */
const HeroTeamsEdge = builder.edgeObject<typeof Team, MemberPage<TeamRow>>({
  name: 'HeroTeamsEdge',
  type: Team,
  fields: (e) => ({
    isTraining: e.boolean(membershipEdgeFields.isTraining),
    joinedAt: e.field(membershipEdgeFields.joinedAt),
  }),
});

const TeamHeroesEdge = builder.edgeObject<typeof Hero, MemberPage<HeroRow>>({
  name: 'TeamHeroesEdge',
  type: Hero,
  fields: (e) => ({
    isTraining: e.boolean(membershipEdgeFields.isTraining),
    joinedAt: e.field(membershipEdgeFields.joinedAt),
  }),
});

builder.prismaObjectField(Hero, 'teams', (t) =>
  t.connection(
    {
      complexity: pageCost,
      type: Team,
      description: 'The teams this hero belongs to, through HeroTeamLink.',
      args: {
        isTraining: t.arg.boolean({ description: 'Only memberships in training (true) or not (false).' }),
        where: t.arg({ type: TeamFilter, description: 'Only the teams this filter keeps.' }),
        orderBy: t.arg({ type: TeamOrder }),
      },
      resolve: (hero, args, ctx, info) => ctx.loaders.teamsOfHero.connection(hero.id, args, info),
    },
    { name: 'HeroTeamsConnection' },
    HeroTeamsEdge,
  ),
);

builder.prismaObjectField(Team, 'heroes', (t) =>
  t.connection(
    {
      complexity: pageCost,
      type: Hero,
      description: 'The heroes in this team, through HeroTeamLink.',
      args: {
        isTraining: t.arg.boolean({ description: 'Only memberships in training (true) or not (false).' }),
        where: t.arg({ type: HeroFilter, description: 'Only the heroes this filter keeps.' }),
        orderBy: t.arg({ type: HeroOrder }),
      },
      resolve: (team, args, ctx, info) => ctx.loaders.heroesOfTeam.connection(team.id, args, info),
    },
    { name: 'TeamHeroesConnection' },
    TeamHeroesEdge,
  ),
);

/** The membership's own columns, as the mutation wrote or found them in HeroTeamLink. */
interface LinkRow {
  isTraining: boolean;
  joinedAt: Date;
}

interface MembershipShape {
  hero: HeroRow;
  team: TeamRow;
  link: LinkRow;
}

const MembershipPayload = builder.objectRef<MembershipShape>('MembershipPayload').implement({
  description: "A hero's membership of a team, with both sides as they are after the change.",
  fields: (t) => ({
    hero: t.field({ type: Hero, resolve: (payload) => payload.hero }),
    team: t.field({ type: Team, resolve: (payload) => payload.team }),
    isTraining: t.boolean({ resolve: (payload) => payload.link.isTraining }),
    heroTeamsEdge: t.field({
      type: HeroTeamsEdge,
      description:
        "The team as an edge of the hero's teams, its cursor that of the default order (by id): for Relay's @appendEdge.",
      resolve: (payload) => membershipEdge(payload.team, payload.link),
    }),
    teamHeroesEdge: t.field({
      type: TeamHeroesEdge,
      description:
        "The hero as an edge of the team's heroes, its cursor that of the default order (by id): for Relay's @appendEdge.",
      resolve: (payload) => membershipEdge(payload.hero, payload.link),
    }),
  }),
});

interface RemovalShape {
  hero: HeroRow;
  team: TeamRow;
  removed: boolean;
}

const RemoveHeroFromTeamPayload = builder.objectRef<RemovalShape>('RemoveHeroFromTeamPayload').implement({
  fields: (t) => ({
    hero: t.field({ type: Hero, resolve: (payload) => payload.hero }),
    team: t.field({ type: Team, resolve: (payload) => payload.team }),
    removed: t.exposeBoolean('removed', { description: 'False when the hero was not in the team.' }),
    // Both ids, whether or not a membership was removed: Relay's @deleteEdge takes the node with
    // this id out of the connections it is given, and removes nothing when it is not there.
    removedHeroId: t.id({
      description: "The hero's id, to take out of a team's heroes (Relay's @deleteEdge).",
      resolve: (payload) => globalId('Hero', payload.hero.id),
    }),
    removedTeamId: t.id({
      description: "The team's id, to take out of a hero's teams (Relay's @deleteEdge).",
      resolve: (payload) => globalId('Team', payload.team.id),
    }),
  }),
});

const AddHeroToTeamInput = builder.inputType('AddHeroToTeamInput', {
  fields: (t) => ({
    heroId: t.globalID({ required: true, for: Hero }),
    teamId: t.globalID({ required: true, for: Team }),
    isTraining: t.boolean({ defaultValue: false, description: 'Used only when the membership is new.' }),
  }),
});

const UpdateMembershipInput = builder.inputType('UpdateMembershipInput', {
  fields: (t) => ({
    heroId: t.globalID({ required: true, for: Hero }),
    teamId: t.globalID({ required: true, for: Team }),
    isTraining: t.boolean({ required: true }),
  }),
});

const RemoveHeroFromTeamInput = builder.inputType('RemoveHeroFromTeamInput', {
  fields: (t) => ({
    heroId: t.globalID({ required: true, for: Hero }),
    teamId: t.globalID({ required: true, for: Team }),
  }),
});

async function findPair(heroId: number, teamId: number): Promise<{ hero: HeroRow; team: TeamRow }> {
  const [hero, team] = await Promise.all([
    prisma.hero.findUnique({ where: { id: heroId } }),
    prisma.team.findUnique({ where: { id: teamId } }),
  ]);
  if (!hero) throw notFound(`No hero with id ${globalId('Hero', heroId)}`);
  if (!team) throw notFound(`No team with id ${globalId('Team', teamId)}`);
  return { hero, team };
}

function forgetPair(ctx: Context, heroId: number, teamId: number): void {
  ctx.loaders.teamsOfHero.clear(heroId);
  ctx.loaders.heroesOfTeam.clear(teamId);
}

builder.mutationFields((t) => ({
  addHeroToTeam: t.field({
    type: MembershipPayload,
    description: 'Makes the hero a member of the team; a membership that exists already is left as it is.',
    args: { input: t.arg({ type: AddHeroToTeamInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const heroId = dbId(input.heroId);
      const teamId = dbId(input.teamId);
      const pair = await findPair(heroId, teamId);
      // The hero's row is locked before the link exists (src/db/locks.ts).
      await prisma.$executeRaw`
        INSERT INTO "HeroTeamLink" ("teamId", "heroId", "isTraining")
        SELECT ${teamId}, id, ${input.isTraining ?? false} FROM ${lockedHero(heroId)}
        ON CONFLICT ("teamId", "heroId") DO NOTHING`;
      const link = await prisma.heroTeamLink.findUnique({ where: { teamId_heroId: { teamId, heroId } } });
      forgetPair(ctx, heroId, teamId);
      // Only a concurrent removal can take the link away between the two statements.
      if (!link) throw notFound(`The membership of hero ${globalId('Hero', heroId)} was removed meanwhile`);
      return { ...pair, link };
    },
  }),
  updateMembership: t.field({
    type: MembershipPayload,
    description: "Changes a membership's isTraining flag.",
    args: { input: t.arg({ type: UpdateMembershipInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const heroId = dbId(input.heroId);
      const teamId = dbId(input.teamId);
      const pair = await findPair(heroId, teamId);
      // The team's row is locked before the link's (src/db/locks.ts). RETURNING hands back the
      // membership's joinedAt for the payload's edges in the same statement.
      const [link] = await prisma.$queryRaw<LinkRow[]>`
        UPDATE "HeroTeamLink" SET "isTraining" = ${input.isTraining}
        WHERE "heroId" = ${heroId} AND "teamId" = ${lockedTeam(teamId)}
        RETURNING "isTraining", "joinedAt"`;
      if (!link) {
        throw notFound(`Hero ${globalId('Hero', heroId)} is not a member of team ${globalId('Team', teamId)}`);
      }
      forgetPair(ctx, heroId, teamId);
      return { ...pair, link };
    },
  }),
  removeHeroFromTeam: t.field({
    type: RemoveHeroFromTeamPayload,
    description: 'Ends the membership; succeeds with removed: false when there was none.',
    args: { input: t.arg({ type: RemoveHeroFromTeamInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const heroId = dbId(input.heroId);
      const teamId = dbId(input.teamId);
      const pair = await findPair(heroId, teamId);
      // The team's row is locked before the link's (src/db/locks.ts).
      const count = await prisma.$executeRaw`
        DELETE FROM "HeroTeamLink" WHERE "heroId" = ${heroId} AND "teamId" = ${lockedTeam(teamId)}`;
      forgetPair(ctx, heroId, teamId);
      return { ...pair, removed: count > 0 };
    },
  }),
}));

builder.relayMutationField(
  'setHeroTeams',
  {
    inputFields: (t) => ({
      heroId: t.globalID({ required: true, for: Hero }),
      teams: t.field({
        type: [MembershipInput],
        required: true,
        description: "The hero's memberships afterwards, replacing all others; applied whole or not at all.",
      }),
    }),
  },
  {
    resolve: async (_root, { input }, ctx) => {
      const heroId = dbId(input.heroId);
      const hero = await prisma.$transaction(async (tx) => {
        // The row lock orders concurrent calls for one hero: each sees the previous one's result.
        const [locked] = await tx.$queryRaw<HeroRow[]>`
          SELECT ${heroTable.select} FROM ${heroTable.from} WHERE n.id = ${heroId} FOR UPDATE`;
        if (!locked) throw notFound(`No hero with id ${globalId('Hero', heroId)}`);
        // Every team whose membership may change, old and new, is locked before any link is written.
        const links = await checkMemberships(tx, input.teams, heroId);
        const teamIds = links.map((link) => link.teamId);
        await tx.heroTeamLink.deleteMany({ where: { heroId, teamId: { notIn: teamIds } } });
        if (links.length > 0) {
          await tx.$executeRaw`
            INSERT INTO "HeroTeamLink" ("teamId", "heroId", "isTraining")
            SELECT m."teamId", ${heroId}, m."isTraining"
            FROM unnest(${teamIds}::int[], ${links.map((link) => link.isTraining)}::boolean[]) AS m("teamId", "isTraining")
            ON CONFLICT ("teamId", "heroId") DO UPDATE SET "isTraining" = EXCLUDED."isTraining"`;
        }
        return locked;
      });
      ctx.loaders.teamsOfHero.clear(heroId);
      ctx.loaders.heroesOfTeam.clear();
      return { hero };
    },
  },
  { outputFields: (t) => ({ hero: t.field({ type: Hero, resolve: (payload) => payload.hero }) }) },
);
