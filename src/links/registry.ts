import { Prisma } from '../generated/prisma/client';
import type { AnyColumns, Column } from './columns';

// The registry: a many-to-many link and the two entities it joins, declared once (declareLink) and
// read from the Prisma datamodel (tables, columns, their types and nullability, the link's key and
// foreign keys), so that nothing here is a second, hand-kept copy of prisma/schema.prisma. Every
// other file of src/links takes a Link and names no entity.

/** The part of a Prisma datamodel the registry reads (Pothos' getDatamodel().datamodel, or DMMF's). */
export interface Datamodel {
  models: Record<string, DatamodelModel>;
}
interface DatamodelModel {
  dbName?: string | null;
  fields: readonly DatamodelField[];
  primaryKey?: { fields: readonly string[] } | null;
}
interface DatamodelField {
  name: string;
  dbName?: string | null;
  kind: string;
  type: string;
  isRequired: boolean;
  isList?: boolean;
  relationFromFields?: readonly string[];
}

/**
 * A condition on one column that a filter field stands for: `nameContains: ['name', 'contains']`;
 * `compare` takes an object of comparisons (`{ gt: 3, lte: 10 }`: IntComparison), all of which must hold.
 */
export type FieldFilter = readonly [column: string, op: 'contains' | 'compare' | '=' | '>=' | '<=' | '>' | '<'];

export interface EntitySpec {
  /** Order fields besides ID (always there): the GraphQL enum value and its column. */
  orderBy: Record<string, string>;
  /** Filter fields besides ids, and/or/not and the link's: the name in the filter, and its condition. */
  filters: Record<string, FieldFilter>;
  /** Int columns whose statistics (count, min, max, sum, avg) a list's aggregate gives. */
  stats?: readonly string[];
}

export interface EndSpec {
  /** The link model's relation field to this end: also its name in a filter of memberships. */
  relation: string;
  /** The field listing the other end's nodes from this end's: also its name in this end's filter. */
  connection: string;
  /** Columns of this end's table counting its links, kept by triggers on the link's table. */
  counters?: { total: string; flagged?: string };
}

export interface LinkSpec<Name extends string> {
  /** The link model. */
  model: string;
  /**
   * The two ends, in lock order (src/links/locks.ts): the first end's rows are locked before the
   * second end's, and those before the link's rows.
   */
  ends: readonly [EndSpec, EndSpec];
  /** A boolean column of the link: a connection argument, counted apart by the counters. */
  flag?: string;
  /** A timestamp column the database sets as a link is made: an order (JOINED_AT for joinedAt) and an edge field. */
  since?: string;
  /** Other columns of the link written with it and read onto its edges. */
  fields?: readonly string[];
  /** Filter fields of one link (in a filter of memberships), as EntitySpec.filters. */
  filters: Record<string, FieldFilter>;
  entities: Record<Name, EntitySpec>;
  /**
   * The model of the link's periods, kept by triggers on the link's table (src/links/history.ts):
   * the link's key, values and `since` under the link's own column names, an int id, and when each
   * period began (`from`) and ended (`to`, null while it lasts).
   */
  history?: { model: string; from: string; to: string };
}

export type ColumnType = 'int' | 'text' | 'timestamp' | 'boolean' | 'float';

/** A column of a table, as the SQL builders write and read it. */
export interface TableColumn {
  /** The field's name, as rows carry it. */
  readonly field: string;
  /** Its SQL name, quoted where PostgreSQL needs it. */
  readonly sql: string;
  /** Its SQL name, unquoted. */
  readonly db: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
}

