import { badInput } from '../errors';
import { Prisma } from '../generated/prisma/client';
import { checkIdCount, decodeIdOf, parseDbId } from '../ids';
import { type ColumnType, type End, type Entity, identifier, type Link } from './registry';

// A filter of an entity compiled to one SQL condition: its declared fields (src/links/registry.ts)
// compare in place, and each filter of its memberships (`<connection>: { some | every | none }`)
// is an EXISTS over the link's table correlated by the link's own indexes, so a filter adds no
// statement, only a condition to the one there is.

/** Membership levels a filter may nest (nodes in nodes that have nodes in nodes…). */
export const MAX_MEMBERSHIP_DEPTH = 3;
/** Conditions one filter may hold, over all its levels and and/or/not branches. */
export const MAX_FILTER_CONDITIONS = 50;

/** A global id as the schema hands it over: decoded, its type not yet checked. */
type IdArg = { typename: string; id: string | number } | string;

/**
 * A filter of nodes: ids, and/or/not, its entity's declared fields, and a filter of its
 * memberships under the name of its end's connection.
 */
export interface NodeFilter {
  ids?: readonly IdArg[] | null;
  and?: readonly NodeFilter[] | null;
  or?: readonly NodeFilter[] | null;
  not?: NodeFilter | null;
}

export interface MembershipsFilter<M> {
  some?: M | null;
  every?: M | null;
  none?: M | null;
}

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
   * Whether its statement should be planned for the values of each run (sent with its values in
   * its text, not as a named prepared statement): a nameContains the trigram index may serve is one
   * the index serves or not depending on the text, and a generic plan, made once for any text,
   * picks one way for all.
   */
  planPerValue: boolean;
}

export interface CompileOptions {
  /**
   * A `contains` in the form the trigram index on lower(column) serves (true, the default), or in
   * a form no index serves (false): for pages of one parent's links, where the parent's links are
   * the rows to look at, and reading every node whose name holds a common trigram would cost more.
   */
  nameIndex?: boolean;
  /**
   * The link's rows that filters of memberships read: its table (the default), or its rows as of
   * an instant (src/links/history.ts), so that a page as of an instant filters as of it too.
   */
  links?: Prisma.Sql;
}

/** The comparisons of a `compare` filter field, and their SQL operators. */
const comparisons = [
  ['eq', '='],
  ['gt', '>'],
  ['gte', '>='],
  ['lt', '<'],
  ['lte', '<='],
] as const;

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
function searchText(key: string, text: string): string {
  if (text.length > 200) throw badInput(`${key} must be at most 200 characters`);
  if (text.includes('\u0000')) throw badInput(`${key} must not contain NUL characters`);
  if (!text.isWellFormed()) throw badInput(`${key} must be well-formed Unicode (no lone surrogates)`);
  return text;
}

/**
 * A LIKE pattern matching `text` anywhere, as plain text: its \, % and _ escaped with LIKE's
 * default escape character, the backslash.
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

/** The database ids of a list of global ids, each of which must be of `entity`. */
export function idsOf(link: Link, list: readonly IdArg[], entity: Entity): number[] {
  return list.map((arg) => {
    const decoded = typeof arg === 'string' ? decodeIdOf(arg, typenamesOf(link)) : arg;
    if (decoded.typename !== entity.name) {
      throw badInput(`Invalid id: expected the id of a ${entity.name}, got the id of a ${decoded.typename}`);
    }
    return parseDbId(String(decoded.id));
  });
}

const typenames = new WeakMap<Link, ReadonlySet<string>>();
function typenamesOf(link: Link): ReadonlySet<string> {
  let names = typenames.get(link);
  if (!names) typenames.set(link, (names = new Set(Object.keys(link.entities))));
  return names;
}

/** A value of a filter field as an SQL value of its column's type. */
function value(type: ColumnType, given: unknown): Prisma.Sql {
  return type === 'timestamp' && given instanceof Date
    ? Prisma.sql`${given.toISOString()}::timestamptz`
    : Prisma.sql`${given}`;
}

class Compiler {
  private aliases = 0;
  private conditions = 0;
  /** Whether a `contains` was compiled in the form the trigram index serves. */
  indexedSearch = false;

  constructor(
    private readonly link: Link,
    private readonly nameIndex: boolean,
    private readonly links: Prisma.Sql,
  ) {}

