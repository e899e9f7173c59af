import { decodeNodeId } from '../ids';

// What each field of the API reads, said in the terms of the change log's events, for the response
// cache (src/graphql/response-cache.ts): an answer is kept until an event names something it read.
// A field that brings heroes or teams into an answer, or reads what the link's triggers keep,
// declares it here; the fields of the rows it brings (a hero's name, an edge's isTraining, a
// connection's totalCount) are read with them and need nothing of their own. A field of Query,
// Hero, Team or MembershipPeriod that is in neither list below is taken to read everything
// (EVERYTHING: any event drops its answers), so a field added without a word here is never served
// stale; test/response-cache.test.ts lists the fields that fall to that and fails on any.

/** Any event at all: what a field that may read anything depends on. */
export const EVERYTHING = '*';

/** The keys an event of the change log touches: every answer that depends on one of them is dropped. */
export function membershipKeys(heroId: number, teamId: number): string[] {
  return [`Hero.teams:${heroId}`, `Team.heroes:${teamId}`, 'Hero.teams', 'Team.heroes', EVERYTHING];
}

/** The keys a change of a hero's or team's row touches (created, updated or deleted). */
export function nodeKeys(type: 'Hero' | 'Team', id: number): string[] {
  return [`${type}:${id}`, type, EVERYTHING];
}

type Args = Record<string, unknown>;
/** The keys a field's answer depends on, from its parent and its arguments. */
export type ReadRule = (parent: { id?: unknown } | undefined, args: Args) => readonly string[];

// Orders by a row's own columns: a page in such an order changes only when a row or the list's
// memberships change. Any other order (by a counter the link's triggers keep: a hero's teamCount,
// a team's heroCount) changes when a membership of another list changes; a filter can reach
// through memberships to the other end's rows (heroes whose teams are named so), and so can change
// with any membership or row.
const rowOrders: Record<'Hero' | 'Team', ReadonlySet<string>> = {
  Hero: new Set(['ID', 'NAME', 'AGE']),
  Team: new Set(['ID', 'NAME']),
};

/** Every row and membership: what a list of `type`s filtered, or ordered by a counter, depends on. */
const ROWS_AND_MEMBERSHIPS = ['Hero', 'Team', 'Hero.teams', 'Team.heroes'];

/** Whether a list of `type`s with these arguments can change with any row or membership. */
function readsBeyondItsRows(type: 'Hero' | 'Team', args: Args): boolean {
  const order = (args.orderBy as { field?: string } | null | undefined)?.field;
  return (order !== undefined && !rowOrders[type].has(order)) || (args.where !== undefined && args.where !== null);
}

/** A list of `type`s through the link, from a parent whose memberships key is `parentKey`. */
function linkList(parentKey: string, type: 'Hero' | 'Team'): ReadRule {
  return (parent, args) => {
    const own = `${parentKey}:${String(parent?.id)}`;
    return readsBeyondItsRows(type, args) ? [own, ...ROWS_AND_MEMBERSHIPS] : [own, type];
  };
}

/** A root list of `type`s (Query.heroes, Query.teams). */
function rootList(type: 'Hero' | 'Team'): ReadRule {
  return (_parent, args) => (readsBeyondItsRows(type, args) ? ROWS_AND_MEMBERSHIPS : [type]);
}

/** A node by its global id; an id that does not decode is refused by the field, which then keeps nothing. */
function byId(id: unknown): string {
  try {
    const { typename, id: raw } = decodeNodeId(String(id));
    return `${typename}:${raw}`;
  } catch {
    return EVERYTHING;
  }
}

/** The fields that bring rows into an answer, or read counters: what each depends on. */
export const readRules: Readonly<Record<string, ReadRule>> = {
  'Query.hero': (_parent, args) => [byId(args.id)],
  'Query.team': (_parent, args) => [byId(args.id)],
  'Query.node': (_parent, args) => [byId(args.id)],
  'Query.nodes': (_parent, args) => (Array.isArray(args.ids) ? args.ids.map(byId) : [EVERYTHING]),
  // A root list, its count and aggregates: the rows of its type; with a filter (through the
  // memberships and the other end's rows too) or an order by a counter, every membership and row.
  'Query.heroes': rootList('Hero'),
  'Query.teams': rootList('Team'),
  // A list through the link: its parent's memberships and the rows of its nodes (ordered, filtered).
  'Hero.teams': linkList('Hero.teams', 'Team'),
  'Team.heroes': linkList('Team.heroes', 'Hero'),
  'Hero.membershipHistory': linkList('Hero.teams', 'Team'),
  'Team.membershipHistory': linkList('Team.heroes', 'Hero'),
  // Counters the link's triggers keep: their changes are the memberships' events, not the row's.
  'Hero.teamCount': (parent) => [`Hero.teams:${String(parent?.id)}`],
  'Team.heroCount': (parent) => [`Team.heroes:${String(parent?.id)}`],
  'Team.trainingHeroCount': (parent) => [`Team.heroes:${String(parent?.id)}`],
};

/**
 * Fields read with the row that brought their parent into the answer: its columns, and a period's
 * hero and team (a history is read by its hero's or team's membershipHistory, which depends on
 * every row of the other end).
 */
export const readWithParent: ReadonlySet<string> = new Set([
  'Hero.id',
  'Hero.name',
  'Hero.secretName',
  'Hero.age',
  'Team.id',
  'Team.name',
  'Team.headquarters',
  'MembershipPeriod.heroId',
  'MembershipPeriod.teamId',
  'MembershipPeriod.isTraining',
  'MembershipPeriod.from',
  'MembershipPeriod.to',
  'MembershipPeriod.hero',
  'MembershipPeriod.team',
]);

/** The types whose every field is in readRules or readWithParent; others' fields are read with their parent field. */
export const typesWithRows: readonly string[] = ['Query', 'Hero', 'Team', 'MembershipPeriod'];
