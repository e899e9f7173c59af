-- AlterTable
ALTER TABLE "Hero" ADD COLUMN     "teamCount" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "Hero_teamCount_id_idx" ON "Hero"("teamCount", "id");

-- CreateIndex
CREATE INDEX "Team_heroCount_id_idx" ON "Team"("heroCount", "id");

-- CreateIndex
CREATE INDEX "Team_trainingHeroCount_id_idx" ON "Team"("trainingHeroCount", "id");

-- Hero."teamCount" follows HeroTeamLink through the same statement-level triggers as the teams'
-- counters (migration team_hero_counts): the function is replaced by one that keeps both, each
-- statement adding its net change per hero and per team. It locks the heroes whose count changes,
-- in id order, before the teams, in id order: the lock order of src/links/locks.ts (heroes, then
-- teams, then links). Every write of the API locks those heroes itself before it takes a team or a
-- link, so here it finds them held already and waits for nothing; a writer of plain SQL meets the
-- same order. A statement that changes only isTraining changes no hero's count and locks no hero.
CREATE OR REPLACE FUNCTION "HeroTeamLink_count_heroes"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  team_ids int[];
  totals int[];
  trainings int[];
  hero_ids int[];
  hero_totals int[];
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE "Hero" SET "teamCount" = 0 WHERE "teamCount" <> 0;
    UPDATE "Team" SET "heroCount" = 0, "trainingHeroCount" = 0
    WHERE "heroCount" <> 0 OR "trainingHeroCount" <> 0;
    RETURN NULL;
  END IF;

  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(d."heroId" ORDER BY d."heroId"), array_agg(d.total ORDER BY d."heroId")
    INTO hero_ids, hero_totals
    FROM (SELECT "heroId", count(*)::int AS total FROM new_links GROUP BY 1) d;
    SELECT array_agg(d."teamId" ORDER BY d."teamId"), array_agg(d.total ORDER BY d."teamId"),
           array_agg(d.training ORDER BY d."teamId")
    INTO team_ids, totals, trainings
    FROM (SELECT "teamId", count(*)::int AS total, count(*) FILTER (WHERE "isTraining")::int AS training
          FROM new_links GROUP BY 1) d;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(d."heroId" ORDER BY d."heroId"), array_agg(d.total ORDER BY d."heroId")
    INTO hero_ids, hero_totals
    FROM (SELECT "heroId", -count(*)::int AS total FROM old_links GROUP BY 1) d;
    SELECT array_agg(d."teamId" ORDER BY d."teamId"), array_agg(d.total ORDER BY d."teamId"),
           array_agg(d.training ORDER BY d."teamId")
    INTO team_ids, totals, trainings
    FROM (SELECT "teamId", -count(*)::int AS total, -count(*) FILTER (WHERE "isTraining")::int AS training
          FROM old_links GROUP BY 1) d;
  ELSE
    SELECT array_agg(d."heroId" ORDER BY d."heroId"), array_agg(d.total ORDER BY d."heroId")
    INTO hero_ids, hero_totals
    FROM (SELECT c."heroId", sum(c.total)::int AS total
          FROM (SELECT "heroId", 1 AS total FROM new_links
                UNION ALL
                SELECT "heroId", -1 FROM old_links) c
          GROUP BY 1
          HAVING sum(c.total) <> 0) d;
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

  IF hero_ids IS NOT NULL THEN
    PERFORM 1 FROM "Hero" WHERE id = ANY(hero_ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE "Hero" h
    SET "teamCount" = h."teamCount" + d.total
    FROM unnest(hero_ids, hero_totals) AS d(id, total)
    WHERE h.id = d.id;
  END IF;
  IF team_ids IS NOT NULL THEN
    PERFORM 1 FROM "Team" WHERE id = ANY(team_ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE "Team" t
    SET "heroCount" = t."heroCount" + d.total, "trainingHeroCount" = t."trainingHeroCount" + d.training
    FROM unnest(team_ids, totals, trainings) AS d(id, total, training)
    WHERE t.id = d.id;
  END IF;
  RETURN NULL;
END
$$;

-- A hero whose id changes takes its links along (ON UPDATE CASCADE), and the cascade's update of
-- the links adds them to the new id: the counter starts again from zero for it, as a team's does.
CREATE FUNCTION "Hero_reset_team_count"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW."teamCount" := 0;
  RETURN NEW;
END
$$;

CREATE TRIGGER "Hero_reset_team_count" BEFORE UPDATE OF id ON "Hero"
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION "Hero_reset_team_count"();

-- The links that exist already.
UPDATE "Hero" h
SET "teamCount" = c.total
FROM (SELECT "heroId", count(*)::int AS total FROM "HeroTeamLink" GROUP BY 1) c
WHERE h.id = c."heroId";

-- A hero's counter, like a team's, is not the hero's own field: an update of it alone is no event
-- of the hero (the memberships have theirs). The function of change_events, with "teamCount"
-- left out of the comparison as the teams' counters are.
CREATE OR REPLACE FUNCTION "node_notify_changes"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  t text := TG_ARGV[0];
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM "heroes_notify_changes"(t || 'C', ARRAY(SELECT n.id::text FROM new_rows n ORDER BY n.id), 500);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM "heroes_notify_changes"(t || 'D', ARRAY(SELECT o.id::text FROM old_rows o ORDER BY o.id), 500);
  ELSE
    PERFORM "heroes_notify_changes"(t || 'D', ARRAY(
      SELECT o.id::text FROM old_rows o WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id) ORDER BY o.id), 500);
    PERFORM "heroes_notify_changes"(t || 'U', ARRAY(
      SELECT n.id::text FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE to_jsonb(n) - 'heroCount' - 'trainingHeroCount' - 'teamCount'
            IS DISTINCT FROM to_jsonb(o) - 'heroCount' - 'trainingHeroCount' - 'teamCount'
      ORDER BY n.id), 500);
    PERFORM "heroes_notify_changes"(t || 'C', ARRAY(
      SELECT n.id::text FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id) ORDER BY n.id), 500);
  END IF;
  RETURN NULL;
END
$$;
