import { pageSizes } from '../config';
import { badInput } from '../errors';
import { Prisma } from '../generated/prisma/client';
import { INT4_MAX } from '../ids';
import { filterCost } from './filters';
import type { AnyColumns, Column } from './columns';
import type { Link } from './registry';

// Keyset (cursor) pagination shared by every connection: the root lists and both directions of
// a link. A cursor holds the sort key and id of its row, so a page starts with an index seek
// wherever an index serves the ordering, however deep into the list it is.

export type Direction = 'ASC' | 'DESC';

export type { AnyColumns, Column, Columns } from './columns';

export interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

export interface OrderArg<Field extends string> {
  field: Field;
  direction?: Direction | null;
}

interface CursorPosition {
  key: string | number | null;
  id: number;
}

/** A validated page request: what to fetch, independent of which parent it is fetched for. */
export interface PageSpec {
  readonly field: string;
  readonly direction: Direction;
  readonly size: number;
  readonly backward: boolean;
  readonly after: CursorPosition | null;
  readonly before: CursorPosition | null;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Page<E extends { cursor: string }> {
  edges: E[];
  pageInfo: PageInfo;
}

function checkSize(name: string, value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value < 0) throw badInput(`"${name}" must be a non-negative integer`);
  if (value > pageSizes.max) throw badInput(`"${name}" must be at most ${pageSizes.max}`);
  return value;
}

/**
 * The cost of a connection over nodes of this link in an operation: its own (1, plus its filter's),
 * and the multiplier of what it contains, the page size it will return at most.
 */
export function pageCost(link: Link) {
  return (args: ConnectionArgs & { where?: unknown }): { field: number; multiplier: number } => {
    const requested = args.first ?? args.last ?? pageSizes.default;
    return {
      field: 1 + filterCost(link, args.where),
      multiplier: Number.isInteger(requested) ? Math.min(Math.max(requested, 0), pageSizes.max) : 1,
    };
  };
}

export function encodeCursor(field: string, key: string | number | null, id: number): string {
  return Buffer.from(JSON.stringify(field === 'ID' ? [field, id] : [field, id, key])).toString('base64url');
}

function decodeCursor(name: string, cursor: string, field: string, column: Column): CursorPosition {
  const invalid = () => badInput(`"${name}" is not a cursor of this connection in this order`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value[0] !== field) throw invalid();
  const [, id, key] = value as [string, unknown, string | number | null | undefined];
  // Only what a page of ours can hold: a forged value must not reach PostgreSQL as a type error.
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > INT4_MAX) throw invalid();
  if (field === 'ID') {
    if (value.length !== 2) throw invalid();
    return { key: id, id };
  }
  if (value.length !== 3) throw invalid();
  if (key === null || key === undefined) {
    if (!column.nullable) throw invalid();
    return { key: null, id };
  }
  if (column.type === 'text' ? typeof key !== 'string' : typeof key !== 'number' || !Number.isSafeInteger(key)) {
    throw invalid();
  }
  // Text PostgreSQL can hold (no NUL, no lone surrogate), an int4, a JavaScript date.
  if (typeof key === 'string' && (key.includes('\u0000') || !key.isWellFormed())) throw invalid();
  if (column.type === 'int' && Math.abs(key as number) > INT4_MAX) throw invalid();
  if (column.type === 'timestamp' && Math.abs(key as number) > 8.64e15) throw invalid();
  return { key, id };
}

export function pageSpec(
  args: ConnectionArgs,
  order: OrderArg<string> | null | undefined,
  columns: AnyColumns,
  /** The connections whose orders `columns` lack (the link's, for a root list), for the refusal. */
  elsewhere = '',
): PageSpec {
  const first = checkSize('first', args.first);
  const last = checkSize('last', args.last);
  if (first !== null && last !== null) throw badInput('Pass "first" or "last", not both');
  const field = order?.field ?? 'ID';
  const column = columns[field];
  // JOINED_AT is a field of the membership: only the link's connections have it.
  if (!column) throw badInput(`${field} orders only the memberships of one node (${elsewhere})`);
  return {
    field,
    direction: order?.direction ?? 'ASC',
    size: first ?? last ?? pageSizes.default,
    backward: last !== null,
    after: args.after == null ? null : decodeCursor('after', args.after, field, column),
    before: args.before == null ? null : decodeCursor('before', args.before, field, column),
  };
}

/** A stable key for a spec, so requests for the same page of different parents share a batch. */
export function specKey(spec: PageSpec): string {
  return JSON.stringify(spec);
}

/** A cursor's key as an SQL value of its column's type. */
function keyValue(column: Column, key: string | number): Prisma.Sql {
  return column.type === 'timestamp' ? Prisma.sql`${new Date(key).toISOString()}::timestamptz` : Prisma.sql`${key}`;
}

// NULL sorts as the largest value, as PostgreSQL orders by default (ASC NULLS LAST, DESC NULLS FIRST).
// Every condition is one an index on (column, id) can start from: a row comparison, or a column IS
// [NOT] NULL with an id range. Where the rows beyond a cursor are not one such range (the NULLs
// after a non-null key), they are the union of two, one condition each.
function beyond(column: Column | null, id: Prisma.Sql, at: CursorPosition, greater: boolean): Prisma.Sql[] {
  const op = Prisma.raw(greater ? '>' : '<');
  if (column === null) return [Prisma.sql`${id} ${op} ${at.id}`];
  if (at.key === null) {
    return greater
      ? [Prisma.sql`(${column.sql} IS NULL AND ${id} > ${at.id})`]
      : [Prisma.sql`${column.sql} IS NOT NULL`, Prisma.sql`(${column.sql} IS NULL AND ${id} < ${at.id})`];
  }
  // A row with a NULL column compares as neither greater nor smaller: the NULLs are added apart.
  const row = Prisma.sql`(${column.sql}, ${id}) ${op} (${keyValue(column, at.key)}, ${at.id})`;
  return column.nullable && greater ? [row, Prisma.sql`${column.sql} IS NULL`] : [row];
}