  node(entity: Entity, filter: NodeFilter, ref: NodeRef, level: number): Prisma.Sql[] {
    const where: Prisma.Sql[] = [];
    const fields = filter as Record<string, unknown>;
    if (filter.ids != null) {
      this.count();
      where.push(Prisma.sql`${ref.id} = ANY(${idsOf(this.link, filter.ids, entity)}::int[])`);
    }
    for (const [key, [field, op]] of Object.entries(entity.filters)) {
      const given = fields[key];
      if (given == null) continue;
      this.count();
      ref.joined = true;
      const column = entity.column(ref.alias, field);
      if (op === 'compare') {
        // IntComparison: each comparison given is one condition, on the column an index serves.
        const type = entity.columns.find((c) => c.field === field)!.type;
        for (const [name, sqlOp] of comparisons) {
          const bound = (given as Record<string, unknown>)[name];
          if (bound == null) continue;
          this.count();
          where.push(Prisma.sql`${column} ${Prisma.raw(sqlOp)} ${value(type, bound)}`);
        }
        continue;
      }
      if (op !== 'contains') {
        const type = entity.columns.find((c) => c.field === field)!.type;
        where.push(Prisma.sql`${column} ${Prisma.raw(op)} ${value(type, given)}`);
        continue;
      }
      const text = searchText(key, given as string);
      if (this.nameIndex && hasTrigram(text)) {
        // A substring of the lowercased column, as LIKE '%text%' on lower(column), the text's own
        // wildcards escaped: the form the trigram index on lower(name) serves (migration
        // 20261201041500_name_trigram_indexes). Not ILIKE, which lowercases the pattern again on
        // every row.
        this.indexedSearch = true;
        where.push(Prisma.sql`lower(${column}) LIKE lower(${containsPattern(text)})`);
      } else {
        // The same substring, in a form no index serves, checked on the rows found otherwise: for
        // a text without a trigram, which the index would answer with every row of the table to
        // check again (a scan of the whole index, then of the table), and on a parent's links.
        // The text lowercased once per statement (an InitPlan): a named statement's generic plan
        // (PG_GENERIC_PLANS) would lowercase the parameter again on every row, which for 200
        // characters over 100,000 heroes took 345 ms instead of 32.
        where.push(Prisma.sql`strpos(lower(${column}), (SELECT lower(${text}))) > 0`);
      }
    }
    for (const [end, far] of endsOf(this.link, entity)) {
      const memberships = fields[end.connection] as MembershipsFilter<Record<string, unknown>> | null | undefined;
      if (memberships != null) where.push(...this.memberships(end, far, memberships, ref, level + 1));
    }
    if (filter.and != null) for (const branch of filter.and) where.push(...this.node(entity, branch, ref, level));
    if (filter.or != null) where.push(any(filter.or.map((branch) => all(this.node(entity, branch, ref, level)))));
    if (filter.not != null) where.push(not(all(this.node(entity, filter.not, ref, level))));
    return where;
  }

