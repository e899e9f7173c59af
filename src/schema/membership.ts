import { builder, type BuilderTypes } from '../graphql/builder';
import { idempotent } from '../graphql/mutation-outcome';
import type { Hero as HeroRow, Team as TeamRow } from '../generated/prisma/client';
import { dbId, globalId } from '../ids';
import {
  addLink,
  type LinkWrite,
  type MemberEdge,
  type MemberPage,
  membershipEdge,
  pageCost,
  refreshLoaders,
  removeLink,
  replaceLinksOfFirst,
  updateLink,
} from '../links';
import { sideOf as linkSide } from '../links/registry';
import { largestList } from '../links/sizes';
import { asOfArg } from '../links/history';
import { aggregateField } from './aggregates';
import { HeroFilter, TeamFilter } from './filters';
import { Hero, HeroOrder, MembershipInput, teamMemberships } from './hero';
import { type Side, sideOf } from './nodes';
import { heroesTeams } from './registry';
import { Team, TeamOrder } from './team';

// HeroTeamLink: both directions of the many-to-many relation, each built by one function
// (connectionOf) parameterised by its end, and the mutations of memberships.

const flag = heroesTeams.values.findIndex((column) => column.field === 'isTraining');
const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * The connection from the nodes of `side` to the far end's (Hero.teams), and its edge type,
 * created apart from it so that the mutations' payloads can return a membership as the very type
 * its connection lists: Relay's @appendEdge inserts a payload's edge as it is into the
 * connections a client names, where it must read as every other edge does (its fields, and a
 * cursor the connection accepts).
 */
function connectionOf(
  side: Side,
  own: any, // eslint-disable-line @typescript-eslint/no-explicit-any
  far: any, // eslint-disable-line @typescript-eslint/no-explicit-any
  filter: any, // eslint-disable-line @typescript-eslint/no-explicit-any
  order: any, // eslint-disable-line @typescript-eslint/no-explicit-any
  description: string,
  /** The far nodes' columns whose statistics its aggregate gives. */
  stats: readonly string[],
) {
  const name = `${side.own.entity.name}${capital(side.own.connection)}`;
  const edge = builder.edgeObject<typeof far, MemberPage<{ id: number }>>({
    name: `${name}Edge`,
    type: far,
    fields: (e) => ({
      isTraining: e.boolean({
        description: 'Whether the hero is in training with this team.',
        resolve: (edge: MemberEdge<{ id: number }>) => edge.value(flag) as boolean,
      }),
      joinedAt: e.field({
        type: 'DateTime',
        description: 'When the membership began: set by the database as the hero joined the team.',
        resolve: (edge: MemberEdge<{ id: number }>) => edge.since,
      }),
    }),
  });
  const reached = linkSide(heroesTeams, `${side.own.entity.name}.${side.own.connection}`);
  builder.prismaObjectField(own, side.own.connection, (t) =>
    t.connection(
      {
        complexity: pageCost(heroesTeams),
        type: far,
        description,
        args: {
          isTraining: t.arg.boolean({ description: 'Only memberships in training (true) or not (false).' }),
          where: t.arg({ type: filter, description: `Only the ${side.own.connection} this filter keeps.` }),
          orderBy: t.arg({ type: order }),
          asOf: t.arg({
            type: 'DateTime',
            description: `The memberships at this past instant (of ${side.own.connection} that still exist), with isTraining and joinedAt as they were then; every other argument, and the aggregate, apply as of it too. In the future: BAD_USER_INPUT.`,
          }),
        },
        resolve: (parent: { id: number }, args, ctx, info) =>
          ctx.loaders.of(reached, asOfArg(args.asOf)).connection(parent.id, args, info),
      },
      {
        name: `${name}Connection`,
        fields: (c) => ({
          aggregate: aggregateField(`${name}Aggregate`, `the ${side.own.connection} of a ${side.noun}`, {
            flagged: true,
            columns: side.far.entity.stats.filter((column) => stats.includes(column.field)),
            since: true,
            rows: () => largestList(reached),
          })(c as never),
        }),
      },
      edge,
    ),
  );
  return edge;
}

const HeroTeamsEdge = connectionOf(
  sideOf(0),
  Hero,
  Team,
  TeamFilter,
  TeamOrder,
  'The teams this hero belongs to, through HeroTeamLink.',
  [],
);
const TeamHeroesEdge = connectionOf(
  sideOf(1),
  Team,
  Hero,
  HeroFilter,
  HeroOrder,
  'The heroes in this team, through HeroTeamLink.',
  ['age'],
);

