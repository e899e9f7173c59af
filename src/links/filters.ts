import { badInput } from '../errors';
import { Prisma } from '../generated/prisma/client';
import { checkIdCount, decodeNodeId, parseDbId } from '../ids';

// HeroFilter and TeamFilter compiled to one SQL condition: plain columns compare in place, and
// each membership filter (teams: { some | every | none }) is an EXISTS over HeroTeamLink correlated
// by the link's own indexes, so a filter adds no statement, only a condition to the one there is.

/** Membership levels a filter may nest (heroes in teams that have heroes in teams…). */
export const MAX_MEMBERSHIP_DEPTH = 3;
/** Conditions one filter may hold, over all its levels and and/or/not branches. */
export const MAX_FILTER_CONDITIONS = 50;

/** A global id as the schema hands it over: decoded, its type not yet checked. */
type IdArg = { typename: string; id: string | number } | string;

export interface HeroFilter {
  ids?: readonly IdArg[] | null;
  nameContains?: string | null;
  minAge?: number | null;
  maxAge?: number | null;
  teams?: MembershipsFilter<TeamMembershipFilter> | null;
  and?: readonly HeroFilter[] | null;
  or?: readonly HeroFilter[] | null;
  not?: HeroFilter | null;
}

export interface TeamFilter {
  ids?: readonly IdArg[] | null;
  nameContains?: string | null;
  heroes?: MembershipsFilter<HeroMembershipFilter> | null;
  and?: readonly TeamFilter[] | null;
  or?: readonly TeamFilter[] | null;
  not?: TeamFilter | null;
}

interface MembershipFilter {
  isTraining?: boolean | null;
  joinedAfter?: Date | null;
  joinedBefore?: Date | null;
}
export interface TeamMembershipFilter extends MembershipFilter {
  team?: TeamFilter | null;
}
export interface HeroMembershipFilter extends MembershipFilter {
  hero?: HeroFilter | null;
}

export interface MembershipsFilter<M> {
  some?: M | null;
  every?: M | null;
  none?: M | null;
}

export type NodeKind = 'Hero' | 'Team';
type NodeFilter = HeroFilter & TeamFilter;

interface Side {
  table: Prisma.Sql;
  /** The link column holding this node's id, and the one holding the node at the other end. */
  own: Prisma.Sql;
  far: Prisma.Sql;
  farKind: NodeKind;
}

const sides: Record<NodeKind, Side> = {
  Hero: { table: Prisma.raw('"Hero"'), own: Prisma.raw('"heroId"'), far: Prisma.raw('"teamId"'), farKind: 'Team' },
  Team: { table: Prisma.raw('"Team"'), own: Prisma.raw('"teamId"'), far: Prisma.raw('"heroId"'), farKind: 'Hero' },
};

/**
 * Where a filter finds its node: `id` is the expression of the node's id (the node table's, or a
 * link column when the node's row is not joined), `alias` the node table's alias for every other
 * column. `joined` turns true when the filter reads a column of the node's row.
 */
interface NodeRef {
  alias: string;
  id: Prisma.Sql;
  joined: boolean;
}

export interface CompiledFilter {
  /** The condition, true for the nodes the filter keeps. */
  sql: Prisma.Sql;
  /** Whether it reads the node's row: false when it needs only the id (a link column will do). */
  readsRow: boolean;
  /**
   * Whether its statement should be planned for the values of each run (sent unnamed, not as a
   * named prepared statement): a nameContains the trigram index may serve is one the index serves
   * or not depending on the text, and a generic plan, made once for any text, picks one way for all.
   */
  planPerValue: boolean;
}

export interface CompileOptions {
  /**
   * nameContains in the form the trigram index on lower(name) serves (true, the default), or in a
   * form no index serves (false): for pages of one parent's links, where the parent's links are
   * the rows to look at, and reading every hero whose name holds a common trigram would cost more.
   */
  nameIndex?: boolean;
}

const TRUE = Prisma.sql`TRUE`;
const FALSE = Prisma.sql`FALSE`;

function all(conditions: Prisma.Sql[]): Prisma.Sql {
  if (conditions.length === 0) return TRUE;
  return conditions.length === 1 ? conditions[0]! : Prisma.sql`(${Prisma.join(conditions, ' AND ')})`;
}

function any(conditions: Prisma.Sql[]): Prisma.Sql {
  if (conditions.length === 0) return FALSE;
  return conditions.length === 1 ? conditions[0]! : Prisma.sql`(${Prisma.join(conditions, ' OR ')})`;
}

