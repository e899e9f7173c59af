import { maxBulk } from '../config';
import { prisma } from '../db';
import { badInput, notFound } from '../errors';
import { Prisma } from '../generated/prisma/client';
import { globalId } from '../ids';
import { refuseRepeated } from './checks';
import { checkFirstsOfSecond, lockFirsts, lockFirstsOfSecond, lockSecond, retryWhileLinkedMeanwhile } from './locks';
import { type LinkChange, linksChanged } from './refresh';
import type { Link } from './registry';
import { insertColumns, insertValues, type LinkInput, missing, noun, unnestLinks } from './writes';

// Bulk writes of one second-end node's links (link.ends[1]): many first-end nodes in one
// transaction, with one statement per kind of write (insert, update, delete) whatever the length
// of the list, and the lock order of src/links/locks.ts (the first-end nodes, then the second-end
// node, then links).

type Tx = Prisma.TransactionClient;

/** What a bulk write did to the node's links. */
export interface BulkChange<Row> {
  /** The second-end node's row as locked before the write (counters are read afresh by its pages). */
  node: Row;
  /** Links created. */
  added: number;
  /** Links ended. */
  removed: number;
  /** Links kept whose values changed. */
  updated: number;
  /** Every first-end node whose link to the node was created, ended or changed. */
  changedIds: number[];
  change: LinkChange;
}

/** `heroes` for a team's links to heroes: the first end's nodes in a sentence, plural. */
function plural(link: Link): string {
  return link.ends[1].connection;
}

/**
 * Refuses, before anything reaches the database, a list longer than MAX_BULK or naming a node
 * twice (twice with different values would leave the outcome to the order of the rows).
 */
function checkList(link: Link, ids: readonly number[]): void {
  if (ids.length > maxBulk) {
    throw badInput(`At most ${maxBulk} ${plural(link)} can be listed at once (MAX_BULK); got ${ids.length}`);
  }
  refuseRepeated(link.ends[0].entity.name, ids);
}

/** NOT_FOUND for the second-end node, or for the first listed first-end node that is not among `found`. */
function checkFound<Row>(link: Link, id: number, row: Row | undefined, ids: readonly number[], found: number[]): Row {
  const [first, second] = link.ends;
  if (!row) throw missing(second, id);
  const existing = new Set(found);
  const absent = ids.filter((listed) => !existing.has(listed));
  if (absent.length > 0) {
    const more = absent.length > 1 ? ` (and ${absent.length - 1} more unknown ${plural(link)})` : '';
    throw notFound(`No ${noun(first)} with id ${globalId(first.entity.name, absent[0]!)}${more}`);
  }
  return row;
}

/**
 * Locks the listed first-end nodes, then the second-end node (src/links/locks.ts), and checks that
 * all exist: after it, none of them can be deleted and no one else writes the node's links until
 * the transaction ends.
 */
async function lockForAdding<Row>(tx: Tx, link: Link, id: number, ids: readonly number[]): Promise<Row> {
  const found = await lockFirsts(tx, link, ids);
  return checkFound(link, id, await lockSecond<Row>(tx, link, id), ids, found);
}

/**
 * Inserts the links that do not exist yet, leaving existing ones exactly as they are. Both ends are
 * locked: no one else can insert, change or remove these links meanwhile.
 */
async function insertNew(tx: Tx, link: Link, id: number, links: readonly LinkInput[]): Promise<number[]> {
  if (links.length === 0) return [];
  const [first, second] = link.ends;
  const ends = { [second.field]: Prisma.sql`${id}`, [first.field]: Prisma.sql`m.${first.column}` };
  const values = link.values.map((column) => Prisma.raw(`m."${column.field}"`));
  const rows = await tx.$queryRaw<Record<string, number>[]>`
    INSERT INTO ${link.table} (${insertColumns(link)})
    SELECT ${insertValues(link, ends, values)}
    FROM ${unnestLinks(link, first, links)}
    ON CONFLICT (${Prisma.join(link.key, ', ')}) DO NOTHING
    RETURNING ${first.returning}`;
  return rows.map((row) => row[first.field]!);
}

function done<Row>(
  link: Link,
  id: number,
  node: Row,
  counts: Omit<BulkChange<Row>, 'node' | 'change'>,
): BulkChange<Row> {
  return { node, ...counts, change: linksChanged(link, counts.changedIds, [id]) };
}

