import type { Hero, Team } from '../generated/prisma/client';
import { Prisma } from '../generated/prisma/client';
import type { AnyColumns, Columns } from './pagination';

// How each node type is read and ordered in hand-written SQL; `n` is the node table's alias.

/** Each column as an array of its values over the rows: `array_agg(n.id), array_agg(n.name)…`. */
function aggregated(columns: string[], alias = 'n'): Prisma.Sql {
  return Prisma.raw(columns.map((column) => `array_agg(${column.replace(/^n\./, `${alias}.`)})`).join(', '));
}

const heroColumns = ['n.id', 'n.name', 'n."secretName"', 'n.age'];
const teamColumns = ['n.id', 'n.name', 'n.headquarters', 'n."heroCount"', 'n."trainingHeroCount"'];
export type HeroOrderField = 'ID' | 'NAME' | 'AGE';
export type TeamOrderField = 'ID' | 'NAME';

export const heroTable = {
  from: Prisma.sql`"Hero" n`,
  select: Prisma.raw(heroColumns.join(', ')),
  /** A hero from the values of `select`: a row of them, in order. */
  read: (values: unknown[]): Hero => ({
    id: values[0] as number,
    name: values[1] as string,
    secretName: values[2] as string,
    age: values[3] as number | null,
  }),
  aggregate: aggregated(heroColumns),
  aggregateRows: aggregated(heroColumns, 'r'),
  /** The `i`th hero of the arrays of `aggregate`. */
  readColumns: (columns: unknown[][], i: number): Hero => ({
    id: columns[0]![i] as number,
    name: columns[1]![i] as string,
    secretName: columns[2]![i] as string,
    age: columns[3]![i] as number | null,
  }),
  columns: {
    ID: { sql: Prisma.sql`n.id`, type: 'int', nullable: false, output: 'id' },
    NAME: { sql: Prisma.sql`n.name`, type: 'text', nullable: false, output: 'name' },
    AGE: { sql: Prisma.sql`n.age`, type: 'int', nullable: true, output: 'age' },
  } satisfies Columns<HeroOrderField>,
  sortKey: (field: string, hero: Hero) => (field === 'NAME' ? hero.name : field === 'AGE' ? hero.age : hero.id),
};

export const teamTable = {
  from: Prisma.sql`"Team" n`,
  // The whole row, as Prisma reads it, counters included (they are ints: cheap to carry).
  select: Prisma.raw(teamColumns.join(', ')),
  /** A team from the values of `select`: a row of them, in order. */
  read: (values: unknown[]): Team => ({
    id: values[0] as number,
    name: values[1] as string,
    headquarters: values[2] as string,
    heroCount: values[3] as number,
    trainingHeroCount: values[4] as number,
  }),
  aggregate: aggregated(teamColumns),
  aggregateRows: aggregated(teamColumns, 'r'),
  /** The `i`th team of the arrays of `aggregate`. */
  readColumns: (columns: unknown[][], i: number): Team => ({
    id: columns[0]![i] as number,
    name: columns[1]![i] as string,
    headquarters: columns[2]![i] as string,
    heroCount: columns[3]![i] as number,
    trainingHeroCount: columns[4]![i] as number,
  }),
  columns: {
    ID: { sql: Prisma.sql`n.id`, type: 'int', nullable: false, output: 'id' },
    NAME: { sql: Prisma.sql`n.name`, type: 'text', nullable: false, output: 'name' },
  } satisfies Columns<TeamOrderField>,
  sortKey: (field: string, team: Team) => (field === 'NAME' ? team.name : team.id),
};

export type NodeTable<Row> = {
  from: Prisma.Sql;
  select: Prisma.Sql;
  /** A node from the values of `select`: a row of them, in order. */
  read: (values: unknown[]) => Row;
  /** The columns of `select`, each aggregated into an array of its values over the rows. */
  aggregate: Prisma.Sql;
  /** The same, over the rows `r` of a statement that selected `select`. */
  aggregateRows: Prisma.Sql;
  /** A node from the arrays of `aggregate`: the `i`th value of each. */
  readColumns: (columns: unknown[][], i: number) => Row;
  columns: AnyColumns;
  sortKey: (field: string, row: Row) => string | number | null;
};
