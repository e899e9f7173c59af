import { Client, Pool } from 'pg';
import { applyMigrations, postgresMigrationFactory } from '../src/db/migrations';
import { databaseUrl, defaultAdminUrl, defaultDatabaseName } from './dataset-names';

export { databaseUrl, defaultAdminUrl, defaultDatabaseName };

// The benchmark's data set (see bench/README.md), loaded into PostgreSQL with set-based
// SQL. Every value comes from md5 of a fixed seed and the row's id, so two loads of the same scale
// hold identical rows, on any machine.
//
// Scale S (a multiple of 10, at least 200, so that Q2 finds 20 teams of 50 heroes):
//   - heroes 1..S and teams 1..S/10; hero h belongs to the 5 teams ((h - 1 + k * ⌊S/50⌋) mod S/10) + 1
//     for k = 0..4: distinct for each hero, and every team gets exactly 50 heroes (5 * S links);
//   - team S/10 + 1, "Giant", holds GIANT_SIZE heroes: heroes 1..min(S, GIANT_SIZE) (who are therefore
//     in 6 teams) and, when S < GIANT_SIZE, extra heroes S + 1..GIANT_SIZE that belong to no other team;
//   - a third of the links (md5-based) have isTraining = true; one hero in 8 has no age;
//   - every link's joinedAt is a whole second of 2021-2025 (md5-based), so a team's newest members
//     are spread over its whole list, as memberships made over years would be.

export const GIANT_SIZE = 100_000;
export const TEAM_SIZE = 50;
export const TEAMS_PER_HERO = 5;
/** Changes whenever the rows generated for a scale change, so cached data sets are reloaded. */
const GENERATOR_VERSION = 3;
const SEED = 'heroes-bench-seed-1';

export interface DatasetShape {
  scale: number;
  heroes: number;
  teams: number;
  links: number;
  giantTeamId: number;
  giantSize: number;
  /** A team with exactly 50 heroes, for comparison with the giant one. */
  normalTeamId: number;
  /** How many teams hero 1..100 are in: 5, plus the giant team. */
  teamsOfFirstHeroes: number;
  /** A hero in several teams, half-way through the heroes of teams of 50 who are in the Giant team too. */
  normalHeroId: number;
  /** How many teams that hero is in: its 5 of 50 heroes, plus the Giant team (the last by id). */
  teamsOfNormalHero: number;
}

export interface Dataset extends DatasetShape {
  database: string;
  url: string;
  checksum: string;
  /** False when the database already held this data set and nothing was loaded. */
  loaded: boolean;
  ms: number;
}

export function datasetShape(scale: number): DatasetShape {
  if (!Number.isInteger(scale) || scale < 200 || scale % 10 !== 0 || scale > 10_000_000) {
    throw new Error(`The scale must be a multiple of 10 between 200 and 10,000,000, got ${scale}`);
  }
  const teams = scale / 10;
  return {
    scale,
    heroes: Math.max(scale, GIANT_SIZE),
    teams: teams + 1,
    links: TEAMS_PER_HERO * scale + GIANT_SIZE,
    giantTeamId: teams + 1,
    giantSize: GIANT_SIZE,
    normalTeamId: 1,
    teamsOfFirstHeroes: TEAMS_PER_HERO + 1,
    normalHeroId: Math.min(scale, GIANT_SIZE) / 2,
    teamsOfNormalHero: TEAMS_PER_HERO + 1,
  };
}

/** An unsigned 32-bit pseudo-random number (as SQL), fixed by the seed, a stream name and a key. */
function rnd(stream: string, key: string): string {
  return `(('x' || substr(md5('${SEED}:${stream}:' || ${key}), 1, 8))::bit(32)::bigint)`;
}

function pick(words: readonly string[], stream: string, key: string): string {
  const list = words.map((word) => `'${word.replace(/'/g, "''")}'`).join(', ');
  return `(ARRAY[${list}])[1 + ${rnd(stream, key)} % ${words.length}]`;
}

const prefixes = ['Captain', 'Doctor', 'Iron', 'Silver', 'Night', 'Black', 'Rusty', 'Spider', 'Shadow', 'Thunder'];
const nouns = ['Falcon', 'Lion', 'Wasp', 'Hawk', 'Comet', 'Panther', 'Viper', 'Mole', 'Storm', 'Owl', 'Fox', 'Moth'];
const firstNames = ['Dive', 'Tommy', 'Pedro', 'Natalia', 'Trevor', 'Steve', 'Esteban', 'Ana', 'Lena', 'Omar', 'Yuki'];
const lastNames = ['Wilson', 'Sharp', 'Parqueador', 'Roman-on', 'Challa', 'Weird', 'Rogelios', 'Okafor', 'Berg'];
const teamWords = ['Preventers', 'Force', 'League', 'Squad', 'Guard', 'Legion', 'Society', 'Patrol', 'Corps'];
const places = ['Sharp Tower', "Sister Margaret's Bar", 'Harbor Base', 'Moon Station', 'Old Mill', 'Sky Deck'];

