import { builder } from '../graphql/builder';
import type { End } from '../links/registry';
import { MAX_FILTER_CONDITIONS, MAX_MEMBERSHIP_DEPTH, type MembershipsFilter, type NodeFilter } from '../links';
import { heroesTeams } from './registry';
import { IntComparison } from './shared';

// The filter language of both node types, the same on the root lists and through the link: each
// compiles to one SQL condition (src/links/filters.ts), which also checks the values. Not the
// validation plugin: its check of a field's arguments runs on every call of the field, filter or
// not, and Hero.teams / Team.heroes are called once per parent. Both ends' filters are built by one
// function (filtersOf), parameterised by the end.

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type InputFields = PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>;
type Filter = NodeFilter & Record<string, unknown>;
type MembershipFilter = Record<string, unknown>;

export const HeroFilter = builder.inputRef<Filter>('HeroFilter');
export const TeamFilter = builder.inputRef<Filter>('TeamFilter');
const filters: Record<string, typeof HeroFilter> = { Hero: HeroFilter, Team: TeamFilter };

const limitsNote = `Filters nest at most ${MAX_MEMBERSHIP_DEPTH} membership levels and hold at most ${MAX_FILTER_CONDITIONS} conditions.`;

const quantifiers = {
  some: 'At least one membership is like this.',
  every: 'Every membership is like this (true of a node with no memberships at all).',
  none: 'No membership is like this (`none: {}`: no memberships at all).',
};

/** The fields of a filter of one membership that read the link's own columns. */
const membershipFields = (t: InputFields) => ({
  isTraining: t.boolean({ description: 'Memberships in training (true) or not (false).' }),
  joinedAfter: t.field({ type: 'DateTime', description: 'Memberships that began after this instant (exclusive).' }),
  joinedBefore: t.field({ type: 'DateTime', description: 'Memberships that began before this instant (exclusive).' }),
});

const noun = (end: End) => end.entity.name.toLowerCase();

/**
 * The filter of the nodes of `end` (HeroFilter: `own` fields, and `teams`, the filter of their
 * memberships), and the filters of one and of all of its memberships, named after the far end's
 * type (TeamMembershipFilter, TeamMembershipsFilter).
 */
function filtersOf(end: End, far: End, own: (t: InputFields) => Record<string, ReturnType<InputFields['field']>>) {
  const plural = far.connection;
  const ref = filters[end.entity.name]!;
  const membership = builder.inputRef<MembershipFilter>(`${far.entity.name}MembershipFilter`);
  const memberships = builder.inputRef<MembershipsFilter<MembershipFilter>>(`${far.entity.name}MembershipsFilter`);
  ref.implement({
    description: `Which ${plural} to keep. Fields of one filter must all hold (AND). ${limitsNote}`,
    fields: (t) => ({
      ids: t.idList({ description: `Only these ${plural} (global ids of ${plural}).` }),
      ...own(t),
      [end.connection]: t.field({
        type: memberships,
        description: `By the ${noun(end)}'s memberships of ${end.connection}.`,
      }),
      and: t.field({ type: [ref], description: 'Every one of these filters holds.' }),
      or: t.field({ type: [ref], description: `At least one of these filters holds (none given: no ${noun(end)}).` }),
      not: t.field({ type: ref, description: 'This filter does not hold.' }),
    }),
  });
  membership.implement({
    description: `One membership of a ${noun(end)}: what it must be like. Its fields must all hold (AND).`,
    fields: (t) => ({
      ...membershipFields(t),
      [far.relation]: t.field({ type: filters[far.entity.name]!, description: `The ${noun(far)} of the membership.` }),
    }),
  });
  memberships.implement({
    description: `A ${noun(end)}'s memberships of ${end.connection}; the quantifiers given must all hold (AND).`,
    fields: (t) => ({
      some: t.field({ type: membership, description: quantifiers.some }),
      every: t.field({ type: membership, description: quantifiers.every }),
      none: t.field({ type: membership, description: quantifiers.none }),
    }),
  });
}

const nameContains = (t: InputFields) =>
  t.string({ description: 'Case-insensitive substring of the name (at most 200 characters).' });

const [heroEnd, teamEnd] = heroesTeams.ends;
filtersOf(heroEnd, teamEnd, (t) => ({
  nameContains: nameContains(t),
  minAge: t.int({ description: 'Heroes at least this old (heroes of unknown age are left out).' }),
  maxAge: t.int({ description: 'Heroes at most this old (heroes of unknown age are left out).' }),
  teamCount: t.field({ type: IntComparison, description: 'By how many teams the hero is in (teamCount).' }),
}));
filtersOf(teamEnd, heroEnd, (t) => ({
  nameContains: nameContains(t),
  heroCount: t.field({ type: IntComparison, description: 'By how many heroes the team has (heroCount).' }),
  trainingHeroCount: t.field({
    type: IntComparison,
    description: 'By how many of its heroes are in training (trainingHeroCount).',
  }),
}));
