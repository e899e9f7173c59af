-- The change log's function of node events (20261207_change_log), in one pass over the statement's
-- old and new rows instead of joins between them, and with the hero's counter left out as the
-- teams' are.
--
-- One pass: a transition table has no index and the planner no statistics of it, and it joined
-- them by nested loops, each row of one read against every row of the other. That never showed
-- while heroes were updated a few at a time; since Hero."teamCount" follows the links
-- (20261207_hero_team_count), one statement adding 100,000 links updates 100,000 heroes at once,
-- and the bench data set's load ran for more than ten minutes in this function. Grouped by id,
-- it is one sort or hash of both.
--
-- The counter: an update of "teamCount" alone, which every membership change makes through the
-- links' trigger, is no event of the hero (the membership has its own); hero_team_count had left
-- it out of the NOTIFY form of this function, which change_log then replaced.
CREATE OR REPLACE FUNCTION "node_notify_changes"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  t text := TG_ARGV[0];
  deleted int[];
  updated int[];
  created int[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM "heroes_log_changes"(t || 'C', ARRAY(SELECT n.id FROM new_rows n ORDER BY n.id));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM "heroes_log_changes"(t || 'D', ARRAY(SELECT o.id FROM old_rows o ORDER BY o.id));
  ELSE
    SELECT coalesce(array_agg(r.id ORDER BY r.id) FILTER (WHERE r.was AND NOT r.is), '{}'),
           coalesce(array_agg(r.id ORDER BY r.id) FILTER (WHERE r.was AND r.is AND r.differs), '{}'),
           coalesce(array_agg(r.id ORDER BY r.id) FILTER (WHERE r.is AND NOT r.was), '{}')
    INTO deleted, updated, created
    FROM (
      SELECT x.id, bool_or(x.new) AS is, bool_or(NOT x.new) AS was,
             min(x.fields::text) IS DISTINCT FROM max(x.fields::text) AS differs
      FROM (
        SELECT n.id, true AS new, to_jsonb(n) - 'heroCount' - 'trainingHeroCount' - 'teamCount' AS fields
        FROM new_rows n
        UNION ALL
        SELECT o.id, false, to_jsonb(o) - 'heroCount' - 'trainingHeroCount' - 'teamCount'
        FROM old_rows o
      ) x
      GROUP BY x.id
    ) r;
    PERFORM "heroes_log_changes"(t || 'D', deleted);
    PERFORM "heroes_log_changes"(t || 'U', updated);
    PERFORM "heroes_log_changes"(t || 'C', created);
  END IF;
  RETURN NULL;
END
$$;