/** The SQL of one page: which rows, in which order, how many. */
export interface PageSql {
  /**
   * The rows of the page are those meeting any one of these conditions: almost always one, two or
   * four when a cursor on a nullable column leaves rows on both sides of the NULLs.
   */
  readonly branches: Prisma.Sql[];
  /** ORDER BY … LIMIT of the page, on the columns' SQL. */
  readonly orderLimit: Prisma.Sql;
  /** The same order on the output columns' names, to merge the branches' rows. */
  readonly mergeOrderLimit: Prisma.Sql;
}

/**
 * Conditions, order and size of one page; `columns.ID` is the tiebreaker. `literalLimit` writes the
 * page's size into the text instead of sending it as a parameter (see its use in loaders.ts).
 */
export function pageSql(spec: PageSpec, columns: AnyColumns, options: { literalLimit?: boolean } = {}): PageSql {
  const column = spec.field === 'ID' ? null : columns[spec.field]!;
  const id = columns.ID;
  const ascending = spec.direction === 'ASC';
  let branches: Prisma.Sql[][] = [[]];
  for (const [at, greater] of [
    [spec.after, ascending],
    [spec.before, !ascending],
  ] as const) {
    if (!at) continue;
    const alternatives = beyond(column, id.sql, at, greater);
    branches = branches.flatMap((conditions) => alternatives.map((one) => [...conditions, one]));
  }
  const dir = Prisma.raw(ascending !== spec.backward ? 'ASC' : 'DESC');
  const rows = spec.size + 1;
  if (!Number.isSafeInteger(rows) || rows < 1) throw new Error(`Not a page size: ${spec.size}`);
  const limit = options.literalLimit ? Prisma.raw(`LIMIT ${rows}`) : Prisma.sql`LIMIT ${rows}`;
  const order = (sql: (column: Column) => Prisma.Sql) =>
    column ? Prisma.sql`ORDER BY ${sql(column)} ${dir}, ${sql(id)} ${dir}` : Prisma.sql`ORDER BY ${sql(id)} ${dir}`;
  return {
    branches: branches.map(and),
    orderLimit: Prisma.sql`${order((c) => c.sql)} ${limit}`,
    mergeOrderLimit: Prisma.sql`${order((c) => Prisma.raw(`x."${c.output}"`))} ${limit}`,
  };
}

/**
 * The statement of one page: `select(condition)` is a SELECT whose WHERE ends with the condition.
 * Each branch is ordered and limited on its own, in an index where one serves, and their rows
 * merged in order: a page after a cursor in a nullable column stays O(page) deep into the list.
 */
export function pageQuery(page: PageSql, select: (condition: Prisma.Sql) => Prisma.Sql): Prisma.Sql {
  if (page.branches.length === 1) return Prisma.sql`${select(page.branches[0]!)} ${page.orderLimit}`;
  const parts = page.branches.map((condition) => Prisma.sql`(${select(condition)} ${page.orderLimit})`);
  return Prisma.sql`SELECT * FROM (${Prisma.join(parts, ' UNION ALL ')}) x ${page.mergeOrderLimit}`;
}

export function and(conditions: Prisma.Sql[]): Prisma.Sql {
  return conditions.length === 0 ? Prisma.sql`TRUE` : Prisma.join(conditions, ' AND ');
}

/** The cursor of a row in pages of this spec, for edges that encode it on demand. */
export function cursorOf<Row extends { id: number }>(
  spec: PageSpec,
  sortKey: (row: Row) => string | number | null,
): (row: Row) => string {
  return (row) => encodeCursor(spec.field, sortKey(row), row.id);
}

/** An edge whose cursor is encoded only when a client asks for it (most queries never do). */
export class Edge<Row extends { id: number }> {
  constructor(
    readonly node: Row,
    private readonly cursorOf: (row: Row) => string,
  ) {}

  get cursor(): string {
    return this.cursorOf(this.node);
  }
}

/**
 * Turns the edges of the rows fetched by pageQuery (at most size + 1, in fetch order) into a
 * connection page; the array is the page's own (shortened and reversed in place).
 */
export function pageOfEdges<E extends { cursor: string }>(spec: PageSpec, edges: E[]): Page<E> {
  const hasMore = edges.length > spec.size;
  if (hasMore) edges.length = spec.size;
  if (spec.backward) edges.reverse();
  return {
    edges,
    pageInfo: {
      hasNextPage: spec.backward ? spec.before !== null : hasMore,
      hasPreviousPage: spec.backward ? hasMore : spec.after !== null,
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges[edges.length - 1]?.cursor ?? null;
      },
    },
  };
}

/** Turns the rows fetched by pageQuery (at most size + 1, in fetch order) into a connection page. */
export function toPage<Row extends { id: number }>(
  spec: PageSpec,
  rows: Row[],
  sortKey: (row: Row) => string | number | null,
): Page<Edge<Row>> {
  const cursor = cursorOf(spec, sortKey);
  return pageOfEdges(
    spec,
    rows.map((node) => new Edge(node, cursor)),
  );
}
