import { builder } from '../graphql/builder';
import { dbId, parseDbId } from '../ids';
import { createWithLinks, type LinkInput, refreshLoaders } from '../links';
import type { Hero as HeroRow } from '../generated/prisma/client';
import { HeroFilter } from './filters';
import { deleteMutation, orderOf, rootFields, sideOf, updateMutation } from './nodes';
import { heroesTeams } from './registry';
import { ageInput, textInput } from './shared';
import { Team } from './team';

// Heroes: the first end of the heroes-teams link. What they share with teams is built by the
// functions of ./nodes.ts; what is theirs alone (their columns, creating one with its teams) is here.

const side = sideOf(0);

export const Hero = builder.prismaNode('Hero', {
  id: { field: 'id' },
  // The global id, encoded without a promise per node (see src/graphql/direct-fields.ts).
  extensions: { directFields: { id: 'globalId' } },
  nullable: true,
  findUnique: (id) => ({ id: parseDbId(String(id)) }),
  fields: (t) => ({
    name: t.exposeString('name'),
    secretName: t.exposeString('secretName'),
    age: t.exposeInt('age', { nullable: true }),
    // The counter the links' triggers keep: read with the row, no statement of its own.
    teamCount: t.exposeInt('teamCount', { description: 'How many teams the hero belongs to.' }),
  }),
});

export const HeroOrder = orderOf(side, {
  AGE: 'Unknown ages last going up, first going down.',
  TEAM_COUNT: 'By how many teams the hero belongs to (teamCount).',
});

rootFields(side, Hero, HeroFilter, HeroOrder);

export const MembershipInput = builder.inputType('MembershipInput', {
  description: "A hero's membership of one team.",
  fields: (t) => ({
    teamId: t.globalID({ required: true, for: Team }),
    isTraining: t.boolean({ defaultValue: false }),
  }),
});

/** The memberships of a mutation's input, as the link's writes take them. */
export function teamMemberships(
  memberships: readonly { teamId: { id: string }; isTraining?: boolean | null }[],
): LinkInput[] {
  return memberships.map((m) => ({ id: dbId(m.teamId), isTraining: m.isTraining ?? false }));
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
      const { row: hero, change } = await createWithLinks<HeroRow>(
        heroesTeams,
        { name: input.name, secretName: input.secretName, age: input.age ?? null },
        teamMemberships(input.teams ?? []),
      );
      refreshLoaders(ctx, change);
      return { hero };
    },
  },
  {
    outputFields: (t) => ({
      // createHero reads its hero again after the links (its teamCount); updateHero's row is current.
      hero: t.field({
        type: Hero,
        resolve: (payload, _args, ctx) => ctx.nodes.Hero.load(payload.hero.id).then((row) => row ?? payload.hero),
      }),
    }),
  },
);

updateMutation(side, Hero, (t) => ({
  name: t.string({ description: 'New name; omit to keep it.', validate: textInput('name').nullish() }),
  secretName: t.string({
    description: 'New secret name; omit to keep it.',
    validate: textInput('secretName').nullish(),
  }),
  age: t.int({ description: 'New age; null clears it, omit to keep it.', validate: ageInput.nullish() }),
}));

deleteMutation(side, Hero);
