import { builder } from '../graphql/builder';
import { idempotent } from '../graphql/mutation-outcome';
import { prisma } from '../db';
import { notFound } from '../errors';
import { listPage } from '../loaders/lists';
import { pageCost } from '../loaders/pagination';
import { compileFilter } from '../loaders/filters';
import { teamTable } from '../loaders/tables';
import { dbId, globalId, parseDbId } from '../ids';
import { TeamFilter } from './filters';
import { OrderDirection, textInput } from './shared';

export const Team = builder.prismaNode('Team', {
  id: { field: 'id' },
  // The global id, encoded without a promise per node (see src/direct-fields.ts).
  extensions: { directFields: { id: 'globalId' } },
  nullable: true,
  findUnique: (id) => ({ id: parseDbId(String(id)) }),
  fields: (t) => ({
    name: t.exposeString('name'),
    headquarters: t.exposeString('headquarters'),
  }),
});

export const TeamOrderField = builder.enumType('TeamOrderField', {
  values: {
    ID: {},
    NAME: {},
    JOINED_AT: { description: "When the membership began: only in a hero's teams (Hero.teams)." },
  } as const,
});

export const TeamOrder = builder.inputType('TeamOrder', {
  description: 'Order of a list of teams; ties are broken by id in the same direction.',
  fields: (t) => ({
    field: t.field({ type: TeamOrderField, required: true }),
    direction: t.field({ type: OrderDirection, defaultValue: 'ASC' }),
  }),
});

builder.queryFields((t) => ({
  team: t.field({
    type: Team,
    nullable: true,
    description: 'The team with this id, or null.',
    args: { id: t.arg.globalID({ required: true, for: Team }) },
    resolve: (_root, args, context) => context.nodes.Team.load(dbId(args.id)),
  }),
  teams: t.connection(
    {
      complexity: pageCost,
      type: Team,
      description: 'All teams, filtered and ordered.',
      args: { where: t.arg({ type: TeamFilter }), orderBy: t.arg({ type: TeamOrder }) },
      resolve: (_root, args, ctx, info) =>
        listPage(teamTable, args, compileFilter('Team', args.where, { alias: 'n' }), info, ctx.reads),
    },
    { name: 'QueryTeamsConnection' },
    { name: 'QueryTeamsEdge' },
  ),
}));

builder.relayMutationField(
  'createTeam',
  {
    inputFields: (t) => ({
      name: t.string({ required: true, validate: textInput('name') }),
      headquarters: t.string({ required: true, validate: textInput('headquarters') }),
    }),
  },
  {
    resolve: async (_root, { input }) => ({
      team: await prisma.team.create({ data: { name: input.name, headquarters: input.headquarters } }),
    }),
  },
  { outputFields: (t) => ({ team: t.field({ type: Team, resolve: (payload) => payload.team }) }) },
);

builder.relayMutationField(
  'updateTeam',
  {
    inputFields: (t) => ({
      id: t.globalID({ required: true, for: Team }),
      name: t.string({ description: 'New name; omit to keep it.', validate: textInput('name').nullish() }),
      headquarters: t.string({
        description: 'New headquarters; omit to keep it.',
        validate: textInput('headquarters').nullish(),
      }),
    }),
  },
  {
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const id = dbId(input.id);
      const [team] = await prisma.team.updateManyAndReturn({
        where: { id },
        data: { name: input.name ?? undefined, headquarters: input.headquarters ?? undefined },
      });
      if (!team) throw notFound(`No team with id ${globalId('Team', id)}`);
      ctx.loaders.heroesOfTeam.clear(team.id);
      ctx.loaders.teamsOfHero.clear();
      return { team };
    },
  },
  { outputFields: (t) => ({ team: t.field({ type: Team, resolve: (payload) => payload.team }) }) },
);

builder.relayMutationField(
  'deleteTeam',
  { inputFields: (t) => ({ id: t.globalID({ required: true, for: Team }) }) },
  {
    // Deleting takes admin (the Mutation type asks editor of every mutation).
    authScopes: { admin: true },
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const id = dbId(input.id);
      const { count } = await prisma.team.deleteMany({ where: { id } });
      if (count === 0) throw notFound(`No team with id ${globalId('Team', id)}`);
      ctx.loaders.heroesOfTeam.clear(id);
      ctx.loaders.teamsOfHero.clear();
      return { deletedId: id };
    },
  },
  {
    outputFields: (t) => ({
      deletedId: t.globalID({
        description: 'The global id of the deleted team.',
        resolve: (payload) => ({ type: 'Team', id: payload.deletedId }),
      }),
    }),
  },
);
