-- The change log (src/realtime/change-log.ts, docs/realtime.md): what every statement changed in
-- HeroTeamLink, Hero and Team, written by triggers in the transaction of the change, whoever wrote
-- it (the API, bulk writes, plain SQL, a cascade). It replaces the payloads of change_events: the
-- same statement-level triggers now append to "ChangeLog" instead of sending NOTIFY payloads, and
-- NOTIFY only wakes the readers, which read the log. So a reader that missed a notification (its
-- LISTEN connection was lost, the server restarted, a client was away) loses nothing: it reads the
-- log from where it was.
--
-- Order. Positions must be in commit order: a reader that has read up to position p must never
-- later find a transaction with a position below p. A sequence value taken when the rows are
-- written is not: a transaction may take 6, another 7 and commit first; a reader of "> 6" after 7
-- would skip 6 for ever. The usual answer, reading only what transactions older than the oldest
-- one in progress wrote (pg_snapshot_xmin(pg_current_snapshot())), is gap-free but orders by
-- transaction id, i.e. by when a transaction began writing, not by when it committed: transaction
-- A (xid 100) inserts a hero, B (xid 101) adds the membership 1/1 and commits, then A removes 1/1
-- and commits; by xid the log says REMOVED then ADDED, and a subscriber would believe 1/1 exists.
-- So the position is taken at commit instead: a deferred constraint trigger on "ChangeLog" fires
-- once per transaction as it commits, takes a transaction-level advisory lock and inserts the
-- transaction's "ChangeCommit" row (the position from its sequence, committedAt). The lock is
-- released only after the commit is visible (PostgreSQL releases locks after it marks the
-- transaction committed), so the next transaction takes the next position only once the previous
-- one is visible: positions become visible in increasing order, and `position > cursor` read in any
-- snapshot never skips one. A transaction that aborts after taking a position leaves a gap, never
-- a later row. The price: the commits of logging transactions take turns for the time of the
-- trigger and the commit itself (its WAL flush); their statements still run concurrently.
--
-- Rows: "ChangeLog" holds one row per statement and kind (xid, seq within the transaction, kind,
-- rows as in change_events but unchunked: no payload limit in a table); "ChangeCommit" one per
-- transaction. Retention (CHANGE_LOG_RETENTION) is enforced by the servers (pruneChangeLog): they
-- delete the oldest transactions, which no writer touches, so pruning blocks no writer.
-- TRUNCATE is still not logged (docs/realtime.md).

-- CreateTable
CREATE TABLE "ChangeCommit" (
    "position" BIGSERIAL NOT NULL,
    "xid" BIGINT NOT NULL,
    "committedAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChangeCommit_pkey" PRIMARY KEY ("position")
);