/** The statements that load the data set of `scale` into a migrated database (PostgreSQL or PGlite). */
export function loadStatements(scale: number): string[] {
  const { teams, giantTeamId } = datasetShape(scale);
  const normalTeams = teams - 1;
  const stride = Math.floor(normalTeams / TEAMS_PER_HERO);
  const heroes = Math.max(scale, GIANT_SIZE);
  const training = `${rnd('training', `h || ':' || t`)} % 3 = 0`;
  const joinedAt = `timestamptz '2021-01-01 00:00:00+00' + (${rnd('joined', `h || ':' || t`)} % (5 * 365 * 86400)) * interval '1 second'`;
  return [
    'TRUNCATE "HeroTeamLink", "Hero", "Team" RESTART IDENTITY',
    `INSERT INTO "Team" (id, name, headquarters)
     SELECT t, ${pick(prefixes, 'team-name', 't')} || ' ' || ${pick(teamWords, 'team-word', 't')} || ' ' || t,
            ${pick(places, 'team-hq', 't')}
     FROM generate_series(1, ${normalTeams}) t
     UNION ALL SELECT ${giantTeamId}, 'Giant', 'Everywhere'`,
    `INSERT INTO "Hero" (id, name, "secretName", age)
     SELECT h, ${pick(prefixes, 'hero-prefix', 'h')} || ' ' || ${pick(nouns, 'hero-noun', 'h')},
            ${pick(firstNames, 'hero-first', 'h')} || ' ' || ${pick(lastNames, 'hero-last', 'h')},
            CASE WHEN ${rnd('hero-age', 'h')} % 8 = 0 THEN NULL ELSE 16 + ${rnd('hero-age', 'h')} / 8 % 70 END
     FROM generate_series(1, ${heroes}) h`,
    // Inserted hero by hero, as an application would add memberships, not clustered by team.
    `INSERT INTO "HeroTeamLink" ("teamId", "heroId", "isTraining", "joinedAt")
     SELECT t, h, ${training}, ${joinedAt}
     FROM (
       SELECT h, ((h - 1 + k * ${stride}) % ${normalTeams}) + 1 AS t, k
       FROM generate_series(1, ${scale}) h CROSS JOIN generate_series(0, ${TEAMS_PER_HERO - 1}) k
       UNION ALL
       SELECT h, ${giantTeamId}, ${TEAMS_PER_HERO} FROM generate_series(1, ${GIANT_SIZE}) h
     ) m
     ORDER BY h, k`,
    `SELECT setval(pg_get_serial_sequence('"Hero"', 'id'), ${heroes})`,
    `SELECT setval(pg_get_serial_sequence('"Team"', 'id'), ${giantTeamId})`,
  ];
}

// Order-independent, cheap (a fraction of a second at S = 100,000), and the same for the same rows.
/** Row counts and a checksum of the rows: the same for the same rows, on PostgreSQL and on PGlite. */
export const contentSql = `
  SELECT (SELECT count(*) FROM "Hero")::int AS heroes,
         (SELECT count(*) FROM "Team")::int AS teams,
         (SELECT count(*) FROM "HeroTeamLink")::int AS links,
         md5(concat_ws(',',
           (SELECT sum(('x' || substr(md5(concat_ws('|', id, name, "secretName", age)), 1, 8))::bit(32)::bigint) FROM "Hero"),
           (SELECT sum(('x' || substr(md5(concat_ws('|', id, name, headquarters)), 1, 8))::bit(32)::bigint) FROM "Team"),
           (SELECT sum(('x' || substr(md5(concat_ws('|', "teamId", "heroId", "isTraining", extract(epoch FROM "joinedAt"))), 1, 8))::bit(32)::bigint)
            FROM "HeroTeamLink"))) AS checksum`;

export interface Content {
  heroes: number;
  teams: number;
  links: number;
  checksum: string;
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<boolean> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount) return false;
    await admin.query(`CREATE DATABASE "${database}"`);
    return true;
  } finally {
    await admin.end();
  }
}

async function migrate(url: string): Promise<string[]> {
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    return await applyMigrations(postgresMigrationFactory(pool));
  } finally {
    await pool.end();
  }
}

/** What a loaded data set records about its generator: a change of generator or scale reloads it. */
export function datasetFingerprint(scale: number): string {
  return JSON.stringify({ version: GENERATOR_VERSION, seed: SEED, scale, giant: GIANT_SIZE });
}

