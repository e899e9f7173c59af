-- Change events for subscriptions (src/realtime/): statement-level triggers on the three tables
-- send what each statement changed with NOTIFY on the channel "heroes_changes", whoever wrote it
-- (the API on any server process, the seed, a bulk load, psql, a cascade from a deleted hero or
-- team). NOTIFY is delivered when the transaction commits, and not at all when it rolls back.
--
-- A payload is compact JSON, {"s":<n>,"k":"<kind>","r":[...]}, under NOTIFY's 8,000-byte limit:
--   k  LA, LU, LR (HeroTeamLink added, updated, removed): r = [heroId, teamId, isTraining 0/1, ...],
--      at most 250 links per notification (24 characters each at most);
--      HC, HU, HD / TC, TU, TD (Hero / Team created, updated, deleted): r = [id, ...], at most 500.
--   s  numbers the transaction's notifications from 1: PostgreSQL delivers two identical payloads
--      of one transaction once, and a link added, removed and added again must give three events.
-- A statement of 1,000 links gives 4 notifications. TRUNCATE gives none: it has no rows to report
-- (README, Realtime).
CREATE FUNCTION "heroes_notify_changes"(kind text, items text[], per_notification int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  total int := coalesce(array_length(items, 1), 0);
  i int := 1;
  seq int;
BEGIN
  WHILE i <= total LOOP
    seq := coalesce(nullif(current_setting('heroes.change_seq', true), ''), '0')::int + 1;
    PERFORM set_config('heroes.change_seq', seq::text, true);
    PERFORM pg_notify('heroes_changes', '{"s":' || seq || ',"k":"' || kind || '","r":['
      || array_to_string(items[i:i + per_notification - 1], ',') || ']}');
    i := i + per_notification;
  END LOOP;
END
$$;

-- A membership whose key changes (an id changed, ON UPDATE CASCADE) is removed and added; one
-- whose row changed otherwise is updated; an update that changed nothing is no event.
CREATE FUNCTION "HeroTeamLink_notify_changes"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM "heroes_notify_changes"('LA', ARRAY(
      SELECT "heroId" || ',' || "teamId" || ',' || "isTraining"::int FROM new_links ORDER BY "teamId", "heroId"), 250);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM "heroes_notify_changes"('LR', ARRAY(
      SELECT "heroId" || ',' || "teamId" || ',' || "isTraining"::int FROM old_links ORDER BY "teamId", "heroId"), 250);
  ELSE
    PERFORM "heroes_notify_changes"('LR', ARRAY(
      SELECT o."heroId" || ',' || o."teamId" || ',' || o."isTraining"::int FROM old_links o
      WHERE NOT EXISTS (SELECT 1 FROM new_links n WHERE n."heroId" = o."heroId" AND n."teamId" = o."teamId")
      ORDER BY o."teamId", o."heroId"), 250);
    PERFORM "heroes_notify_changes"('LU', ARRAY(
      SELECT n."heroId" || ',' || n."teamId" || ',' || n."isTraining"::int
      FROM new_links n JOIN old_links o ON o."heroId" = n."heroId" AND o."teamId" = n."teamId"
      WHERE to_jsonb(n) IS DISTINCT FROM to_jsonb(o)
      ORDER BY n."teamId", n."heroId"), 250);
    PERFORM "heroes_notify_changes"('LA', ARRAY(
      SELECT n."heroId" || ',' || n."teamId" || ',' || n."isTraining"::int FROM new_links n
      WHERE NOT EXISTS (SELECT 1 FROM old_links o WHERE o."heroId" = n."heroId" AND o."teamId" = n."teamId")
      ORDER BY n."teamId", n."heroId"), 250);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "HeroTeamLink_notify_changes_insert" AFTER INSERT ON "HeroTeamLink"
  REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION "HeroTeamLink_notify_changes"();
CREATE TRIGGER "HeroTeamLink_notify_changes_update" AFTER UPDATE ON "HeroTeamLink"
  REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION "HeroTeamLink_notify_changes"();
CREATE TRIGGER "HeroTeamLink_notify_changes_delete" AFTER DELETE ON "HeroTeamLink"
  REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT EXECUTE FUNCTION "HeroTeamLink_notify_changes"();

-- Heroes and teams; TG_ARGV[0] is H or T. A team's counters (kept by the triggers of
-- team_hero_counts on every membership change) are not the team's own fields: an update of them
-- alone is no event of the team, the memberships have theirs.
CREATE FUNCTION "node_notify_changes"() RETURNS trigger
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
      WHERE to_jsonb(n) - 'heroCount' - 'trainingHeroCount' IS DISTINCT FROM to_jsonb(o) - 'heroCount' - 'trainingHeroCount'
      ORDER BY n.id), 500);
    PERFORM "heroes_notify_changes"(t || 'C', ARRAY(
      SELECT n.id::text FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id) ORDER BY n.id), 500);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Hero_notify_changes_insert" AFTER INSERT ON "Hero"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "node_notify_changes"('H');
CREATE TRIGGER "Hero_notify_changes_update" AFTER UPDATE ON "Hero"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "node_notify_changes"('H');
CREATE TRIGGER "Hero_notify_changes_delete" AFTER DELETE ON "Hero"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "node_notify_changes"('H');
CREATE TRIGGER "Team_notify_changes_insert" AFTER INSERT ON "Team"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "node_notify_changes"('T');
CREATE TRIGGER "Team_notify_changes_update" AFTER UPDATE ON "Team"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "node_notify_changes"('T');
CREATE TRIGGER "Team_notify_changes_delete" AFTER DELETE ON "Team"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "node_notify_changes"('T');
