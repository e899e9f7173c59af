import { readRows } from '../db';
import { Prisma } from '../generated/prisma/client';
import type { Entity, Link, LinkSide } from './registry';

// How large the lists a statistic reads can be, for the cost model (src/graphql: the complexity of
// an aggregate's statistics). A statistic reads every row of its list, so its cost is its list's
// size, known before execution only as a bound: the largest counter of the parents' end (the
// biggest team's heroCount, through the (heroCount, id) index: one step down it), or for a root
// list the table's max(id) (one step down the primary key, never below its number of rows).
// Refreshed in the background at most every REFRESH_MS, the cost computed meanwhile from what was
// last read; until the first read, from FALLBACK_ROWS.

const REFRESH_MS = 10_000;
/** The size assumed before the first read: a list this large costs 11. */
const FALLBACK_ROWS = 10_000;
/** Rows of a list one unit of cost stands for. */
export const ROWS_PER_COST = 1000;

interface Known {
  rows: number;
  readAt: number;
  reading: boolean;
}

const known = new Map<string, Known>();

function sizeOf(key: string, read: () => Promise<number>): number {
  let entry = known.get(key);
  if (!entry) {
    entry = { rows: FALLBACK_ROWS, readAt: 0, reading: false };
    known.set(key, entry);
  }
  const now = Date.now();
  if (!entry.reading && now - entry.readAt >= REFRESH_MS) {
    const refreshing = entry;
    refreshing.reading = true;
    read()
      .then((rows) => {
        refreshing.rows = rows;
        refreshing.readAt = Date.now();
      })
      // A failed read (the database away) keeps the last size; the next cost tries again.
      .catch(() => undefined)
      .finally(() => {
        refreshing.reading = false;
      });
  }
  return entry.rows;
}

async function one(query: Prisma.Sql): Promise<number> {
  const [row] = await readRows<{ rows: number | null }>(query);
  return row?.rows ?? 0;
}

/** A bound on the size of the lists of one side of a link: its parents' largest counter, or the link's rows. */
export function largestList(side: LinkSide): number {
  return sizeOf(side.field, () =>
    one(
      side.counters
        ? Prisma.sql`SELECT max(${side.counters.total})::int AS rows FROM ${side.counters.from}`
        : Prisma.sql`SELECT count(*)::int AS rows FROM ${side.link.table}`,
    ),
  );
}

/** A bound on the rows of an entity's table (a root list). */
export function tableRows(entity: Entity): number {
  return sizeOf(entity.name, () => one(Prisma.sql`SELECT max(id)::int AS rows FROM ${entity.table}`));
}

/** The cost of a statistic over lists of at most `rows` rows. */
export function statisticCost(rows: number): number {
  return 1 + Math.ceil(rows / ROWS_PER_COST);
}

/** For tests: forget what was read. */
export function forgetSizes(link?: Link): void {
  if (!link) known.clear();
  else for (const key of [...Object.keys(link.sides), ...Object.keys(link.entities)]) known.delete(key);
}
