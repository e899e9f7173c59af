import { prisma } from '../db';
import { notFound } from '../errors';
import { Prisma } from '../generated/prisma/client';
import { globalId } from '../ids';
import { refuseRepeated } from './checks';
import {
  checkFirstsOfSecond,
  lockedFirst,
  lockedPair,
  lockedSecond,
  lockFirst,
  lockFirstsOfSecond,
  lockSeconds,
  retryWhileLinkedMeanwhile,
} from './locks';
import { type LinkChange, linksChanged, rowChanged } from './refresh';
import { columnAs, type End, type Link, type TableColumn } from './registry';

// Writes of a link seen from its first end (link.ends[0]): one link (add, update, remove), all of
// one first-end node's (create it with its links, replace them, delete it), with their checks and
// the lock order of src/links/locks.ts (the first-end node, then its second-end nodes in id order,
// then links). The bulk writes of one second-end node's links are in bulk-writes.ts. Each returns
// what it changed (`change`), for refreshLoaders.

type Tx = Prisma.TransactionClient;

/** One link as a write receives it: the id of the node at the far end, and the link's values by field. */
export type LinkInput = { id: number } & Record<string, unknown>;

/** Prisma Client's delegate of a model, as these writes use it. */
type Delegate = {
  create(args: unknown): Promise<unknown>;
  updateManyAndReturn(args: unknown): Promise<unknown[]>;
  delete(args: unknown): Promise<unknown>;
  deleteMany(args: unknown): Promise<unknown>;
  findUnique(args: unknown): Promise<unknown>;
};
function delegate(client: unknown, name: string): Delegate {
  return (client as Record<string, Delegate>)[name]!;
}

/** `team` for Team: an entity's name within a sentence. */
export function noun(end: End): string {
  return end.entity.name.charAt(0).toLowerCase() + end.entity.name.slice(1);
}

/** NOT_FOUND naming the missing node of this end. */
export function missing(end: End, id: number) {
  return notFound(`No ${noun(end)} with id ${globalId(end.entity.name, id)}`);
}

const arrayTypes: Record<TableColumn['type'], string> = {
  int: 'int[]',
  text: 'text[]',
  boolean: 'boolean[]',
  timestamp: 'timestamptz[]',
  float: 'float8[]',
};

/**
 * The links of a list as rows `m` of an unnest: `unnest(ids::int[], values…) AS m("<end's
 * field>", "<value>"…)`, so that one statement writes any number of them.
 */
export function unnestLinks(link: Link, end: End, links: readonly LinkInput[]): Prisma.Sql {
  const arrays = [
    Prisma.sql`${links.map((l) => l.id)}::int[]`,
    ...link.values.map(
      (column) => Prisma.sql`${links.map((l) => l[column.field] ?? null)}::${Prisma.raw(arrayTypes[column.type])}`,
    ),
  ];
  const names = [end.column, ...link.values.map((column) => Prisma.raw(`"${column.field}"`))];
  return Prisma.sql`unnest(${Prisma.join(arrays, ', ')}) AS m(${Prisma.join(names, ', ')})`;
}

/** The link's key columns and its values: the columns an insert writes, in that order. */
export function insertColumns(link: Link): Prisma.Sql {
  return Prisma.join([...link.key, ...link.values.map((column) => Prisma.raw(column.sql))], ', ');
}

/** The values an insert writes into insertColumns: each end's id from `ids`, then `values`. */
export function insertValues(link: Link, ids: Record<string, Prisma.Sql>, values: Prisma.Sql[]): Prisma.Sql {
  return Prisma.join([...link.keyFields.map((field) => ids[field]!), ...values], ', ');
}

/**
 * Checks a list of links (each second-end node listed once and existing) and locks their nodes,
 * with those the first-end node `ofFirst` is linked to now, before any link is written: a node
 * that exists here then exists until the transaction ends.
 */
async function lockLinks(tx: Tx, link: Link, links: readonly LinkInput[], ofFirst?: number): Promise<void> {
  const [, second] = link.ends;
  const ids = links.map((l) => l.id);
  refuseRepeated(second.entity.name, ids);
  const found = new Set(await lockSeconds(tx, link, { ids, ofFirst }));
  const absent = ids.find((id) => !found.has(id));
  if (absent !== undefined) throw missing(second, absent);
}

/** The link values of an input, as rows carry them. */
function valuesOf(link: Link, input: LinkInput): Record<string, unknown> {
  return Object.fromEntries(link.values.map((column) => [column.field, input[column.field]]));
}

