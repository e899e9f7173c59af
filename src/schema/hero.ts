import { builder } from '../graphql/builder';
import { idempotent } from '../graphql/mutation-outcome';
import { prisma } from '../db';
import { notFound } from '../errors';
import { dbId, globalId, parseDbId } from '../ids';
import { listPage } from '../loaders/lists';
import { createHeroWithTeams, deleteHero, type TeamMembership } from '../memberships/hero-teams';
import { pageCost } from '../loaders/pagination';
import { compileFilter } from '../loaders/filters';
import { heroTable } from '../loaders/tables';
import { HeroFilter } from './filters';
import { ageInput, OrderDirection, textInput } from './shared';
import { Team } from './team';

export const Hero = builder.prismaNode('Hero', {
  id: { field: 'id' },
  // The global id, encoded without a promise per node (see src/direct-fields.ts).
  extensions: { directFields: { id: 'globalId' } },
  nullable: true,
  findUnique: (id) => ({ id: parseDbId(String(id)) }),
  fields: (t) => ({
    name: t.exposeString('name'),
    secretName: t.exposeString('secretName'),
    age: t.exposeInt('age', { nullable: true }),
  }),
});

export const HeroOrderField = builder.enumType('HeroOrderField', {
  values: {
    ID: {},
    NAME: {},
    AGE: { description: 'Unknown ages last going up, first going down.' },
    JOINED_AT: { description: "When the membership began: only in a team's heroes (Team.heroes)." },
  } as const,
});

export const HeroOrder = builder.inputType('HeroOrder', {
  description: 'Order of a list of heroes; ties are broken by id in the same direction.',
  fields: (t) => ({
    field: t.field({ type: HeroOrderField, required: true }),
    direction: t.field({ type: OrderDirection, defaultValue: 'ASC' }),
  }),
});

builder.queryFields((t) => ({
  hero: t.field({
    type: Hero,
    nullable: true,
    description: 'The hero with this id, or null.',
    args: { id: t.arg.globalID({ required: true, for: Hero }) },
    resolve: (_root, args, context) => context.nodes.Hero.load(dbId(args.id)),
  }),
  heroes: t.connection(
    {
      complexity: pageCost,
      type: Hero,
      description: 'All heroes, filtered and ordered.',
      args: { where: t.arg({ type: HeroFilter }), orderBy: t.arg({ type: HeroOrder }) },
      resolve: (_root, args, ctx, info) =>
        listPage(heroTable, args, compileFilter('Hero', args.where, { alias: 'n' }), info, ctx.reads),
    },
    { name: 'QueryHeroesConnection' },
    { name: 'QueryHeroesEdge' },
  ),
}));

export const MembershipInput = builder.inputType('MembershipInput', {
  description: "A hero's membership of one team.",
  fields: (t) => ({
    teamId: t.globalID({ required: true, for: Team }),
    isTraining: t.boolean({ defaultValue: false }),
  }),
});

/** The memberships of a mutation's input, as the write paths take them. */
export function teamMemberships(
  memberships: readonly { teamId: { id: string }; isTraining?: boolean | null }[],
): TeamMembership[] {
  return memberships.map((m) => ({ teamId: dbId(m.teamId), isTraining: m.isTraining ?? false }));
}

builder.relayMutationField(
  'createHero',
  {
    inputFields: (t) => ({
      name: t.string({ required: true, validate: textInput('name') }),
      secretName: t.string({ required: true, validate: textInput('secretName') }),
      age: t.int({ validate: ageInput.nullish() }),
      teams: t.field({
        type: [MembershipInput],
        description: 'Teams to join; all are joined or, if one fails, none and no hero is created.',
      }),
    }),
  },
  {
    resolve: async (_root, { input }, ctx) => {
      const memberships = teamMemberships(input.teams ?? []);
      const hero = await createHeroWithTeams(
        { name: input.name, secretName: input.secretName, age: input.age ?? null },
        memberships,
      );
      ctx.loaders.heroesOfTeam.clear(...memberships.map((m) => m.teamId));
      return { hero };
    },
  },
  { outputFields: (t) => ({ hero: t.field({ type: Hero, resolve: (payload) => payload.hero }) }) },
);

builder.relayMutationField(
  'updateHero',
  {
    inputFields: (t) => ({
      id: t.globalID({ required: true, for: Hero }),
      name: t.string({ description: 'New name; omit to keep it.', validate: textInput('name').nullish() }),
      secretName: t.string({
        description: 'New secret name; omit to keep it.',
        validate: textInput('secretName').nullish(),
      }),
      age: t.int({ description: 'New age; null clears it, omit to keep it.', validate: ageInput.nullish() }),
    }),
  },
  {
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const id = dbId(input.id);
      const [hero] = await prisma.hero.updateManyAndReturn({
        where: { id },
        data: {
          name: input.name ?? undefined,
          secretName: input.secretName ?? undefined,
          age: input.age,
        },
      });
      if (!hero) throw notFound(`No hero with id ${globalId('Hero', id)}`);
      ctx.loaders.teamsOfHero.clear(hero.id);
      ctx.loaders.heroesOfTeam.clear();
      return { hero };
    },
  },
  { outputFields: (t) => ({ hero: t.field({ type: Hero, resolve: (payload) => payload.hero }) }) },
);

builder.relayMutationField(
  'deleteHero',
  { inputFields: (t) => ({ id: t.globalID({ required: true, for: Hero }) }) },
  {
    // Deleting takes admin (the Mutation type asks editor of every mutation).
    authScopes: { admin: true },
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const id = dbId(input.id);
      await deleteHero(id);
      ctx.loaders.teamsOfHero.clear(id);
      ctx.loaders.heroesOfTeam.clear();
      return { deletedId: id };
    },
  },
  {
    outputFields: (t) => ({
      deletedId: t.globalID({
        description: 'The global id of the deleted hero.',
        resolve: (payload) => ({ type: 'Hero', id: payload.deletedId }),
      }),
    }),
  },
);