/** Negation in two-valued logic: a condition that is NULL (an unknown age, say) did not hold. */
function not(condition: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(${condition}) IS NOT TRUE`;
}

/** Text to search for: bounded, and free of NUL bytes, which PostgreSQL text cannot hold. */
function searchText(text: string): string {
  if (text.length > 200) throw badInput('nameContains must be at most 200 characters');
  if (text.includes('\u0000')) throw badInput('nameContains must not contain NUL characters');
  if (!text.isWellFormed()) throw badInput('nameContains must be well-formed Unicode (no lone surrogates)');
  return text;
}

/**
 * A LIKE pattern matching `text` anywhere, as plain text: its \, % and _ escaped with LIKE's
 * default escape character, the backslash.
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

/** The database ids of a list of global ids, each of which must be of `kind`. */
export function idsOf(list: readonly IdArg[], kind: NodeKind): number[] {
  return list.map((arg) => {
    const decoded = typeof arg === 'string' ? decodeNodeId(arg) : arg;
    if (decoded.typename !== kind) {
      throw badInput(`Invalid id: expected the id of a ${kind}, got the id of a ${decoded.typename}`);
    }
    return parseDbId(String(decoded.id));
  });
}

class Compiler {
  private aliases = 0;
  private conditions = 0;
  /** Whether a nameContains was compiled in the form the trigram index serves. */
  indexedSearch = false;

  constructor(private readonly nameIndex: boolean) {}

  node(kind: NodeKind, filter: NodeFilter, ref: NodeRef, level: number): Prisma.Sql[] {
    const where: Prisma.Sql[] = [];
    const column = (name: string) => {
      ref.joined = true;
      return Prisma.raw(`${ref.alias}."${name}"`);
    };
    if (filter.ids != null) {
      this.count();
      where.push(Prisma.sql`${ref.id} = ANY(${idsOf(filter.ids, kind)}::int[])`);
    }
    if (filter.nameContains != null) {
      this.count();
      const text = searchText(filter.nameContains);
      if (this.nameIndex && hasTrigram(text)) {
        // A substring of the lowercased name, as LIKE '%text%' on lower(name), the text's own
        // wildcards escaped: the form the trigram index on lower(name) serves (migration
        // 20261201041500_name_trigram_indexes). Not ILIKE, which lowercases the pattern again on
        // every row (a 200-character text over 100,000 heroes: 941 ms of PostgreSQL).
        this.indexedSearch = true;
        where.push(Prisma.sql`lower(${column('name')}) LIKE lower(${containsPattern(text)})`);
      } else {
        // The same substring, in a form no index serves, checked on the rows found otherwise: for
        // a text without a trigram, which the index would answer with every row of the table to
        // check again (a scan of the whole index, then of the table), and on a parent's links.
        where.push(Prisma.sql`strpos(lower(${column('name')}), lower(${text})) > 0`);
      }
    }
    if (kind === 'Hero') {
      if (filter.minAge != null) {
        this.count();
        where.push(Prisma.sql`${column('age')} >= ${filter.minAge}`);
      }
      if (filter.maxAge != null) {
        this.count();
        where.push(Prisma.sql`${column('age')} <= ${filter.maxAge}`);
      }
    }
    const memberships = kind === 'Hero' ? filter.teams : filter.heroes;
    if (memberships != null) where.push(...this.memberships(kind, memberships, ref, level + 1));
    if (filter.and != null) for (const branch of filter.and) where.push(...this.node(kind, branch, ref, level));
    if (filter.or != null) where.push(any(filter.or.map((branch) => all(this.node(kind, branch, ref, level)))));
    if (filter.not != null) where.push(not(all(this.node(kind, filter.not, ref, level))));
    return where;
  }

  private memberships(
    kind: NodeKind,
    filter: MembershipsFilter<TeamMembershipFilter & HeroMembershipFilter>,
    ref: NodeRef,
    level: number,
  ): Prisma.Sql[] {
    if (level > MAX_MEMBERSHIP_DEPTH) {
      throw badInput(
        `Filters nest at most ${MAX_MEMBERSHIP_DEPTH} membership levels deep (teams or heroes within teams or heroes)`,
      );
    }
    const side = sides[kind];
    const where: Prisma.Sql[] = [];
    for (const quantifier of ['some', 'every', 'none'] as const) {
      const membership = filter[quantifier];
      if (membership == null) continue;
      this.count();
      const n = ++this.aliases;
      const link = Prisma.raw(`fl${n}`);
      const far: NodeRef = { alias: `fn${n}`, id: Prisma.sql`${link}.${side.far}`, joined: false };
      const conditions: Prisma.Sql[] = [];
      if (membership.isTraining != null) {
        this.count();
        conditions.push(Prisma.sql`${link}."isTraining" = ${membership.isTraining}`);
      }
      if (membership.joinedAfter != null) {
        this.count();
        conditions.push(Prisma.sql`${link}."joinedAt" > ${membership.joinedAfter.toISOString()}::timestamptz`);
      }
      if (membership.joinedBefore != null) {
        this.count();
        conditions.push(Prisma.sql`${link}."joinedAt" < ${membership.joinedBefore.toISOString()}::timestamptz`);
      }
      const farFilter = kind === 'Hero' ? membership.team : membership.hero;
      if (farFilter != null) conditions.push(...this.node(side.farKind, farFilter, far, level));
      const condition = all(conditions);
      // `every` holds when no membership fails the condition, so also for a node with none at all.
      if (quantifier === 'every' && conditions.length === 0) continue;
      const join = far.joined
        ? Prisma.sql`JOIN ${sides[side.farKind].table} ${Prisma.raw(far.alias)} ON ${Prisma.raw(far.alias)}.id = ${far.id}`
        : Prisma.empty;
      const exists = (test: Prisma.Sql) =>
        Prisma.sql`EXISTS (SELECT 1 FROM "HeroTeamLink" ${link} ${join} WHERE ${link}.${side.own} = ${ref.id} AND ${test})`;
      if (quantifier === 'some') where.push(exists(condition));
      else if (quantifier === 'none') where.push(Prisma.sql`NOT ${exists(condition)}`);
      else where.push(Prisma.sql`NOT ${exists(not(condition))}`);
    }
    return where;
  }

  private count(): void {
    if (++this.conditions > MAX_FILTER_CONDITIONS) {
      throw badInput(`A filter holds at most ${MAX_FILTER_CONDITIONS} conditions`);
    }
  }
}

/**
 * The SQL condition of a filter on nodes of `kind`, whose row is `alias` (its id `id`, when that is
 * better read elsewhere, such as the link's own column); null for no filter at all.
 */
export function compileFilter(
  kind: NodeKind,
  filter: HeroFilter | TeamFilter | null | undefined,
  at: { alias: string; id?: Prisma.Sql },
  options: CompileOptions = {},
): CompiledFilter | null {
  if (filter == null) return null;
  const ref: NodeRef = { alias: at.alias, id: at.id ?? Prisma.raw(`${at.alias}.id`), joined: false };
  const compiler = new Compiler(options.nameIndex ?? true);
  const where = compiler.node(kind, filter as NodeFilter, ref, 0);
  if (where.length === 0) return null;
  return { sql: all(where), readsRow: ref.joined, planPerValue: compiler.indexedSearch };
}

/** What a nameContains the trigram index cannot serve adds to its connection's cost. */
export const UNINDEXED_SEARCH_COST = 1000;

/**
 * Whether pg_trgm finds a trigram in the LIKE pattern of `text` (containsPattern), so that the
 * index can serve the search: it splits the text into words of letters and digits, and pads a word
 * with two spaces in front when something other than a letter or digit precedes it in the text,
 * and one behind when something follows it; a word gives trigrams when it is three characters long
 * with its padding. The pattern's own wildcards, before and after the text, pad nothing. So
 * "owl", "ow " and "x y" have trigrams; "ow", "a", "%_%_" and "" have none, and need a scan of
 * the whole table. Letters and digits as Unicode has them, as PostgreSQL's UTF-8 locales do.
 */
export function hasTrigram(text: string): boolean {
  for (const word of text.matchAll(/[\p{L}\p{N}]+/gu)) {
    const before = word.index > 0 ? 2 : 0;
    const after = word.index + word[0].length < text.length ? 1 : 0;
    if (before + [...word[0]].length + after >= 3) return true;
  }
  return false;
}

/**
 * What a filter adds to the cost of its connection (src/loaders/pagination.ts, pageCost): one per
 * condition, ten per membership filter, each a subquery run for every candidate row, and
 * UNINDEXED_SEARCH_COST per nameContains the trigram index cannot serve (hasTrigram), which reads
 * the whole table (35-50 ms of PostgreSQL at 100,000 heroes).
 */
export function filterCost(filter: unknown, depth = 0): number {
  if (filter === null || typeof filter !== 'object' || depth > 20) return 0;
  let cost = 0;
  for (const [key, value] of Object.entries(filter as Record<string, unknown>)) {
    if (value == null) continue;
    if (key === 'and' || key === 'or') {
      for (const branch of value as unknown[]) cost += filterCost(branch, depth + 1);
    } else if (key === 'teams' || key === 'heroes') {
      for (const membership of Object.values(value as Record<string, unknown>)) {
        if (membership != null) cost += 10 + filterCost(membership, depth + 1);
      }
    } else if (key === 'not' || key === 'team' || key === 'hero') {
      cost += filterCost(value, depth + 1);
    } else if (key === 'ids' && Array.isArray(value)) {
      // Each id is a probe of an index: a long list costs by its length, and has a cap.
      checkIdCount(value.length, 'A filter');
      cost += 1 + Math.ceil(value.length / 10);
    } else if (key === 'nameContains' && typeof value === 'string') {
      cost += hasTrigram(value) ? 1 : UNINDEXED_SEARCH_COST;
    } else {
      cost += 1;
    }
  }
  return cost;
}
