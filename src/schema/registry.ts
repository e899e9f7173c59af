import type { ReadRoute } from '../db/replica-routing';
import type { Hero, Team } from '../generated/prisma/client';
import { getDatamodel } from '../generated/pothos-prisma-types';
import { createNodeLoaders as nodeLoaders, declareLink, LinkLoaders, sideOf } from '../links';

// The heroes-teams link and its two entities, declared once for the generic link layer
// (src/links): tables, columns, types and keys come from the Prisma datamodel; this says what the
// API orders and filters by, which columns of the link it reads, and which counters the link's
// triggers keep (both ends', migrations team_hero_counts and hero_team_count). The hero is the first end (locked first, src/links/locks.ts), the team the second.
export const heroesTeams = declareLink<{ Hero: Hero; Team: Team }>(getDatamodel().datamodel, {
  model: 'HeroTeamLink',
  ends: [
    { relation: 'hero', connection: 'teams', counters: { total: 'teamCount' } },
    { relation: 'team', connection: 'heroes', counters: { total: 'heroCount', flagged: 'trainingHeroCount' } },
  ],
  flag: 'isTraining',
  since: 'joinedAt',
  history: { model: 'MembershipPeriod', from: 'startedAt', to: 'endedAt' },
  filters: { isTraining: ['isTraining', '='], joinedAfter: ['joinedAt', '>'], joinedBefore: ['joinedAt', '<'] },
  entities: {
    Hero: {
      orderBy: { NAME: 'name', AGE: 'age', TEAM_COUNT: 'teamCount' },
      filters: {
        nameContains: ['name', 'contains'],
        minAge: ['age', '>='],
        maxAge: ['age', '<='],
        teamCount: ['teamCount', 'compare'],
      },
      stats: ['age'],
    },
    Team: {
      orderBy: { NAME: 'name', HERO_COUNT: 'heroCount', TRAINING_HERO_COUNT: 'trainingHeroCount' },
      filters: {
        nameContains: ['name', 'contains'],
        heroCount: ['heroCount', 'compare'],
        trainingHeroCount: ['trainingHeroCount', 'compare'],
      },
      stats: ['heroCount'],
    },
  },
});

export const teamsOfHero = sideOf<Team>(heroesTeams, 'Hero.teams');
export const heroesOfTeam = sideOf<Hero>(heroesTeams, 'Team.heroes');

/** A request's loaders of the link's pages, whose reads go where `route` says when they run. */
export function createLinkLoaders(route: Readonly<ReadRoute>): LinkLoaders {
  return new LinkLoaders(route);
}

/** A request's loaders of heroes and teams by id, whose reads go where `route` says when they run. */
export function createNodeLoaders(route: Readonly<ReadRoute>) {
  return nodeLoaders(heroesTeams.entities, route);
}