/** Creates a first-end node with its links: all of them or, if one far node is missing, no node at all. */
export async function createWithLinks<Row extends { id: number }>(
  link: Link,
  data: Record<string, unknown>,
  links: readonly LinkInput[],
): Promise<{ row: Row; change: LinkChange }> {
  const [first, second] = link.ends;
  const row = await prisma.$transaction(async (tx) => {
    await lockLinks(tx, link, links);
    const linked = links.map((l) => ({ [second.field]: l.id, ...valuesOf(link, l) }));
    return (await delegate(tx, first.entity.delegate).create({
      data: { ...data, [first.linksField]: { createMany: { data: linked } } },
    })) as Row;
  });
  return {
    row,
    change: linksChanged(
      link,
      [],
      links.map((l) => l.id),
    ),
  };
}

/**
 * Makes the first-end node's links exactly the list, whole or not at all. The row lock on the node
 * orders concurrent calls for one node: each sees the previous one's result, and one list wins whole.
 */
export async function replaceLinksOfFirst<Row extends { id: number }>(
  link: Link,
  id: number,
  links: readonly LinkInput[],
): Promise<{ row: Row; change: LinkChange }> {
  const [first, second] = link.ends;
  const row = await prisma.$transaction(async (tx) => {
    const locked = await lockFirst<Row>(tx, link, id);
    if (!locked) throw missing(first, id);
    // Every far node whose link may change, old and new, is locked before any link is written.
    await lockLinks(tx, link, links, id);
    const ids = links.map((l) => l.id);
    await delegate(tx, link.delegate).deleteMany({ where: { [first.field]: id, [second.field]: { notIn: ids } } });
    if (links.length > 0) {
      const ends = { [first.field]: Prisma.sql`${id}`, [second.field]: Prisma.sql`m.${second.column}` };
      const values = link.values.map((column) => Prisma.raw(`m."${column.field}"`));
      const update = link.values.length
        ? Prisma.sql`DO UPDATE SET ${Prisma.join(
            link.values.map((column) => Prisma.raw(`${column.sql} = EXCLUDED.${column.sql}`)),
            ', ',
          )}`
        : Prisma.sql`DO NOTHING`;
      await tx.$executeRaw`
        INSERT INTO ${link.table} (${insertColumns(link)})
        SELECT ${insertValues(link, ends, values)}
        FROM ${unnestLinks(link, second, links)}
        ON CONFLICT (${Prisma.join(link.key, ', ')}) ${update}`;
    }
    return locked;
  });
  return { row, change: rowChanged(link, 0, id, 'links only') };
}

/** Deletes the first-end node, and by cascade its links, after locking it and then its far nodes. */
export async function deleteFirst(link: Link, id: number): Promise<{ change: LinkChange }> {
  const [first] = link.ends;
  await prisma.$transaction(async (tx) => {
    if (!(await lockFirst(tx, link, id))) throw missing(first, id);
    await lockSeconds(tx, link, { ofFirst: id });
    await delegate(tx, first.entity.delegate).delete({ where: { id } });
  });
  return { change: rowChanged(link, 0, id) };
}

/** Changes the row of a node of end `end` (its own columns, not its links); NOT_FOUND when there is none. */
export async function updateRow<Row>(
  link: Link,
  end: 0 | 1,
  id: number,
  data: Record<string, unknown>,
): Promise<{ row: Row; change: LinkChange }> {
  const { entity } = link.ends[end];
  const [row] = await delegate(prisma, entity.delegate).updateManyAndReturn({ where: { id }, data });
  if (!row) throw missing(link.ends[end], id);
  return { row: row as Row, change: rowChanged(link, end, id) };
}

/**
 * Deletes the second-end node, and by cascade its links, in the lock order of src/links/locks.ts:
 * its members (whose counters the cascade changes), then the node, then by the cascade its links.
 */
export async function deleteSecond(link: Link, id: number): Promise<{ change: LinkChange }> {
  const second = link.ends[1];
  await retryWhileLinkedMeanwhile(() =>
    prisma.$transaction(async (tx) => {
      const members = await lockFirstsOfSecond(tx, link, id, [], 'FOR NO KEY UPDATE');
      const [found] = await tx.$queryRaw<unknown[]>`SELECT 1 FROM ${second.entity.table} WHERE id = ${id} FOR UPDATE`;
      if (!found) throw missing(second, id);
      await checkFirstsOfSecond(tx, link, id, members);
      await delegate(tx, second.entity.delegate).delete({ where: { id } });
    }),
  );
  return { change: rowChanged(link, 1, id) };
}

