import { builder } from '../graphql/builder';
import { idempotent } from '../graphql/mutation-outcome';
import type { Context } from '../graphql/context';
import type { Hero as HeroRow, Team as TeamRow } from '../generated/prisma/client';
import { dbId, globalId } from '../ids';
import { type MemberPage, membershipEdge } from '../loaders/links';
import { pageCost } from '../loaders/pagination';
import {
  addMembership,
  type LinkRow,
  type Pair,
  removeMembership,
  setHeroTeams,
  updateMembership,
} from '../memberships/hero-teams';
import { HeroFilter, TeamFilter } from './filters';
import { Hero, HeroOrder, MembershipInput, teamMemberships } from './hero';
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
    description: 'When the membership began: set by the database as the hero joined the team.',
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

type MembershipShape = Pair & { link: LinkRow };

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

type RemovalShape = Pair & { removed: boolean };

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

function forgetPair(ctx: Context, heroId: number, teamId: number): void {
  ctx.loaders.teamsOfHero.clear(heroId);
  ctx.loaders.heroesOfTeam.clear(teamId);
}

builder.mutationFields((t) => ({
  addHeroToTeam: t.field({
    type: MembershipPayload,
    description: 'Makes the hero a member of the team; a membership that exists already is left as it is.',
    args: { input: t.arg({ type: AddHeroToTeamInput, required: true }) },
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const heroId = dbId(input.heroId);
      const teamId = dbId(input.teamId);
      const membership = await addMembership(heroId, teamId, input.isTraining ?? false);
      forgetPair(ctx, heroId, teamId);
      return membership;
    },
  }),
  updateMembership: t.field({
    type: MembershipPayload,
    description: "Changes a membership's isTraining flag.",
    args: { input: t.arg({ type: UpdateMembershipInput, required: true }) },
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const heroId = dbId(input.heroId);
      const teamId = dbId(input.teamId);
      const membership = await updateMembership(heroId, teamId, input.isTraining);
      forgetPair(ctx, heroId, teamId);
      return membership;
    },
  }),
  removeHeroFromTeam: t.field({
    type: RemoveHeroFromTeamPayload,
    description: 'Ends the membership; succeeds with removed: false when there was none.',
    args: { input: t.arg({ type: RemoveHeroFromTeamInput, required: true }) },
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const heroId = dbId(input.heroId);
      const teamId = dbId(input.teamId);
      const removal = await removeMembership(heroId, teamId);
      forgetPair(ctx, heroId, teamId);
      return removal;
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
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const heroId = dbId(input.heroId);
      const hero = await setHeroTeams(heroId, teamMemberships(input.teams));
      ctx.loaders.teamsOfHero.clear(heroId);
      ctx.loaders.heroesOfTeam.clear();
      return { hero };
    },
  },
  { outputFields: (t) => ({ hero: t.field({ type: Hero, resolve: (payload) => payload.hero }) }) },
);