  private memberships(
    own: End,
    far: End,
    filter: MembershipsFilter<Record<string, unknown>>,
    ref: NodeRef,
    level: number,
  ): Prisma.Sql[] {
    if (level > MAX_MEMBERSHIP_DEPTH) {
      const names = this.link.ends.map((e) => e.connection).join(' or ');
      throw badInput(`Filters nest at most ${MAX_MEMBERSHIP_DEPTH} membership levels deep (${names} within ${names})`);
    }
    const where: Prisma.Sql[] = [];
    for (const quantifier of ['some', 'every', 'none'] as const) {
      const membership = filter[quantifier];
      if (membership == null) continue;
      this.count();
      const n = ++this.aliases;
      const link = Prisma.raw(`fl${n}`);
      const farRef: NodeRef = { alias: `fn${n}`, id: Prisma.sql`${link}.${far.column}`, joined: false };
      const conditions: Prisma.Sql[] = [];
      for (const [key, [column, op]] of Object.entries(this.link.filters)) {
        const given = membership[key];
        if (given == null) continue;
        this.count();
        const type = [...this.link.values, ...(this.link.since ? [this.link.since] : [])].find(
          (c) => c.field === column,
        )?.type;
        conditions.push(
          Prisma.sql`${link}.${Prisma.raw(identifier(column))} ${Prisma.raw(op === 'contains' ? '=' : op)} ${value(type ?? 'int', given)}`,
        );
      }
      const farFilter = membership[far.relation] as NodeFilter | null | undefined;
      if (farFilter != null) conditions.push(...this.node(far.entity, farFilter, farRef, level));
      const condition = all(conditions);
      // `every` holds when no membership fails the condition, so also for a node with none at all.
      if (quantifier === 'every' && conditions.length === 0) continue;
      const join = farRef.joined
        ? Prisma.sql`JOIN ${far.entity.table} ${Prisma.raw(farRef.alias)} ON ${Prisma.raw(farRef.alias)}.id = ${farRef.id}`
        : Prisma.empty;
      const exists = (test: Prisma.Sql) =>
        Prisma.sql`EXISTS (SELECT 1 FROM ${this.links} ${link} ${join} WHERE ${link}.${own.column} = ${ref.id} AND ${test})`;
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

/** The ends of the link at `entity`, each with the end across the link from it. */
function endsOf(link: Link, entity: Entity): [End, End][] {
  const [a, b] = link.ends;
  const found: [End, End][] = [];
  if (a.entity.name === entity.name) found.push([a, b]);
  if (b.entity.name === entity.name) found.push([b, a]);
  return found;
}

/**
 * The SQL condition of a filter on nodes of `entity`, whose row is `alias` (its id `id`, when that
 * is better read elsewhere, such as the link's own column); null for no filter at all.
 */
export function compileFilter(
  link: Link,
  entity: Entity,
  filter: NodeFilter | null | undefined,
  at: { alias: string; id?: Prisma.Sql },
  options: CompileOptions = {},
): CompiledFilter | null {
  if (filter == null) return null;
  const ref: NodeRef = { alias: at.alias, id: at.id ?? Prisma.raw(`${at.alias}.id`), joined: false };
  const compiler = new Compiler(link, options.nameIndex ?? true, options.links ?? link.table);
  const where = compiler.node(entity, filter, ref, 0);
  if (where.length === 0) return null;
  return { sql: all(where), readsRow: ref.joined, planPerValue: compiler.indexedSearch };
}

/** What a `contains` the trigram index cannot serve adds to its connection's cost. */
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

/** The names a filter of this link gives its parts, for filterCost. */
interface FilterVocabulary {
  /** Filters of memberships (an end's connection). */
  memberships: Set<string>;
  /** Filters of a node within a filter (not, an end's relation in a filter of memberships). */
  nested: Set<string>;
  /** Fields compared as substrings. */
  contains: Set<string>;
}

const vocabularies = new WeakMap<Link, FilterVocabulary>();
function vocabularyOf(link: Link): FilterVocabulary {
  let vocabulary = vocabularies.get(link);
  if (!vocabulary) {
    const entities = Object.values(link.entities) as Entity[];
    vocabulary = {
      memberships: new Set(link.ends.map((end) => end.connection)),
      nested: new Set(['not', ...link.ends.map((end) => end.relation)]),
      contains: new Set(
        entities.flatMap((entity) =>
          Object.entries(entity.filters)
            .filter(([, [, op]]) => op === 'contains')
            .map(([key]) => key),
        ),
      ),
    };
    vocabularies.set(link, vocabulary);
  }
  return vocabulary;
}

/**
 * What a filter of this link's nodes adds to the cost of its connection (pageCost): one per
 * condition, ten per filter of memberships, each a subquery run for every candidate row, and
 * UNINDEXED_SEARCH_COST per `contains` the trigram index cannot serve (hasTrigram), which reads
 * the whole table.
 */
export function filterCost(link: Link, filter: unknown, depth = 0): number {
  if (filter === null || typeof filter !== 'object' || depth > 20) return 0;
  const vocabulary = vocabularyOf(link);
  let cost = 0;
  for (const [key, value] of Object.entries(filter as Record<string, unknown>)) {
    if (value == null) continue;
    if (key === 'and' || key === 'or') {
      for (const branch of value as unknown[]) cost += filterCost(link, branch, depth + 1);
    } else if (vocabulary.memberships.has(key)) {
      for (const membership of Object.values(value as Record<string, unknown>)) {
        if (membership != null) cost += 10 + filterCost(link, membership, depth + 1);
      }
    } else if (vocabulary.nested.has(key)) {
      cost += filterCost(link, value, depth + 1);
    } else if (key === 'ids' && Array.isArray(value)) {
      // Each id is a probe of an index: a long list costs by its length, and has a cap.
      checkIdCount(value.length, 'A filter');
      cost += 1 + Math.ceil(value.length / 10);
    } else if (vocabulary.contains.has(key) && typeof value === 'string') {
      cost += hasTrigram(value) ? 1 : UNINDEXED_SEARCH_COST;
    } else {
      cost += 1;
    }
  }
  return cost;
}
