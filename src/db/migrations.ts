import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  DriverAdapterError,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { DatabaseError, Pool } from 'pg';
import type * as SchemaEngineWasm from '@prisma/schema-engine-wasm';
import { openPGlite, pgliteAdapterFactory } from './pglite';

/**
 * The driver adapter factory migrations need on PostgreSQL, over a pool of one connection (the
 * engine keeps its advisory lock on it). @prisma/adapter-pg 7.10 runs a migration script split at
 * every ';' (its executeScript), which cuts a PL/pgSQL body, or a comment holding a ';', into
 * broken statements. PostgreSQL takes the
 * whole script as one simple query, as psql and Prisma's native engine send it, and runs it in one
 * implicit transaction: a migration that fails leaves nothing behind.
 */
export function postgresMigrationFactory(pool: Pool): SqlMigrationAwareDriverAdapterFactory {
  const factory = new PrismaPg(pool);
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      adapter.executeScript = async (script) => {
        try {
          await pool.query(script);
        } catch (error) {
          const e = error as DatabaseError;
          throw new DriverAdapterError({
            kind: 'postgres',
            code: e.code ?? 'N/A',
            severity: e.severity ?? 'N/A',
            message: e.message,
            detail: e.detail,
            column: e.column,
            hint: e.hint,
          });
        }
      };
      return adapter;
    },
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
}

// Prisma's schema engine compiled to WebAssembly: migrations without the native binary that the
// Prisma CLI would download. The package entry imports the .wasm
// the way bundlers do, so it is instantiated by hand here.
type Wasm = typeof SchemaEngineWasm;

/** The folder holding package.json, whether this file runs from src/ (tsx) or dist/src/ (built). */
function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

export const prismaDir = path.join(projectRoot(), 'prisma');
export const schemaPath = path.join(prismaDir, 'schema.prisma');
export const migrationsDir = path.join(prismaDir, 'migrations');

const noFilters = { externalTables: [], externalEnums: [] };

// lib.dom is left out of tsconfig, so the one WebAssembly call used is declared here.
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }>;
};

let wasmModule: Promise<Wasm> | undefined;

// The engine leaves a 10-second timer behind after every command, which keeps a finished CLI
// (or a test worker) alive; its timers are tracked so they can be cleared once it is freed.
const engineTimers = new Set<NodeJS.Timeout>();

function loadWasm(): Promise<Wasm> {
  wasmModule ??= (async () => {
    const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bg = require(bgPath) as Wasm & { __wbg_set_wasm(exports: unknown): void };
    const imports: Record<string, unknown> = { ...bg };
    for (const name of Object.keys(bg).filter((key) => key.startsWith('__wbg_setTimeout_'))) {
      imports[name] = (callback: () => void, ms: number) => {
        const timer = setTimeout(() => {
          engineTimers.delete(timer);
          callback();
        }, ms >>> 0);
        engineTimers.add(timer);
        return timer;
      };
    }
    const bytes = readFileSync(path.join(path.dirname(bgPath), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return bg;
  })();
  return wasmModule;
}

/**
 * The engine build (a prisma-engines commit) of the WebAssembly schema engine, as it reports it:
 * test/dependencies.test.ts holds it equal to the Prisma CLI's and the client's engine.
 */
export async function schemaEngineVersion(): Promise<string> {
  return (await loadWasm()).version();
}

function readSchema(): { path: string; content: string } {
  return { path: schemaPath, content: readFileSync(schemaPath, 'utf8') };
}

function closeEngine(engine: SchemaEngineWasm.SchemaEngine): void {
  engine.free();
  for (const timer of engineTimers) clearTimeout(timer);
  engineTimers.clear();
}

async function openEngine(factory: SqlMigrationAwareDriverAdapterFactory): Promise<SchemaEngineWasm.SchemaEngine> {
  const wasm = await loadWasm();
  const schema = readSchema();
  const log = (line: string) => {
    if (process.env.DEBUG_SCHEMA_ENGINE) console.error(line);
  };
  return wasm.SchemaEngine.new(
    { datamodels: [[schema.path, schema.content]] },
    log,
    bindMigrationAwareSqlAdapterFactory(factory),
  );
}

/** The migrations on disk, in the shape the schema engine reads (as `prisma migrate` builds it). */
export function readMigrations(dir = migrationsDir): SchemaEngineWasm.MigrationList {
  const lockPath = path.join(dir, 'migration_lock.toml');
  const names = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort()
    : [];
  return {
    baseDir: dir,
    lockfile: {
      path: 'migration_lock.toml',
      content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: names.map((name) => {
      const file = path.join(dir, name, 'migration.sql');
      return {
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: existsSync(file)
            ? { tag: 'ok' as const, value: readFileSync(file, 'utf8') }
            : { tag: 'error' as const, value: `${file} is missing` },
        },
      };
    }),
  };
}

/**
 * Applies pending migrations and records them in `_prisma_migrations`, as `prisma migrate deploy`
 * does. Returns the names of the migrations it applied (from `dir`, by default prisma/migrations).
 */
export async function applyMigrations(
  factory: SqlMigrationAwareDriverAdapterFactory,
  dir = migrationsDir,
): Promise<string[]> {
  const engine = await openEngine(factory);
  try {
    const result = await engine.applyMigrations({ migrationsList: readMigrations(dir), filters: noFilters });
    return result.appliedMigrationNames;
  } finally {
    closeEngine(engine);
  }
}

/**
 * The SQL that would bring a database holding every migration in `dir` to what schema.prisma
 * describes; empty when they agree. The migrations are applied first to `database`, or, by default,
 * to a scratch in-memory PGlite that plays the part of Prisma's shadow database.
 */
export async function diffMigrationsToSchema(
  options: { database?: SqlMigrationAwareDriverAdapterFactory; dir?: string } = {},
): Promise<string> {
  // Opened here (src/db/pglite.ts requires PGlite when called): the server, which only applies
  // migrations, never loads PGlite for them.
  const scratch = options.database ? undefined : openPGlite();
  const engine = await openEngine(options.database ?? pgliteAdapterFactory(scratch!));
  try {
    await engine.applyMigrations({ migrationsList: readMigrations(options.dir), filters: noFilters });
    const schema = readSchema();
    const result = await engine.diff({
      from: { tag: 'schemaDatasource', files: [schema], configDir: prismaDir },
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: true,
      exitCode: null,
      filters: noFilters,
    });
    return stripEmptyScript(result.stdout ?? '');
  } finally {
    closeEngine(engine);
    await scratch?.close();
  }
}

function stripEmptyScript(sql: string): string {
  return sql.includes('This is an empty migration') ? '' : sql.trim() ? sql : '';
}
