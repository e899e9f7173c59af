-- AlterTable
ALTER TABLE "Team" ADD COLUMN "heroCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "trainingHeroCount" INTEGER NOT NULL DEFAULT 0;

-- Team."heroCount" and Team."trainingHeroCount" follow HeroTeamLink through statement-level
-- triggers, whoever writes the links (the API, the seed, a bulk load, a cascade from a deleted
-- hero or team). Each statement adds its net change per team; the teams' rows are locked in id
-- order first, so two statements touching the same teams wait for each other instead of
-- deadlocking.
CREATE FUNCTION "HeroTeamLink_count_heroes"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  team_ids int[];
  totals int[];
  trainings int[];
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE "Team" SET "heroCount" = 0, "trainingHeroCount" = 0
    WHERE "heroCount" <> 0 OR "trainingHeroCount" <> 0;
    RETURN NULL;
  END IF;

  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(d."teamId" ORDER BY d."teamId"), array_agg(d.total ORDER BY d."teamId"),
           array_agg(d.training ORDER BY d."teamId")
    INTO team_ids, totals, trainings
    FROM (SELECT "teamId", count(*)::int AS total, count(*) FILTER (WHERE "isTraining")::int AS training
          FROM new_links GROUP BY 1) d;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(d."teamId" ORDER BY d."teamId"), array_agg(d.total ORDER BY d."teamId"),
           array_agg(d.training ORDER BY d."teamId")
    INTO team_ids, totals, trainings
    FROM (SELECT "teamId", -count(*)::int AS total, -count(*) FILTER (WHERE "isTraining")::int AS training
          FROM old_links GROUP BY 1) d;
  ELSE
    SELECT array_agg(d."teamId" ORDER BY d."teamId"), array_agg(d.total ORDER BY d."teamId"),
           array_agg(d.training ORDER BY d."teamId")
    INTO team_ids, totals, trainings
    FROM (SELECT c."teamId", sum(c.total)::int AS total, sum(c.training)::int AS training
          FROM (SELECT "teamId", 1 AS total, "isTraining"::int AS training FROM new_links
                UNION ALL
                SELECT "teamId", -1, -"isTraining"::int FROM old_links) c
          GROUP BY 1
          HAVING sum(c.total) <> 0 OR sum(c.training) <> 0) d;
  END IF;

  IF team_ids IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM "Team" WHERE id = ANY(team_ids) ORDER BY id FOR NO KEY UPDATE;
  UPDATE "Team" t
  SET "heroCount" = t."heroCount" + d.total, "trainingHeroCount" = t."trainingHeroCount" + d.training
  FROM unnest(team_ids, totals, trainings) AS d(id, total, training)
  WHERE t.id = d.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER "HeroTeamLink_count_heroes_insert" AFTER INSERT ON "HeroTeamLink"
  REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION "HeroTeamLink_count_heroes"();
CREATE TRIGGER "HeroTeamLink_count_heroes_update" AFTER UPDATE ON "HeroTeamLink"
  REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION "HeroTeamLink_count_heroes"();
CREATE TRIGGER "HeroTeamLink_count_heroes_delete" AFTER DELETE ON "HeroTeamLink"
  REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT EXECUTE FUNCTION "HeroTeamLink_count_heroes"();
CREATE TRIGGER "HeroTeamLink_count_heroes_truncate" AFTER TRUNCATE ON "HeroTeamLink"
  FOR EACH STATEMENT EXECUTE FUNCTION "HeroTeamLink_count_heroes"();

-- A team whose id changes takes its links along (ON UPDATE CASCADE), and the cascade's update of
-- the links adds them to the new id: the counters start again from zero for it.
CREATE FUNCTION "Team_reset_hero_counts"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW."heroCount" := 0;
  NEW."trainingHeroCount" := 0;
  RETURN NEW;
END
$$;

CREATE TRIGGER "Team_reset_hero_counts" BEFORE UPDATE OF id ON "Team"
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION "Team_reset_hero_counts"();

-- The links that exist already.
UPDATE "Team" t
SET "heroCount" = c.total, "trainingHeroCount" = c.training
FROM (SELECT "teamId", count(*)::int AS total, count(*) FILTER (WHERE "isTraining")::int AS training
      FROM "HeroTeamLink" GROUP BY 1) c
WHERE t.id = c."teamId";