/** One entity's table, as pages, lists, filters, loaders and locks read it. */
export interface Entity<Row extends { id: number } = { id: number }> {
  /** The model's name: its GraphQL type, and the typename of its global ids. */
  readonly name: string;
  /** The table, quoted. */
  readonly table: Prisma.Sql;
  /** Prisma Client's delegate of the model (`prisma[delegate]`), for the writes that use it. */
  readonly delegate: string;
  /** Every scalar column, in the datamodel's order: a row reads them all. */
  readonly columns: readonly TableColumn[];
  /** The table aliased `n`, as pages and lists read it. */
  readonly from: Prisma.Sql;
  /** The columns of `from`, in order. */
  readonly select: Prisma.Sql;
  /** The columns, unaliased, for statements on the bare table (locks). */
  readonly selectBare: Prisma.Sql;
  /** A row from the values of `select`, in order. */
  readonly read: (values: unknown[]) => Row;
  /** The columns of `select`, each aggregated into an array of its values over the rows. */
  readonly aggregate: Prisma.Sql;
  /** The same, over the rows `r` of a statement that selected `select`. */
  readonly aggregateRows: Prisma.Sql;
  /** A row from the arrays of `aggregate`: the `i`th value of each. */
  readonly readColumns: (columns: unknown[][], i: number) => Row;
  /** The orderable columns, by order field; ID among them. */
  readonly orderColumns: AnyColumns;
  sortKey(field: string, row: Row): string | number | null;
  readonly filters: Readonly<Record<string, FieldFilter>>;
  /** The int columns whose statistics a list's aggregate gives (EntitySpec.stats). */
  readonly stats: readonly TableColumn[];
  /** The SQL of a column of this table under an alias, always quoted (as filters have written it). */
  readonly column: (alias: string, field: string) => Prisma.Sql;
}

/** One end of the link. */
export interface End {
  readonly entity: Entity;
  readonly relation: string;
  readonly connection: string;
  /** The link column holding this end's id, quoted. */
  readonly column: Prisma.Sql;
  /** Its field name, as rows and Prisma Client's where carry it. */
  readonly field: string;
  /** The column as a RETURNING or SELECT item, named by its field. */
  readonly returning: Prisma.Sql;
  /** Prisma's list field of this end's model holding its links (for nested writes). */
  readonly linksField: string;
  readonly counters?: { total: Prisma.Sql; flagged: Prisma.Sql | null };
}

/**
 * The link seen from one end: the nodes of the other end (the children) reached from one node of
 * this end (the parent).
 */
export interface LinkSide<Node extends { id: number } = { id: number }> {
  readonly link: Link;
  /** The field it serves (`Type.connection`), as the metrics name its loaders. */
  readonly field: string;
  readonly parentEnd: End;
  readonly childEnd: End;
  /** The link column holding the parent's id, on the link aliased `l`. */
  readonly parent: Prisma.Sql;
  /** The link column holding the child's id; ordering by ID uses it so the link's index serves. */
  readonly child: Prisma.Sql;
  readonly table: Entity<Node>;
  /**
   * Counters kept on the parent's table (aliased `c`) by triggers on the link: a count is then one
   * row read, however many links the parent has. Without them, counts count the link's index.
   */
  readonly counters?: { from: Prisma.Sql; total: Prisma.Sql; training: Prisma.Sql | null };
}

/** The table of a link's periods (LinkSpec.history). */
export interface History {
  readonly name: string;
  readonly table: Prisma.Sql;
  readonly from: TableColumn;
  readonly to: TableColumn;
}

export interface Link<Rows extends Record<string, { id: number }> = Record<string, { id: number }>> {
  readonly name: string;
  readonly table: Prisma.Sql;
  readonly delegate: string;
  readonly entities: { readonly [K in keyof Rows]: Entity<Rows[K]> };
  readonly ends: readonly [End, End];
  /** Both sides, by field (`Type.connection`). */
  readonly sides: Readonly<Record<string, LinkSide>>;
  /** The link's primary key, quoted, in its order: the conflict target of inserts. */
  readonly key: readonly [Prisma.Sql, Prisma.Sql];
  /** The same by field name, as Prisma Client names the compound key (`a_b`). */
  readonly keyFields: readonly [string, string];
  readonly flag: TableColumn | null;
  readonly since: TableColumn | null;
  /** The columns written with a link and read onto its edges: the flag, then the declared fields. */
  readonly values: readonly TableColumn[];
  readonly filters: Readonly<Record<string, FieldFilter>>;
  /** Its periods, when the link keeps them. */
  readonly history: History | null;
}

