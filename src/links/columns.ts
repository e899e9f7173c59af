import type { Prisma } from '../generated/prisma/client';

// The columns a page is ordered by, as the SQL builders read them (src/links/pagination.ts) and
// the registry declares them (src/links/registry.ts).

export interface Column {
  readonly sql: Prisma.Sql;
  /** A timestamp's key is its milliseconds since the epoch (cursors hold it so). */
  readonly type: 'int' | 'text' | 'timestamp';
  readonly nullable: boolean;
  /** Its name among the columns a page's SELECT returns. */
  readonly output: string;
}

/** The orderable columns of a node type, by the GraphQL order field name; `ID` is required. */
export type Columns<Field extends string> = Record<Field | 'ID', Column>;

/** Columns of any node type, as the SQL builders read them. */
export type AnyColumns = { ID: Column } & Partial<Record<string, Column>>;
