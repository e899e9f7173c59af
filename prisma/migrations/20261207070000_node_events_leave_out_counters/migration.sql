-- The change log's function of node events (20261207_change_log), with the hero's counter left out
-- of the comparison as the teams' are (20261207_hero_team_count had done so for the NOTIFY form it
-- replaced): an update of "teamCount" alone, which every membership change makes through the
-- links' trigger, is no event of the hero; the membership has its own.
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
      WHERE to_jsonb(n) - 'heroCount' - 'trainingHeroCount' - 'teamCount'
            IS DISTINCT FROM to_jsonb(o) - 'heroCount' - 'trainingHeroCount' - 'teamCount'
      ORDER BY n.id));
    PERFORM "heroes_log_changes"(t || 'C', ARRAY(
      SELECT n.id FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id) ORDER BY n.id));
  END IF;
  RETURN NULL;
END
$$;