const scalarTypes: Record<string, ColumnType> = {
  Int: 'int',
  String: 'text',
  DateTime: 'timestamp',
  Boolean: 'boolean',
  Float: 'float',
};

/** An SQL identifier, quoted only where PostgreSQL would fold or refuse it unquoted. */
export function identifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** A column as a SELECT or RETURNING item named by its field: `sql`, or `sql AS "field"`. */
export function columnAs(column: TableColumn): string {
  return column.db === column.field ? column.sql : `${column.sql} AS "${column.field}"`;
}

/** A quoted table name, as migrations create them. */
function tableName(name: string): Prisma.Sql {
  return Prisma.raw(`"${name.replace(/"/g, '""')}"`);
}

function model(datamodel: Datamodel, name: string): DatamodelModel {
  const found = datamodel.models[name];
  if (!found) throw new Error(`The datamodel has no model ${name}`);
  return found;
}

function scalarColumn(fieldModel: DatamodelModel, modelName: string, name: string): TableColumn {
  const field = fieldModel.fields.find((f) => f.name === name);
  const type = field && field.kind === 'scalar' ? scalarTypes[field.type] : undefined;
  if (!field || !type || field.isList) throw new Error(`${modelName}.${name} is not a scalar column of the datamodel`);
  return {
    field: name,
    sql: identifier(field.dbName ?? name),
    db: field.dbName ?? name,
    type,
    nullable: !field.isRequired,
  };
}

/** Each column as an array of its values over the rows: `array_agg(n.id), array_agg(n.name)…`. */
function aggregated(columns: readonly TableColumn[], alias: string): Prisma.Sql {
  return Prisma.raw(columns.map((column) => `array_agg(${alias}.${column.sql})`).join(', '));
}

