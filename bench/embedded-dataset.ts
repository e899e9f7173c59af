import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { DataFolderLock } from '../src/db/data-folder-lock';
import { applyMigrations } from '../src/db/migrations';
import { openPGlite, pgliteAdapterFactory } from '../src/db/pglite';
import {
  type Content,
  contentSql,
  type DatasetShape,
  datasetFingerprint,
  datasetShape,
  GIANT_SIZE,
  loadStatements,
  sameContent,
} from './dataset';

// The bench's data set (bench/dataset.ts: the same generator, the same statements, the same rows)
// in a PGlite data folder, for `npm run bench -- --embedded`: the embedded database `npm start`
// runs on. A folder per scale, kept between runs under BENCH_PGLITE_DIR (default
// node_modules/.cache/heroes-bench, git-ignored), each with the marker table the PostgreSQL bench
// databases have (bench.dataset): a later run that finds the same generator, the expected row
// counts and the same checksum skips the load; a change of the generator or of the migrations
// reloads it.

const root = path.resolve(__dirname, '..');

/** The folder that keeps the PGlite data set of `scale`. */
export function embeddedDataDir(scale: number): string {
  const parent = path.resolve(
    process.env.BENCH_PGLITE_DIR ?? path.join(root, 'node_modules', '.cache', 'heroes-bench'),
  );
  return path.join(parent, `pglite-${scale}`);
}

export interface EmbeddedDataset extends DatasetShape {
  /** The data folder, DATA_DIR of the server that runs on it. */
  dataDir: string;
  checksum: string;
  /** False when the folder already held this data set and nothing was loaded. */
  loaded: boolean;
  /** Time to load (or to find and check) the data set, ms. */
  ms: number;
  /** The folder's size once loaded, MB (du). */
  sizeMb: number | undefined;
}

export interface EnsureEmbeddedOptions {
  scale: number;
  /** Defaults to embeddedDataDir(scale). */
  dataDir?: string;
  /** Reload even when the folder already holds this data set. */
  force?: boolean;
  log?: (line: string) => void;
}

function folderMb(dir: string): number | undefined {
  try {
    return Number(execFileSync('du', ['-sm', dir], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return undefined;
  }
}

async function content(pglite: PGlite): Promise<Content> {
  return (await pglite.query<Content>(contentSql)).rows[0]!;
}

/**
 * Makes the PGlite folder hold exactly the data set of `scale`, migrated with this checkout's
 * migrations, loading it only when it does not already. Takes the folder's lock (as the server
 * does), so a server running on it is refused, not corrupted.
 */
export async function ensureEmbeddedDataset(options: EnsureEmbeddedOptions): Promise<EmbeddedDataset> {
  const dataDir = path.resolve(options.dataDir ?? embeddedDataDir(options.scale));
  const lock = DataFolderLock.acquire(dataDir);
  const pglite = openPGlite(dataDir);
  let dataset: Omit<EmbeddedDataset, 'sizeMb'>;
  try {
    dataset = await ensureIn(pglite, dataDir, options);
  } finally {
    await pglite.close();
    lock.release();
  }
  return { ...dataset, sizeMb: folderMb(dataDir) };
}

async function ensureIn(
  pglite: PGlite,
  dataDir: string,
  options: EnsureEmbeddedOptions,
): Promise<Omit<EmbeddedDataset, 'sizeMb'>> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const shape = datasetShape(options.scale);
  await pglite.waitReady;
  const applied = await applyMigrations(pgliteAdapterFactory(pglite));
  if (applied.length > 0) log(`applied migrations to ${dataDir}: ${applied.join(', ')}`);
  const fingerprint = datasetFingerprint(shape.scale);
  await pglite.exec(`CREATE SCHEMA IF NOT EXISTS bench;
    CREATE TABLE IF NOT EXISTS bench.dataset (
      fingerprint text NOT NULL, checksum text NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())`);
  const recorded = (await pglite.query<{ fingerprint: string; checksum: string }>('SELECT * FROM bench.dataset'))
    .rows[0];
  if (!options.force && applied.length === 0 && recorded?.fingerprint === fingerprint) {
    const found = await content(pglite);
    if (sameContent(found, shape, recorded.checksum)) {
      const ms = Math.round(performance.now() - started);
      log(
        `${dataDir}: data set S=${shape.scale} already loaded (${found.heroes} heroes, ${found.teams} teams, ` +
          `${found.links} links, checksum ${found.checksum}); checked in ${ms} ms`,
      );
      return { ...shape, dataDir, checksum: found.checksum, loaded: false, ms };
    }
    log(`${dataDir}: rows differ from the recorded data set, reloading`);
  }

  log(`${dataDir}: loading data set S=${shape.scale} into PGlite`);
  const loadStarted = performance.now();
  let loaded: Content;
  await pglite.exec('BEGIN');
  try {
    await pglite.exec('DELETE FROM bench.dataset');
    for (const statement of loadStatements(shape.scale)) await pglite.exec(statement);
    loaded = await content(pglite);
    if (loaded.heroes !== shape.heroes || loaded.teams !== shape.teams || loaded.links !== shape.links) {
      throw new Error(`Loaded ${JSON.stringify(loaded)}, expected ${JSON.stringify(shape)}`);
    }
    await pglite.query('INSERT INTO bench.dataset (fingerprint, checksum) VALUES ($1, $2)', [
      fingerprint,
      loaded.checksum,
    ]);
    await pglite.exec('COMMIT');
  } catch (error) {
    await pglite.exec('ROLLBACK').catch(() => {});
    throw error;
  }
  // As on PostgreSQL: the visibility map set and the statistics fresh before anything is measured.
  await pglite.exec('VACUUM (FREEZE, ANALYZE) "Hero", "Team", "HeroTeamLink"');
  // A checkpoint, so that the server's start does not replay the load from the WAL.
  await pglite.exec('CHECKPOINT');
  const ms = Math.round(performance.now() - started);
  log(
    `${dataDir}: loaded data set S=${shape.scale}: ${loaded.heroes} heroes, ${loaded.teams} teams ` +
      `(team ${shape.giantTeamId} "Giant" with ${GIANT_SIZE} heroes), ${loaded.links} links, ` +
      `checksum ${loaded.checksum}, in ${Math.round(performance.now() - loadStarted)} ms (${ms} ms in all)`,
  );
  return { ...shape, dataDir, checksum: loaded.checksum, loaded: true, ms };
}

function parseArgs(argv: string[]): EnsureEmbeddedOptions {
  const options: EnsureEmbeddedOptions = { scale: 10_000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--scale') options.scale = Number(value());
    else if (arg === '--data-dir') options.dataDir = value();
    else if (arg === '--force') options.force = true;
    else if (arg === '--help') {
      console.log('Usage: tsx bench/embedded-dataset.ts [--scale 10000] [--data-dir DIR] [--force]');
      console.log(`Folder: ${embeddedDataDir(10_000)} by default (BENCH_PGLITE_DIR sets its parent)`);
      process.exit(0);
    } else throw new Error(`Unknown option ${arg}`);
  }
  return options;
}

if (require.main === module) {
  ensureEmbeddedDataset({ ...parseArgs(process.argv.slice(2)), log: (line) => console.log(line) }).catch(
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