/** The nodes of both ends of a link write, both of which must exist. */
async function findPair<First, Second>(link: Link, firstId: number, secondId: number): Promise<[First, Second]> {
  const [first, second] = link.ends;
  const [a, b] = await Promise.all([
    delegate(prisma, first.entity.delegate).findUnique({ where: { id: firstId } }),
    delegate(prisma, second.entity.delegate).findUnique({ where: { id: secondId } }),
  ]);
  if (!a) throw missing(first, firstId);
  if (!b) throw missing(second, secondId);
  return [a as First, b as Second];
}

/** A link write's nodes, the link's row as the write made or found it, and what it changed. */
export interface LinkWrite<First, Second> {
  first: First;
  second: Second;
  row: Record<string, unknown>;
  change: LinkChange;
}

/** Links the two nodes; a link that exists is left as it is (and returned). */
export async function addLink<First, Second>(
  link: Link,
  firstId: number,
  secondId: number,
  input: Record<string, unknown>,
): Promise<LinkWrite<First, Second>> {
  const [first, second] = link.ends;
  const [a, b] = await findPair<First, Second>(link, firstId, secondId);
  const ends = { [first.field]: Prisma.sql`id`, [second.field]: Prisma.sql`${secondId}` };
  // The first-end node's row is locked (its counter will change) before the link exists.
  await prisma.$executeRaw`
    INSERT INTO ${link.table} (${insertColumns(link)})
    SELECT ${insertValues(
      link,
      ends,
      link.values.map((column) => Prisma.sql`${input[column.field]}`),
    )} FROM ${lockedFirst(link, firstId)}
    ON CONFLICT (${Prisma.join(link.key, ', ')}) DO NOTHING`;
  const ids: Record<string, number> = { [first.field]: firstId, [second.field]: secondId };
  const [k0, k1] = link.keyFields;
  const row = (await delegate(prisma, link.delegate).findUnique({
    where: { [`${k0}_${k1}`]: { [k0]: ids[k0], [k1]: ids[k1] } },
  })) as Record<string, unknown> | null;
  // Only a concurrent removal can take the link away between the two statements.
  if (!row) {
    throw notFound(`The membership of ${noun(first)} ${globalId(first.entity.name, firstId)} was removed meanwhile`);
  }
  return { first: a, second: b, row, change: linksChanged(link, [firstId], [secondId]) };
}

/** Sets a link's values; NOT_FOUND when the two nodes are not linked. */
export async function updateLink<First, Second>(
  link: Link,
  firstId: number,
  secondId: number,
  input: Record<string, unknown>,
): Promise<LinkWrite<First, Second>> {
  const [first, second] = link.ends;
  const [a, b] = await findPair<First, Second>(link, firstId, secondId);
  const set = Prisma.join(
    link.values.map((column) => Prisma.sql`${Prisma.raw(column.sql)} = ${input[column.field]}`),
    ', ',
  );
  const returned = Prisma.raw([...link.values, ...(link.since ? [link.since] : [])].map(columnAs).join(', '));
  // The second-end node's row is locked before the link's. RETURNING hands back the link's own
  // columns for the payload's edges in the same statement.
  const [row] = await prisma.$queryRaw<Record<string, unknown>[]>`
    UPDATE ${link.table} SET ${set}
    WHERE ${first.column} = ${firstId} AND ${second.column} = ${lockedSecond(link, secondId)}
    RETURNING ${returned}`;
  if (!row) {
    throw notFound(
      `${first.entity.name} ${globalId(first.entity.name, firstId)} is not a member of ${noun(second)} ${globalId(second.entity.name, secondId)}`,
    );
  }
  return { first: a, second: b, row, change: linksChanged(link, [firstId], [secondId]) };
}

/** Ends a link; `removed` is false when there was none. */
export async function removeLink<First, Second>(
  link: Link,
  firstId: number,
  secondId: number,
): Promise<{ first: First; second: Second; removed: boolean; change: LinkChange }> {
  const [first, second] = link.ends;
  const [a, b] = await findPair<First, Second>(link, firstId, secondId);
  // The first-end node's row (its counter will change), then the second's, before the link's.
  const count = await prisma.$executeRaw`
    DELETE FROM ${link.table} WHERE ${first.column} = ${firstId} AND ${second.column} = ${lockedPair(link, firstId, secondId)}`;
  return { first: a, second: b, removed: count > 0, change: linksChanged(link, [firstId], [secondId]) };
}
