import { Prisma } from '../generated/prisma/client';
import { logger } from '../ops/logger';
import { outsideRequest } from '../ops/request-tracking';
import { beforeCloseDatabase } from './client';
import { readValues } from './reads';

// The change log's reads (migration change_log; the readers: src/realtime/change-feed.ts). Each
// logged transaction has a position, taken at its commit under a lock, so positions become visible
// in increasing order (the migration says why a sequence value taken at the write, or reading
// below pg_snapshot_xmin, would not do): reading `position > p` never skips a transaction that
// commits later. Every read here is one statement.

/** One statement's changes of one kind, with its transaction's position and commit time. */
export interface LogEntry {
  /** The transaction's position in commit order. */
  readonly position: number;
  /** When it committed, in ms since the epoch. */
  readonly committedAt: number;
  /** LA, LU, LR (memberships added, updated, removed) or HC, HU, HD, TC, TU, TD (heroes, teams). */
  readonly kind: string;
  /** heroId, teamId, isTraining (0/1) per membership; the ids of heroes or teams. */
  readonly rows: readonly number[];
}

// The transactions of a read, at most `limit` of them, then all their rows: a transaction is never
// split between two reads, so a reader's position is always a whole transaction's.
const entries = (where: Prisma.Sql, limit: number) => Prisma.sql`
  SELECT c."position"::float8 AS "position", (extract(epoch FROM c."committedAt") * 1000)::float8 AS "committedAt",
         l."kind", l."rows"
  FROM (SELECT "position", "xid", "committedAt" FROM "ChangeCommit" WHERE ${where} ORDER BY "position" LIMIT ${limit}) c
  JOIN "ChangeLog" l ON l."xid" = c."xid"
  ORDER BY c."position", l."seq"`;

function toEntries(rows: unknown[][]): LogEntry[] {
  return rows.map(([position, committedAt, kind, values]) => ({
    position: Number(position),
    committedAt: Number(committedAt),
    kind: String(kind),
    rows: ((values as unknown[] | null) ?? []).map(Number),
  }));
}

/** The last position committed and visible now (0 for an empty log): where a reader starts. */
export async function logHead(): Promise<number> {
  const { rows } = await readValues(Prisma.sql`SELECT coalesce(max("position"), 0)::float8 FROM "ChangeCommit"`);
  return Number(rows[0]?.[0] ?? 0);
}

/** The entries of the (at most `limit`) transactions after `position`, in commit order. */
export async function readLogAfter(position: number, limit: number): Promise<LogEntry[]> {
  const { rows } = await readValues(entries(Prisma.sql`"position" > ${position}`, limit));
  return toEntries(rows);
}

/**
 * Whether `position` is still in the log. A cursor names the transaction of the last event its
 * client received, which was in the log then: gone means pruned (older than CHANGE_LOG_RETENTION),
 * and what followed it may be gone too; never there means forged.
 */
export async function inLog(position: number): Promise<boolean> {
  const { rows } = await readValues(
    Prisma.sql`SELECT count(*)::int FROM "ChangeCommit" WHERE "position" = ${position}`,
  );
  return Number(rows[0]?.[0]) === 1;
}

/**
 * A page of a replay: the entries of the transactions from position `from` up to `upTo`, at most
 * `limit` of them, read only if `anchor` (the cursor's transaction, then the last one read) is
 * still in the log in the same snapshot (`anchored`): pruning deletes the oldest first, so then
 * everything after it is still there too.
 */
export async function replayPage(
  anchor: number,
  from: number,
  upTo: number,
  limit: number,
): Promise<{ anchored: boolean; entries: LogEntry[] }> {
  const { rows } = await readValues(Prisma.sql`
    SELECT a.anchored, e.* FROM (SELECT EXISTS (SELECT 1 FROM "ChangeCommit" WHERE "position" = ${anchor}) AS anchored) a
    LEFT JOIN LATERAL (${entries(Prisma.sql`"position" >= ${from} AND "position" <= ${upTo}`, limit)}) e ON a.anchored`);
  const anchored = rows.length > 0 && (rows[0]![0] === true || rows[0]![0] === 't');
  return { anchored, entries: toEntries(rows.filter((row) => row[1] !== null).map((row) => row.slice(1))) };
}

/**
 * Deletes up to `batch` of the oldest transactions committed more than `retentionMs` ago, and their
 * rows; returns how many. Only one server prunes at a time (a try-lock: the others skip their turn),
 * so what is deleted is always the oldest part of the log, and a cursor still in the log has
 * everything after it. Writers never touch these rows nor this lock: pruning blocks none of them.
 */
export async function pruneChangeLog(retentionMs: number, batch = 10_000): Promise<number> {
  const { rows } = await readValues(
    Prisma.sql`
      WITH turn AS (SELECT pg_try_advisory_xact_lock(7522537011516325890) AS mine),
      doomed AS (
        SELECT c."position", c."xid" FROM "ChangeCommit" c, turn
        WHERE turn.mine AND c."committedAt" < now() - make_interval(secs => ${retentionMs / 1000}::float8)
        ORDER BY c."position" LIMIT ${batch}
      ),
      logged AS (DELETE FROM "ChangeLog" l USING doomed d WHERE l."xid" = d."xid"),
      gone AS (DELETE FROM "ChangeCommit" c USING doomed d WHERE c."position" = d."position" RETURNING 1)
      SELECT count(*)::int FROM gone`,
    { planPerValue: true },
  );
  return Number(rows[0]?.[0] ?? 0);
}

/**
 * Prunes the change log every tenth of `retentionMs` (at most every minute), from every server
 * process: whichever holds the turn prunes, the others skip. A backlog is pruned batch after batch.
 * Stops when the database closes.
 */
export function startChangeLogPruning(retentionMs: number): () => void {
  let running = false;
  const prune = async () => {
    if (running) return;
    running = true;
    try {
      let pruned = 0;
      for (let batch = 10_000; batch === 10_000; pruned += batch) {
        batch = await outsideRequest(() => pruneChangeLog(retentionMs, 10_000));
      }
      if (pruned > 0) logger.debug(`Change log: pruned ${pruned} transactions older than ${retentionMs} ms`);
    } catch (error) {
      logger.warn({ err: error }, 'Change log: pruning failed; trying again at the next turn');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void prune(), Math.min(retentionMs / 10, 60_000));
  timer.unref();
  void prune();
  const stop = () => clearInterval(timer);
  beforeCloseDatabase(async () => stop());
  return stop;
}
