import { pageSizes } from '../config';
import { badInput } from '../errors';
import { Prisma } from '../generated/prisma/client';
import { INT4_MAX } from '../ids';
import { filterCost } from './filters';

// Keyset (cursor) pagination shared by every connection: the root lists and both directions of
// the link. A cursor holds the sort key and id of its row, so a page starts with an index seek
// wherever an index serves the ordering, however deep into the list it is.

export type Direction = 'ASC' | 'DESC';

export interface Column {
  readonly sql: Prisma.Sql;
  /** A timestamp's key is its milliseconds since the epoch (cursors hold it so). */
  readonly type: 'int' | 'text' | 'timestamp';
  readonly nullable: boolean;
}

/** The orderable columns of a node type, by the GraphQL order field name; `ID` is required. */
export type Columns<Field extends string> = Record<Field | 'ID', Column>;

/** Columns of any node type, as the SQL builders read them. */
export type AnyColumns = { ID: Column } & Partial<Record<string, Column>>;

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
 * A connection's cost in an operation: its own (1, plus its filter's), and the multiplier of what
 * it contains, the page size it will return at most.
 */
export function pageCost(args: ConnectionArgs & { where?: unknown }): { field: number; multiplier: number } {
  const requested = args.first ?? args.last ?? pageSizes.default;
  return {
    field: 1 + filterCost(args.where),
    multiplier: Number.isInteger(requested) ? Math.min(Math.max(requested, 0), pageSizes.max) : 1,
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
): PageSpec {
  const first = checkSize('first', args.first);
  const last = checkSize('last', args.last);
  if (first !== null && last !== null) throw badInput('Pass "first" or "last", not both');
  const field = order?.field ?? 'ID';
  const column = columns[field];
  // JOINED_AT is a field of the membership: only the link's connections have it.
  if (!column) throw badInput(`${field} orders only the memberships of a hero or a team (Hero.teams, Team.heroes)`);
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
function beyond(column: Column | null, id: Prisma.Sql, at: CursorPosition, greater: boolean): Prisma.Sql {
  const op = Prisma.raw(greater ? '>' : '<');
  if (column === null) return Prisma.sql`${id} ${op} ${at.id}`;
  if (at.key === null) {
    return greater
      ? Prisma.sql`(${column.sql} IS NULL AND ${id} > ${at.id})`
      : Prisma.sql`(${column.sql} IS NOT NULL OR ${id} < ${at.id})`;
  }
  const key = keyValue(column, at.key);
  if (!column.nullable) return Prisma.sql`(${column.sql}, ${id}) ${op} (${key}, ${at.id})`;
  return greater
    ? Prisma.sql`(${column.sql} > ${key} OR ${column.sql} IS NULL OR (${column.sql} = ${key} AND ${id} > ${at.id}))`
    : Prisma.sql`(${column.sql} < ${key} OR (${column.sql} = ${key} AND ${id} < ${at.id}))`;
}

/** WHERE conditions, ORDER BY and LIMIT of one page; `columns.ID` is the tiebreaker. */
export function pageSql(spec: PageSpec, columns: AnyColumns): { where: Prisma.Sql[]; orderLimit: Prisma.Sql } {
  const column = spec.field === 'ID' ? null : columns[spec.field]!;
  const id = columns.ID.sql;
  const ascending = spec.direction === 'ASC';
  const where: Prisma.Sql[] = [];
  if (spec.after) where.push(beyond(column, id, spec.after, ascending));
  if (spec.before) where.push(beyond(column, id, spec.before, !ascending));
  const dir = Prisma.raw(ascending !== spec.backward ? 'ASC' : 'DESC');
  const orderBy = column ? Prisma.sql`${column.sql} ${dir}, ${id} ${dir}` : Prisma.sql`${id} ${dir}`;
  return { where, orderLimit: Prisma.sql`ORDER BY ${orderBy} LIMIT ${spec.size + 1}` };
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
 * Turns the edges of the rows fetched by pageSql (at most size + 1, in fetch order) into a
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

/** Turns the rows fetched by pageSql (at most size + 1, in fetch order) into a connection page. */
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
