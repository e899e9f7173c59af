-- Membership history (docs/api.md, "Membership history"): the periods of every membership, kept by
-- triggers on "HeroTeamLink" in the transaction of the change, whoever wrote it (the API, bulk
-- writes, plain SQL, the cascade of a deleted hero or team). Adding a membership opens a period,
-- removing it ends it, a change of isTraining (or of its key, by plain SQL) ends one and opens the
-- next. The periods keep no foreign key: they outlive their hero and team.
--
-- Periods of one membership never overlap. now() is when the transaction began: a transaction
-- that waited on the link's row lock behind another one would stamp a period that began before
-- the other's ended. The triggers are AFTER statement triggers, so every row lock of the statement
-- is held when they read clock_timestamp(), and a period never begins before the previous one of
-- its membership ended (GREATEST), nor ends before it began. At most one period of a membership is
-- open: a partial unique index, which also finds it for the trigger that ends it.
--
-- Nor does a period begin before its membership's joinedAt (which a plain SQL writer could set
-- ahead): every period of an instant then joined by that instant, a bound that lets a page as of
-- it, newest joined first, start in the index on joinedAt at the instant (src/links/history.ts).

-- CreateTable
CREATE TABLE "MembershipPeriod" (
    "id" SERIAL NOT NULL,
    "teamId" INTEGER NOT NULL,
    "heroId" INTEGER NOT NULL,
    "isTraining" BOOLEAN NOT NULL,
    "joinedAt" TIMESTAMPTZ(3) NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3),

    CONSTRAINT "MembershipPeriod_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "MembershipPeriod_teamId_heroId_startedAt_idx" ON "MembershipPeriod"("teamId", "heroId", "startedAt");

-- CreateIndex
CREATE INDEX "MembershipPeriod_heroId_teamId_startedAt_idx" ON "MembershipPeriod"("heroId", "teamId", "startedAt");

-- CreateIndex
CREATE INDEX "MembershipPeriod_teamId_joinedAt_heroId_idx" ON "MembershipPeriod"("teamId", "joinedAt", "heroId");

-- CreateIndex
CREATE INDEX "MembershipPeriod_heroId_joinedAt_teamId_idx" ON "MembershipPeriod"("heroId", "joinedAt", "teamId");

-- CreateIndex
CREATE INDEX "MembershipPeriod_teamId_startedAt_id_idx" ON "MembershipPeriod"("teamId", "startedAt", "id");

-- CreateIndex
CREATE INDEX "MembershipPeriod_heroId_startedAt_id_idx" ON "MembershipPeriod"("heroId", "startedAt", "id");

-- The open period of each membership: at most one, found by the triggers that end it.
CREATE UNIQUE INDEX "MembershipPeriod_open_key" ON "MembershipPeriod"("heroId", "teamId") WHERE "endedAt" IS NULL;

-- Ends the open periods of the memberships in `ended` that `started` does not hold as they were
-- (same key, same isTraining), then opens one for each membership of `started` that `ended` does
-- not hold as it is: an INSERT passes no `ended`, a DELETE no `started`, an UPDATE both, so an
-- UPDATE that changes nothing the history keeps (joinedAt alone, say) ends and opens nothing.
CREATE FUNCTION "MembershipPeriod_record"(ended "HeroTeamLink"[], started "HeroTeamLink"[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  -- Read once the statement holds its row locks (above): one instant for the whole statement.
  stamp timestamptz := clock_timestamp();
BEGIN
  UPDATE "MembershipPeriod" p
  SET "endedAt" = GREATEST(stamp, p."startedAt")
  FROM unnest(ended) o
  WHERE p."heroId" = o."heroId" AND p."teamId" = o."teamId" AND p."endedAt" IS NULL
    AND NOT EXISTS (
      SELECT 1 FROM unnest(started) n
      WHERE n."heroId" = o."heroId" AND n."teamId" = o."teamId" AND n."isTraining" = o."isTraining");
  INSERT INTO "MembershipPeriod" ("teamId", "heroId", "isTraining", "joinedAt", "startedAt")
  SELECT n."teamId", n."heroId", n."isTraining", n."joinedAt",
         GREATEST(stamp, n."joinedAt", (SELECT max(p."endedAt") FROM "MembershipPeriod" p
                                        WHERE p."heroId" = n."heroId" AND p."teamId" = n."teamId"))
  FROM unnest(started) n
  WHERE NOT EXISTS (
    SELECT 1 FROM unnest(ended) o
    WHERE o."heroId" = n."heroId" AND o."teamId" = n."teamId" AND o."isTraining" = n."isTraining");
END
$$;

CREATE FUNCTION "MembershipPeriod_added"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "MembershipPeriod_record"('{}', ARRAY(SELECT ROW(a.*)::"HeroTeamLink" FROM added a));
  RETURN NULL;
END
$$;

CREATE FUNCTION "MembershipPeriod_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "MembershipPeriod_record"(ARRAY(SELECT ROW(o.*)::"HeroTeamLink" FROM before o), ARRAY(SELECT ROW(n.*)::"HeroTeamLink" FROM after n));
  RETURN NULL;
END
$$;

CREATE FUNCTION "MembershipPeriod_removed"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "MembershipPeriod_record"(ARRAY(SELECT ROW(r.*)::"HeroTeamLink" FROM removed r), '{}');
  RETURN NULL;
END
$$;

CREATE TRIGGER "MembershipPeriod_added" AFTER INSERT ON "HeroTeamLink"
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION "MembershipPeriod_added"();
CREATE TRIGGER "MembershipPeriod_updated" AFTER UPDATE ON "HeroTeamLink"
  REFERENCING OLD TABLE AS before NEW TABLE AS after FOR EACH STATEMENT EXECUTE FUNCTION "MembershipPeriod_updated"();
CREATE TRIGGER "MembershipPeriod_removed" AFTER DELETE ON "HeroTeamLink"
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION "MembershipPeriod_removed"();

-- TRUNCATE removes every membership: their periods end.
CREATE FUNCTION "MembershipPeriod_truncated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "MembershipPeriod" SET "endedAt" = GREATEST(clock_timestamp(), "startedAt") WHERE "endedAt" IS NULL;
  RETURN NULL;
END
$$;

CREATE TRIGGER "MembershipPeriod_truncated" AFTER TRUNCATE ON "HeroTeamLink"
  FOR EACH STATEMENT EXECUTE FUNCTION "MembershipPeriod_truncated"();

-- The memberships that exist: one open period each, begun as they were joined.
INSERT INTO "MembershipPeriod" ("teamId", "heroId", "isTraining", "joinedAt", "startedAt")
SELECT "teamId", "heroId", "isTraining", "joinedAt", "joinedAt" FROM "HeroTeamLink";
