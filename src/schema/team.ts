import { builder } from '../graphql/builder';
import { prisma } from '../db';
import { parseDbId } from '../ids';
import { TeamFilter } from './filters';
import { deleteMutation, orderOf, rootFields, sideOf, updateMutation } from './nodes';
import { textInput } from './shared';

// Teams: the second end of the heroes-teams link. What they share with heroes is built by the
// functions of ./nodes.ts; what is theirs alone (their columns, creating one) is here.

const side = sideOf(1);

export const Team = builder.prismaNode('Team', {
  id: { field: 'id' },
  // The global id, encoded without a promise per node (see src/graphql/direct-fields.ts).
  extensions: { directFields: { id: 'globalId' } },
  nullable: true,
  findUnique: (id) => ({ id: parseDbId(String(id)) }),
  fields: (t) => ({
    name: t.exposeString('name'),
    headquarters: t.exposeString('headquarters'),
    // The counters the links' triggers keep: read with the row, no statement of their own.
    heroCount: t.exposeInt('heroCount', { description: 'How many heroes the team has.' }),
    trainingHeroCount: t.exposeInt('trainingHeroCount', {
      description: 'How many of its heroes are in training with it (isTraining).',
    }),
  }),
});

export const TeamOrder = orderOf(side, {
  HERO_COUNT: 'By how many heroes the team has (heroCount): DESC for the biggest teams.',
  TRAINING_HERO_COUNT: 'By how many of its heroes are in training (trainingHeroCount).',
});

rootFields(side, Team, TeamFilter, TeamOrder);

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

updateMutation(side, Team, (t) => ({
  name: t.string({ description: 'New name; omit to keep it.', validate: textInput('name').nullish() }),
  headquarters: t.string({
    description: 'New headquarters; omit to keep it.',
    validate: textInput('headquarters').nullish(),
  }),
}));

deleteMutation(side, Team);