-- CreateTable
CREATE TABLE "ChangeLog" (
    "xid" BIGINT NOT NULL,
    "seq" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "rows" INTEGER[],

    CONSTRAINT "ChangeLog_pkey" PRIMARY KEY ("xid","seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "ChangeCommit_xid_key" ON "ChangeCommit"("xid");

-- Appends one statement's changes of one kind; seq numbers the transaction's log rows (a
-- transaction-local setting, undone with a rolled-back savepoint as the row is).
CREATE FUNCTION "heroes_log_changes"(kind text, items int[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  seq int;
BEGIN
  IF coalesce(array_length(items, 1), 0) = 0 THEN
    RETURN;
  END IF;
  seq := coalesce(nullif(current_setting('heroes.change_seq', true), ''), '0')::int + 1;
  PERFORM set_config('heroes.change_seq', seq::text, true);
  INSERT INTO "ChangeLog" ("xid", "seq", "kind", "rows")
  VALUES (pg_current_xact_id()::text::bigint, seq, kind, items);
END
$$;

-- At commit, once per transaction that logged anything: its position, in commit order (above).
-- The advisory lock's key is a constant of this log's own.
CREATE FUNCTION "ChangeLog_commit"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  pos bigint;
BEGIN
  IF current_setting('heroes.change_committed', true) = 'yes' THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('heroes.change_committed', 'yes', true);
  PERFORM pg_advisory_xact_lock(7522537011516325889);
  INSERT INTO "ChangeCommit" ("xid", "committedAt")
  VALUES (pg_current_xact_id()::text::bigint, clock_timestamp())
  RETURNING "position" INTO pos;
  -- Only a wake-up: the readers read the log (the payload is the position, for the curious).
  PERFORM pg_notify('heroes_changes', pos::text);
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER "ChangeLog_commit" AFTER INSERT ON "ChangeLog"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "ChangeLog_commit"();

-- The triggers of change_events keep their names and tables; their functions now log. Same
-- events as before: a membership whose key changes is removed and added, one whose row changed
-- otherwise is updated, an update that changed nothing is none.
CREATE OR REPLACE FUNCTION "HeroTeamLink_notify_changes"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM "heroes_log_changes"('LA', (SELECT array_agg(v ORDER BY n."teamId", n."heroId", k) FROM new_links n,
      unnest(ARRAY[n."heroId", n."teamId", n."isTraining"::int]) WITH ORDINALITY u(v, k)));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM "heroes_log_changes"('LR', (SELECT array_agg(v ORDER BY o."teamId", o."heroId", k) FROM old_links o,
      unnest(ARRAY[o."heroId", o."teamId", o."isTraining"::int]) WITH ORDINALITY u(v, k)));
  ELSE
    PERFORM "heroes_log_changes"('LR', (SELECT array_agg(v ORDER BY o."teamId", o."heroId", k) FROM old_links o,
      unnest(ARRAY[o."heroId", o."teamId", o."isTraining"::int]) WITH ORDINALITY u(v, k)
      WHERE NOT EXISTS (SELECT 1 FROM new_links n WHERE n."heroId" = o."heroId" AND n."teamId" = o."teamId")));
    PERFORM "heroes_log_changes"('LU', (SELECT array_agg(v ORDER BY n."teamId", n."heroId", k)
      FROM new_links n JOIN old_links o ON o."heroId" = n."heroId" AND o."teamId" = n."teamId",
      unnest(ARRAY[n."heroId", n."teamId", n."isTraining"::int]) WITH ORDINALITY u(v, k)
      WHERE to_jsonb(n) IS DISTINCT FROM to_jsonb(o)));
    PERFORM "heroes_log_changes"('LA', (SELECT array_agg(v ORDER BY n."teamId", n."heroId", k) FROM new_links n,
      unnest(ARRAY[n."heroId", n."teamId", n."isTraining"::int]) WITH ORDINALITY u(v, k)
      WHERE NOT EXISTS (SELECT 1 FROM old_links o WHERE o."heroId" = n."heroId" AND o."teamId" = n."teamId")));
  END IF;
  RETURN NULL;
END
$$;

-- Heroes and teams; TG_ARGV[0] is H or T. A team's counters are not its own fields (change_events).
CREATE OR REPLACE FUNCTION "node_notify_changes"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  t text := TG_ARGV[0];
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM "heroes_log_changes"(t || 'C', ARRAY(SELECT n.id FROM new_rows n ORDER BY n.id));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM "heroes_log_changes"(t || 'D', ARRAY(SELECT o.id FROM old_rows o ORDER BY o.id));
  ELSE
    PERFORM "heroes_log_changes"(t || 'D', ARRAY(
      SELECT o.id FROM old_rows o WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id) ORDER BY o.id));
    PERFORM "heroes_log_changes"(t || 'U', ARRAY(
      SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE to_jsonb(n) - 'heroCount' - 'trainingHeroCount' IS DISTINCT FROM to_jsonb(o) - 'heroCount' - 'trainingHeroCount'
      ORDER BY n.id));
    PERFORM "heroes_log_changes"(t || 'C', ARRAY(
      SELECT n.id FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id) ORDER BY n.id));
  END IF;
  RETURN NULL;
END
$$;

DROP FUNCTION "heroes_notify_changes"(text, text[], int);