/**
 * The hero and the team of a membership payload, read again after the write (one statement per
 * type, when asked for): their counters changed.
 */
function sidesAfterWrite<Shape extends { first: HeroRow; second: TeamRow }>(
  t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, Shape>,
) {
  return {
    hero: t.field({
      type: Hero,
      resolve: (payload, _args, ctx) => ctx.nodes.Hero.load(payload.first.id).then((row) => row ?? payload.first),
    }),
    team: t.field({
      type: Team,
      resolve: (payload, _args, ctx) => ctx.nodes.Team.load(payload.second.id).then((row) => row ?? payload.second),
    }),
  };
}

type MembershipShape = LinkWrite<HeroRow, TeamRow>;

const MembershipPayload = builder.objectRef<MembershipShape>('MembershipPayload').implement({
  description: "A hero's membership of a team, with both sides as they are after the change.",
  fields: (t) => ({
    ...sidesAfterWrite(t),
    isTraining: t.boolean({ resolve: (payload) => payload.row.isTraining as boolean }),
    heroTeamsEdge: t.field({
      type: HeroTeamsEdge,
      description:
        "The team as an edge of the hero's teams, its cursor that of the default order (by id): for Relay's @appendEdge.",
      resolve: (payload) => membershipEdge(heroesTeams, payload.second, payload.row),
    }),
    teamHeroesEdge: t.field({
      type: TeamHeroesEdge,
      description:
        "The hero as an edge of the team's heroes, its cursor that of the default order (by id): for Relay's @appendEdge.",
      resolve: (payload) => membershipEdge(heroesTeams, payload.first, payload.row),
    }),
  }),
});

type RemovalShape = { first: HeroRow; second: TeamRow; removed: boolean };

const RemoveHeroFromTeamPayload = builder.objectRef<RemovalShape>('RemoveHeroFromTeamPayload').implement({
  fields: (t) => ({
    ...sidesAfterWrite(t),
    removed: t.exposeBoolean('removed', { description: 'False when the hero was not in the team.' }),
    // Both ids, whether or not a membership was removed: Relay's @deleteEdge takes the node with
    // this id out of the connections it is given, and removes nothing when it is not there.
    removedHeroId: t.id({
      description: "The hero's id, to take out of a team's heroes (Relay's @deleteEdge).",
      resolve: (payload) => globalId('Hero', payload.first.id),
    }),
    removedTeamId: t.id({
      description: "The team's id, to take out of a hero's teams (Relay's @deleteEdge).",
      resolve: (payload) => globalId('Team', payload.second.id),
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

builder.mutationFields((t) => ({
  addHeroToTeam: t.field({
    type: MembershipPayload,
    description: 'Makes the hero a member of the team; a membership that exists already is left as it is.',
    args: { input: t.arg({ type: AddHeroToTeamInput, required: true }) },
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const write = await addLink<HeroRow, TeamRow>(heroesTeams, dbId(input.heroId), dbId(input.teamId), {
        isTraining: input.isTraining ?? false,
      });
      refreshLoaders(ctx, write.change);
      return write;
    },
  }),
  updateMembership: t.field({
    type: MembershipPayload,
    description: "Changes a membership's isTraining flag.",
    args: { input: t.arg({ type: UpdateMembershipInput, required: true }) },
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const write = await updateLink<HeroRow, TeamRow>(heroesTeams, dbId(input.heroId), dbId(input.teamId), {
        isTraining: input.isTraining,
      });
      refreshLoaders(ctx, write.change);
      return write;
    },
  }),
  removeHeroFromTeam: t.field({
    type: RemoveHeroFromTeamPayload,
    description: 'Ends the membership; succeeds with removed: false when there was none.',
    args: { input: t.arg({ type: RemoveHeroFromTeamInput, required: true }) },
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const removal = await removeLink<HeroRow, TeamRow>(heroesTeams, dbId(input.heroId), dbId(input.teamId));
      refreshLoaders(ctx, removal.change);
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
      const { row: hero, change } = await replaceLinksOfFirst<HeroRow>(
        heroesTeams,
        dbId(input.heroId),
        teamMemberships(input.teams),
      );
      refreshLoaders(ctx, change);
      return { hero };
    },
  },
  {
    outputFields: (t) => ({
      // Read again after the write (its teamCount changed): the row was locked before it.
      hero: t.field({
        type: Hero,
        resolve: (payload, _args, ctx) => ctx.nodes.Hero.load(payload.hero.id).then((row) => row ?? payload.hero),
      }),
    }),
  },
);
