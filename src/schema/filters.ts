import { builder } from '../graphql/builder';
import type {
  HeroFilter as HeroFilterShape,
  HeroMembershipFilter as HeroMembershipFilterShape,
  MembershipsFilter,
  TeamFilter as TeamFilterShape,
  TeamMembershipFilter as TeamMembershipFilterShape,
} from '../loaders/filters';
import { MAX_FILTER_CONDITIONS, MAX_MEMBERSHIP_DEPTH } from '../loaders/filters';

// The filter language of both node types, the same on the root lists and through the link: each
// compiles to one SQL condition (src/loaders/filters.ts), which also checks the values. Not the
// validation plugin: its check of a field's arguments runs on every call of the field, filter or
// not, and Hero.teams / Team.heroes are called once per parent (a third more CPU on Q2).

export const HeroFilter = builder.inputRef<HeroFilterShape>('HeroFilter');
export const TeamFilter = builder.inputRef<TeamFilterShape>('TeamFilter');
const TeamMembershipFilter = builder.inputRef<TeamMembershipFilterShape>('TeamMembershipFilter');
const HeroMembershipFilter = builder.inputRef<HeroMembershipFilterShape>('HeroMembershipFilter');
const TeamMembershipsFilter = builder.inputRef<MembershipsFilter<TeamMembershipFilterShape>>('TeamMembershipsFilter');
const HeroMembershipsFilter = builder.inputRef<MembershipsFilter<HeroMembershipFilterShape>>('HeroMembershipsFilter');

const limitsNote = `Filters nest at most ${MAX_MEMBERSHIP_DEPTH} membership levels and hold at most ${MAX_FILTER_CONDITIONS} conditions.`;

HeroFilter.implement({
  description: `Which heroes to keep. Fields of one filter must all hold (AND). ${limitsNote}`,
  fields: (t) => ({
    ids: t.idList({ description: 'Only these heroes (global ids of heroes).' }),
    nameContains: t.string({ description: 'Case-insensitive substring of the name (at most 200 characters).' }),
    minAge: t.int({ description: 'Heroes at least this old (heroes of unknown age are left out).' }),
    maxAge: t.int({ description: 'Heroes at most this old (heroes of unknown age are left out).' }),
    teams: t.field({ type: TeamMembershipsFilter, description: "By the hero's memberships of teams." }),
    and: t.field({ type: [HeroFilter], description: 'Every one of these filters holds.' }),
    or: t.field({ type: [HeroFilter], description: 'At least one of these filters holds (none given: no hero).' }),
    not: t.field({ type: HeroFilter, description: 'This filter does not hold.' }),
  }),
});

TeamFilter.implement({
  description: `Which teams to keep. Fields of one filter must all hold (AND). ${limitsNote}`,
  fields: (t) => ({
    ids: t.idList({ description: 'Only these teams (global ids of teams).' }),
    nameContains: t.string({ description: 'Case-insensitive substring of the name (at most 200 characters).' }),
    heroes: t.field({ type: HeroMembershipsFilter, description: "By the team's memberships of heroes." }),
    and: t.field({ type: [TeamFilter], description: 'Every one of these filters holds.' }),
    or: t.field({ type: [TeamFilter], description: 'At least one of these filters holds (none given: no team).' }),
    not: t.field({ type: TeamFilter, description: 'This filter does not hold.' }),
  }),
});

const membershipFields = {
  isTraining: 'Memberships in training (true) or not (false).',
  joinedAfter: 'Memberships that began after this instant (exclusive).',
  joinedBefore: 'Memberships that began before this instant (exclusive).',
};

TeamMembershipFilter.implement({
  description: 'One membership of a hero: what it must be like. Its fields must all hold (AND).',
  fields: (t) => ({
    isTraining: t.boolean({ description: membershipFields.isTraining }),
    joinedAfter: t.field({ type: 'DateTime', description: membershipFields.joinedAfter }),
    joinedBefore: t.field({ type: 'DateTime', description: membershipFields.joinedBefore }),
    team: t.field({ type: TeamFilter, description: 'The team of the membership.' }),
  }),
});

HeroMembershipFilter.implement({
  description: 'One membership of a team: what it must be like. Its fields must all hold (AND).',
  fields: (t) => ({
    isTraining: t.boolean({ description: membershipFields.isTraining }),
    joinedAfter: t.field({ type: 'DateTime', description: membershipFields.joinedAfter }),
    joinedBefore: t.field({ type: 'DateTime', description: membershipFields.joinedBefore }),
    hero: t.field({ type: HeroFilter, description: 'The hero of the membership.' }),
  }),
});

const quantifiers = {
  some: 'At least one membership is like this.',
  every: 'Every membership is like this (true of a node with no memberships at all).',
  none: 'No membership is like this (`none: {}`: no memberships at all).',
};

TeamMembershipsFilter.implement({
  description: "A hero's memberships of teams; the quantifiers given must all hold (AND).",
  fields: (t) => ({
    some: t.field({ type: TeamMembershipFilter, description: quantifiers.some }),
    every: t.field({ type: TeamMembershipFilter, description: quantifiers.every }),
    none: t.field({ type: TeamMembershipFilter, description: quantifiers.none }),
  }),
});

HeroMembershipsFilter.implement({
  description: "A team's memberships of heroes; the quantifiers given must all hold (AND).",
  fields: (t) => ({
    some: t.field({ type: HeroMembershipFilter, description: quantifiers.some }),
    every: t.field({ type: HeroMembershipFilter, description: quantifiers.every }),
    none: t.field({ type: HeroMembershipFilter, description: quantifiers.none }),
  }),
});