/**
 * Links the first-end nodes to the node; links that exist are left as they are. All or nothing: an
 * unknown node writes nothing.
 */
export async function addToSecond<Row>(link: Link, id: number, links: readonly LinkInput[]): Promise<BulkChange<Row>> {
  const ids = links.map((l) => l.id);
  checkList(link, ids);
  return prisma.$transaction(async (tx) => {
    const node = await lockForAdding<Row>(tx, link, id, ids);
    const added = await insertNew(tx, link, id, links);
    return done(link, id, node, { added: added.length, removed: 0, updated: 0, changedIds: added });
  });
}

/**
 * Ends the links of the first-end nodes to the node; nodes that are not linked are ignored. The
 * listed first-end nodes are locked first (their counters change), then the node, before any link
 * (src/links/locks.ts). An unknown node writes nothing.
 */
export async function removeFromSecond<Row>(link: Link, id: number, ids: readonly number[]): Promise<BulkChange<Row>> {
  checkList(link, ids);
  const [first, second] = link.ends;
  return prisma.$transaction(async (tx) => {
    const found = await lockFirsts(tx, link, ids);
    const node = checkFound(link, id, await lockSecond<Row>(tx, link, id), ids, found);
    if (ids.length === 0) return done(link, id, node, { added: 0, removed: 0, updated: 0, changedIds: [] });
    const removed = await tx.$queryRaw<Record<string, number>[]>`
      DELETE FROM ${link.table} WHERE ${second.column} = ${id} AND ${first.column} = ANY(${ids}::int[])
      RETURNING ${first.returning}`;
    const removedIds = removed.map((row) => row[first.field]!);
    return done(link, id, node, { added: 0, removed: removedIds.length, updated: 0, changedIds: removedIds });
  });
}

/**
 * Makes the node's links exactly the list: ends the others, creates the new ones and sets the
 * values where they differ, keeping the rest of the links that stay (when they began). An empty
 * list ends them all. All or nothing: an unknown node writes nothing.
 */
export async function replaceLinksOfSecond<Row>(
  link: Link,
  id: number,
  links: readonly LinkInput[],
): Promise<BulkChange<Row>> {
  const ids = links.map((l) => l.id);
  checkList(link, ids);
  const [first, second] = link.ends;
  return retryWhileLinkedMeanwhile(() =>
    prisma.$transaction(async (tx) => {
      // The first-end nodes the node keeps or gains, and those it may drop (its members now), are
      // locked before the node: the counters of those it drops change too (src/links/locks.ts).
      const found = await lockFirstsOfSecond(tx, link, id, ids, 'FOR UPDATE');
      const node = checkFound(link, id, await lockSecond<Row>(tx, link, id), ids, found);
      await checkFirstsOfSecond(tx, link, id, found);
      const removed = await tx.$queryRaw<Record<string, number>[]>`
      DELETE FROM ${link.table} WHERE ${second.column} = ${id} AND ${first.column} <> ALL(${ids}::int[])
      RETURNING ${first.returning}`;
      // Only rows whose values differ are written, so `updated` counts real changes and the others
      // keep their row as it is.
      const differ = Prisma.join(
        link.values.map((column) => Prisma.raw(`l.${column.sql} <> m."${column.field}"`)),
        ' OR ',
      );
      const updated =
        links.length === 0 || link.values.length === 0
          ? []
          : await tx.$queryRaw<Record<string, number>[]>`
            UPDATE ${link.table} l SET ${Prisma.join(
              link.values.map((column) => Prisma.raw(`${column.sql} = m."${column.field}"`)),
              ', ',
            )}
            FROM ${unnestLinks(link, first, links)}
            WHERE l.${second.column} = ${id} AND l.${first.column} = m.${first.column} AND ${link.values.length > 1 ? Prisma.sql`(${differ})` : differ}
            RETURNING l.${first.returning}`;
      const added = await insertNew(tx, link, id, links);
      const changedIds = [...removed, ...updated].map((row) => row[first.field]!).concat(added);
      return done(link, id, node, {
        added: added.length,
        removed: removed.length,
        updated: updated.length,
        changedIds,
      });
    }),
  );
}