/** JOINED_AT for joinedAt: the GraphQL enum value of a column. */
export function orderFieldOf(column: string): string {
  return column.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function declareEntity<Row extends { id: number }>(datamodel: Datamodel, name: string, spec: EntitySpec): Entity<Row> {
  const found = model(datamodel, name);
  const columns = found.fields.filter((f) => f.kind === 'scalar').map((f) => scalarColumn(found, name, f.name));
  if (columns[0]?.field !== 'id' || columns[0].type !== 'int') throw new Error(`${name} must begin with an int id`);
  const fields = columns.map((column) => column.field);
  const byField = new Map(columns.map((column) => [column.field, column]));
  const columnOf = (field: string) => {
    const column = byField.get(field);
    if (!column) throw new Error(`${name} has no column ${field}`);
    return column;
  };
  const orderColumn = (field: string, output: string): Column => {
    const column = columnOf(field);
    if (column.type === 'boolean' || column.type === 'float') throw new Error(`${name}.${field} cannot order pages`);
    return { sql: Prisma.raw(`n.${column.sql}`), type: column.type, nullable: column.nullable, output };
  };
  const orderColumns: AnyColumns = { ID: orderColumn('id', 'id') };
  const sortFields: Record<string, string> = { ID: 'id' };
  for (const [order, field] of Object.entries(spec.orderBy)) {
    orderColumns[order] = orderColumn(field, field);
    sortFields[order] = field;
  }
  for (const [field] of Object.values(spec.filters)) columnOf(field);
  const stats = (spec.stats ?? []).map((field) => {
    const column = columnOf(field);
    if (column.type !== 'int') throw new Error(`${name}.${field} is not an int column: no statistics`);
    return column;
  });
  const read = rowBuilder<(values: unknown[]) => Row>(fields, 'values', (k) => `values[${k}]`);
  const readColumns = rowBuilder<(arrays: unknown[][], i: number) => Row>(
    fields,
    'arrays, i',
    (k) => `arrays[${k}][i]`,
  );
  const bare = columns.map(columnAs);
  return {
    name,
    table: tableName(found.dbName ?? name),
    delegate: name.charAt(0).toLowerCase() + name.slice(1),
    columns,
    from: Prisma.sql`${tableName(found.dbName ?? name)} n`,
    select: Prisma.raw(columns.map((column) => `n.${column.sql}`).join(', ')),
    selectBare: Prisma.raw(bare.join(', ')),
    read,
    aggregate: aggregated(columns, 'n'),
    aggregateRows: aggregated(columns, 'r'),
    readColumns,
    orderColumns,
    sortKey: (order, row) => (row as Record<string, unknown>)[sortFields[order] ?? 'id'] as string | number | null,
    filters: spec.filters,
    stats,
    column: (alias, field) => Prisma.raw(`${alias}."${columnOf(field).db}"`),
  };
}

/**
 * The link model `spec.model` and the entities it joins, checked against the datamodel: every
 * model, relation, column and counter named must be there, with a type that fits its use.
 */
export function declareLink<Rows extends Record<string, { id: number }>>(
  datamodel: Datamodel,
  spec: LinkSpec<keyof Rows & string>,
): Link<Rows> {
  const linkModel = model(datamodel, spec.model);
  const entities = Object.fromEntries(
    Object.entries(spec.entities).map(([name, entitySpec]) => [
      name,
      declareEntity(datamodel, name, entitySpec as EntitySpec),
    ]),
  ) as { [K in keyof Rows]: Entity<Rows[K]> };
  const linkColumn = (name: string, type?: ColumnType) => {
    const column = scalarColumn(linkModel, spec.model, name);
    if (type && column.type !== type) throw new Error(`${spec.model}.${name} is not of type ${type}`);
    return column;
  };
  const end = (endSpec: EndSpec): End => {
    const relation = linkModel.fields.find((f) => f.name === endSpec.relation && f.kind === 'object');
    const entity = relation && (entities as Record<string, Entity>)[relation.type];
    if (!relation || !entity || relation.relationFromFields?.length !== 1) {
      throw new Error(`${spec.model}.${endSpec.relation} is not a relation to a declared entity by one column`);
    }
    const column = linkColumn(relation.relationFromFields[0]!, 'int');
    const linksField = model(datamodel, entity.name).fields.find((f) => f.type === spec.model && f.isList);
    const counter = (field: string) => {
      const found = entity.columns.find((c) => c.field === field);
      if (!found || found.type !== 'int') throw new Error(`${entity.name}.${field} is not an int counter`);
      return Prisma.raw(`c.${found.sql}`);
    };
    return {
      entity,
      relation: endSpec.relation,
      connection: endSpec.connection,
      column: Prisma.raw(column.sql),
      field: column.field,
      returning: Prisma.raw(columnAs(column)),
      linksField: linksField?.name ?? '',
      counters: endSpec.counters && {
        total: counter(endSpec.counters.total),
        flagged: endSpec.counters.flagged ? counter(endSpec.counters.flagged) : null,
      },
    };
  };
  const ends = [end(spec.ends[0]), end(spec.ends[1])] as const;
  const flag = spec.flag ? linkColumn(spec.flag, 'boolean') : null;
  const since = spec.since ? linkColumn(spec.since, 'timestamp') : null;
  for (const [, [column]] of Object.entries(spec.filters)) linkColumn(column);
  const history = spec.history
    ? declareHistory(datamodel, spec.history, [
        ...ends.map((e) => linkColumn(e.field, 'int')),
        ...(flag ? [flag] : []),
        ...(spec.fields ?? []).map((field) => linkColumn(field)),
        ...(since ? [since] : []),
      ])
    : null;
  const keyFields = linkModel.primaryKey?.fields ?? [ends[0].field, ends[1].field];
  const byField = (field: string) => ends.find((e) => e.field === field)?.column ?? Prisma.raw(identifier(field));
  const link = {
    name: spec.model,
    table: tableName(linkModel.dbName ?? spec.model),
    delegate: spec.model.charAt(0).toLowerCase() + spec.model.slice(1),
    entities,
    ends,
    sides: {} as Record<string, LinkSide>,
    key: [byField(keyFields[0]!), byField(keyFields[1]!)] as const,
    keyFields: [keyFields[0]!, keyFields[1]!] as const,
    flag,
    since,
    values: [...(flag ? [flag] : []), ...(spec.fields ?? []).map((field) => linkColumn(field))],
    filters: spec.filters,
    history,
  };
  for (const [parentEnd, childEnd] of [
    [ends[0], ends[1]],
    [ends[1], ends[0]],
  ] as const) {
    const field = `${parentEnd.entity.name}.${parentEnd.connection}`;
    link.sides[field] = {
      link,
      field,
      parentEnd,
      childEnd,
      parent: Prisma.sql`l.${parentEnd.column}`,
      child: Prisma.sql`l.${childEnd.column}`,
      table: childEnd.entity,
      counters: parentEnd.counters && {
        from: Prisma.sql`${parentEnd.entity.table} c`,
        total: parentEnd.counters.total,
        training: parentEnd.counters.flagged,
      },
    };
  }
  return link;
}

/**
 * The periods' model, checked against the link's columns it must repeat (same names, same types)
 * so that a statement reading the link can read its periods instead.
 */
function declareHistory(
  datamodel: Datamodel,
  spec: NonNullable<LinkSpec<string>['history']>,
  repeated: readonly TableColumn[],
): History {
  const found = model(datamodel, spec.model);
  const column = (name: string) => scalarColumn(found, spec.model, name);
  const id = column('id');
  if (id.type !== 'int') throw new Error(`${spec.model}.id must be an int`);
  for (const linkColumn of repeated) {
    const own = column(linkColumn.field);
    if (own.type !== linkColumn.type || own.db !== linkColumn.db) {
      throw new Error(`${spec.model}.${linkColumn.field} must be the link's column, of type ${linkColumn.type}`);
    }
  }
  const from = column(spec.from);
  const to = column(spec.to);
  if (from.type !== 'timestamp' || from.nullable) throw new Error(`${spec.model}.${spec.from} must be a timestamp`);
  if (to.type !== 'timestamp' || !to.nullable) throw new Error(`${spec.model}.${spec.to} must be a nullable timestamp`);
  return { name: spec.model, table: tableName(found.dbName ?? spec.model), from, to };
}

/** The side of the link listing `Type.connection`, typed by the nodes it reaches. */
export function sideOf<Node extends { id: number }>(link: Link, field: string): LinkSide<Node> {
  const side = link.sides[field];
  if (!side) throw new Error(`${link.name} has no side ${field}`);
  return side as unknown as LinkSide<Node>;
}

/**
 * A function making a row `{ field: value, … }` of `fields`, each value read by `valueOf(k)` from
 * `params`, compiled once per entity. Its object literal gives every row of the entity one shape
 * that V8 knows in advance; a loop assigning the fields by name made each row go through the
 * shape's transitions, a share of a page's CPU (Q2, 100 teams of 50 heroes, read 5,000 rows per
 * request). The names come from the Prisma datamodel, never from a request, and are quoted.
 */
function rowBuilder<Fn>(fields: readonly string[], params: string, valueOf: (k: number) => string): Fn {
  const body = fields.map((field, k) => `${JSON.stringify(field)}: ${valueOf(k)}`).join(', ');
  return new Function(params, `return { ${body} };`) as Fn;
}
