import { builder } from '../graphql/builder';
import { idempotent } from '../graphql/mutation-outcome';
import type { Context } from '../graphql/context';
import type { Team as TeamRow } from '../generated/prisma/client';
import { dbId } from '../ids';
import {
  addToSecond,
  type BulkChange,
  type LinkInput,
  refreshLoaders,
  removeFromSecond,
  replaceLinksOfSecond,
} from '../links';
import { heroesTeams } from './registry';
import { Hero } from './hero';
import { Team } from './team';

// Bulk mutations of one team's memberships: the GraphQL side of src/links/bulk-writes.ts, the team
// being the second end of the heroes-teams link.

type TeamHeroesChange = BulkChange<TeamRow>;

const TeamHeroesPayload = builder.objectRef<TeamHeroesChange>('TeamHeroesPayload').implement({
  description:
    "What a bulk mutation did to a team's memberships. A field the mutation cannot change is 0: added for removeHeroesFromTeam, removed and updated for addHeroesToTeam.",
  fields: (t) => ({
    team: t.field({
      type: Team,
      description: 'The team; its heroes (and their totalCount) in this response already show the change.',
      // Read again after the write (its counters changed): the row was locked before it.
      resolve: (payload, _args, ctx) => ctx.nodes.Team.load(payload.node.id).then((row) => row ?? payload.node),
    }),
    added: t.exposeInt('added', {
      description: 'Memberships created; heroes that were members already are not counted.',
    }),
    removed: t.exposeInt('removed', {
      description: 'Memberships ended; listed heroes that were not members are not counted.',
    }),
    updated: t.exposeInt('updated', {
      description:
        'Memberships kept whose isTraining changed (setTeamHeroes); those listed as they were are not counted.',
    }),
  }),
});

const HeroMembershipInput = builder.inputType('HeroMembershipInput', {
  description: "One hero's membership of the team a bulk mutation changes.",
  fields: (t) => ({
    heroId: t.globalID({ required: true, for: Hero, description: 'The global id of a Hero.' }),
    isTraining: t.boolean({
      defaultValue: false,
      description:
        'Whether the hero is in training with the team. addHeroesToTeam uses it only for a new membership; setTeamHeroes applies it to existing ones too.',
    }),
  }),
});

/** The heroes of a list, as the bulk writes take them. */
const memberships = (heroes: readonly { heroId: { id: string }; isTraining?: boolean | null }[]): LinkInput[] =>
  heroes.map((m) => ({ id: dbId(m.heroId), isTraining: m.isTraining ?? false }));

const listLimits =
  'At most MAX_BULK (1000 by default) heroes, each listed once (BAD_USER_INPUT otherwise); pass them as a variable, since the document itself is limited to MAX_TOKENS tokens.';

const AddHeroesToTeamInput = builder.inputType('AddHeroesToTeamInput', {
  fields: (t) => ({
    teamId: t.globalID({ required: true, for: Team, description: 'The global id of the team.' }),
    heroes: t.field({
      type: [HeroMembershipInput],
      required: true,
      description: `The heroes to add. ${listLimits}`,
    }),
  }),
});

const RemoveHeroesFromTeamInput = builder.inputType('RemoveHeroesFromTeamInput', {
  fields: (t) => ({
    teamId: t.globalID({ required: true, for: Team, description: 'The global id of the team.' }),
    heroIds: t.globalIDList({
      required: true,
      for: Hero,
      description: `The global ids of the heroes to remove; heroes that are not members are ignored. ${listLimits}`,
    }),
  }),
});

const SetTeamHeroesInput = builder.inputType('SetTeamHeroesInput', {
  fields: (t) => ({
    teamId: t.globalID({ required: true, for: Team, description: 'The global id of the team.' }),
    heroes: t.field({
      type: [HeroMembershipInput],
      required: true,
      description: `The team's memberships afterwards, replacing all others; [] removes them all. ${listLimits}`,
    }),
  }),
});

/** Forgets what the request loaded about the team and the heroes whose membership changed. */
function refreshed(ctx: Context, done: TeamHeroesChange): TeamHeroesChange {
  refreshLoaders(ctx, done.change);
  return done;
}

const allOrNothing =
  'Applied whole or not at all, in one transaction: an unknown team or hero is NOT_FOUND and changes nothing.';

builder.mutationFields((t) => ({
  addHeroesToTeam: t.field({
    type: TeamHeroesPayload,
    description: `Makes the heroes members of the team. Memberships that exist already are left exactly as they are (isTraining, joinedAt), so a retry is safe: it adds 0. ${allOrNothing}`,
    args: { input: t.arg({ type: AddHeroesToTeamInput, required: true }) },
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const teamId = dbId(input.teamId);
      return refreshed(ctx, await addToSecond(heroesTeams, teamId, memberships(input.heroes)));
    },
  }),
  removeHeroesFromTeam: t.field({
    type: TeamHeroesPayload,
    description: `Ends the heroes' memberships of the team; heroes that are not members are ignored, so a retry is safe: it removes 0. ${allOrNothing}`,
    args: { input: t.arg({ type: RemoveHeroesFromTeamInput, required: true }) },
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const teamId = dbId(input.teamId);
      return refreshed(ctx, await removeFromSecond(heroesTeams, teamId, input.heroIds.map(dbId)));
    },
  }),
  setTeamHeroes: t.field({
    type: TeamHeroesPayload,
    description: `Makes the team's memberships exactly the list: ends the others, creates the new ones and sets isTraining where it differs; a membership that stays keeps its joinedAt. Running it twice changes nothing the second time. ${allOrNothing}`,
    args: { input: t.arg({ type: SetTeamHeroesInput, required: true }) },
    extensions: idempotent,
    resolve: async (_root, { input }, ctx) => {
      const teamId = dbId(input.teamId);
      return refreshed(ctx, await replaceLinksOfSecond(heroesTeams, teamId, memberships(input.heroes)));
    },
  }),
}));