/** Whether the counted content is that of `shape` and of the recorded checksum. */
export function sameContent(content: Content, shape: DatasetShape, checksum: string): boolean {
  return (
    content.heroes === shape.heroes &&
    content.teams === shape.teams &&
    content.links === shape.links &&
    content.checksum === checksum
  );
}

export interface EnsureOptions {
  scale: number;
  /** Defaults to heroes_bench_<scale>. */
  database?: string;
  /** A URL of the server; its `postgres` database is used to create the bench database. */
  adminUrl?: string;
  /** Reload even when the database already holds this data set. */
  force?: boolean;
  log?: (line: string) => void;
}

/** Makes `database` hold exactly the data set of `scale`, loading it only when it does not already. */
export async function ensureDataset(options: EnsureOptions): Promise<Dataset> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const shape = datasetShape(options.scale);
  const database = options.database ?? defaultDatabaseName(options.scale);
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new Error(`Unsupported database name "${database}"`);
  const adminUrl = databaseUrl(options.adminUrl ?? process.env.BENCH_DATABASE_URL ?? defaultAdminUrl, 'postgres');
  const url = databaseUrl(adminUrl, database);

  if (await createDatabaseIfMissing(adminUrl, database)) log(`created database ${database}`);
  const applied = await migrate(url);
  if (applied.length > 0) log(`applied migrations to ${database}: ${applied.join(', ')}`);

  const fingerprint = datasetFingerprint(shape.scale);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS bench`);
    await client.query(`CREATE TABLE IF NOT EXISTS bench.dataset (
      fingerprint text NOT NULL, checksum text NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())`);
    const marker = await client.query<{ fingerprint: string; checksum: string }>(
      'SELECT fingerprint, checksum FROM bench.dataset',
    );
    const recorded = marker.rows[0];
    if (!options.force && applied.length === 0 && recorded?.fingerprint === fingerprint) {
      const content = (await client.query<Content>(contentSql)).rows[0]!;
      if (sameContent(content, shape, recorded.checksum)) {
        const ms = Math.round(performance.now() - started);
        log(
          `${database}: data set S=${shape.scale} already loaded (${content.heroes} heroes, ${content.teams} teams, ` +
            `${content.links} links, checksum ${content.checksum}); checked in ${ms} ms`,
        );
        return { ...shape, database, url, checksum: content.checksum, loaded: false, ms };
      }
      log(`${database}: rows differ from the recorded data set, reloading`);
    }

    const loadStarted = performance.now();
    await client.query('BEGIN');
    try {
      await client.query('DELETE FROM bench.dataset');
      for (const statement of loadStatements(shape.scale)) await client.query(statement);
      const content = (await client.query<Content>(contentSql)).rows[0]!;
      if (content.heroes !== shape.heroes || content.teams !== shape.teams || content.links !== shape.links) {
        throw new Error(`Loaded ${JSON.stringify(content)}, expected ${JSON.stringify(shape)}`);
      }
      await client.query('INSERT INTO bench.dataset (fingerprint, checksum) VALUES ($1, $2)', [
        fingerprint,
        content.checksum,
      ]);
      await client.query('COMMIT');
      // VACUUM too, not only ANALYZE: it sets the visibility map, so index-only scans (the count of
      // a team's heroes) are index-only from the first run on, instead of changing whenever
      // autovacuum happens to get to the freshly loaded tables.
      await client.query('VACUUM (FREEZE, ANALYZE) "Hero", "Team", "HeroTeamLink"');
      const ms = Math.round(performance.now() - started);
      log(
        `${database}: loaded data set S=${shape.scale}: ${content.heroes} heroes, ${content.teams} teams ` +
          `(team ${shape.giantTeamId} "Giant" with ${GIANT_SIZE} heroes), ${content.links} links, ` +
          `checksum ${content.checksum}, in ${Math.round(performance.now() - loadStarted)} ms (${ms} ms in all)`,
      );
      return { ...shape, database, url, checksum: content.checksum, loaded: true, ms };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  } finally {
    await client.end();
  }
}

function parseArgs(argv: string[]): EnsureOptions {
  const options: EnsureOptions = { scale: 10_000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--scale') options.scale = Number(value());
    else if (arg === '--database') options.database = value();
    else if (arg === '--force') options.force = true;
    else if (arg === '--help') {
      console.log('Usage: tsx bench/dataset.ts [--scale 10000] [--database heroes_bench_10000] [--force]');
      console.log(`Server: BENCH_DATABASE_URL (default ${defaultAdminUrl})`);
      process.exit(0);
    } else throw new Error(`Unknown option ${arg}`);
  }
  return options;
}

if (require.main === module) {
  ensureDataset({ ...parseArgs(process.argv.slice(2)), log: (line) => console.log(line) }).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
