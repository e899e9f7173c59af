import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { PoolStats } from '../ops/metrics';
import type { SendAs, Values } from './prepared-statements';
import type { ReadTarget, ReplicaRouter } from './replica-routing';

// What the server needs of its database, PostgreSQL's (src/db/pools.ts) or the embedded PGlite
// (src/db/pglite.ts): src/db/client.ts opens the one DATABASE_URL names.

export interface Database {
  kind: 'postgresql' | 'pglite';
  /**
   * Reads rows straight from a pool, sent as `sendAs` says, on the primary or a read replica
   * (PostgreSQL only).
   */
  read?: (text: string, values: unknown[], sendAs: SendAs, target: ReadTarget) => Promise<Values>;
  /** The pool's connections and waiters (PostgreSQL only). */
  poolStats?: () => PoolStats;
  /** The read replicas (DATABASE_READ_URL): their background checks and their states. */
  replicas?: ReplicaRouter;
  /** Listens on a channel of the embedded database's one session (PGlite only); resolves to its end. */
  listen?: (channel: string, onPayload: (payload: string) => void) => Promise<() => Promise<void>>;
  /** Opens what can be opened before the first query: the embedded database and its folder's lock. */
  open(): void;
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** A factory for the schema engine, with a close of its own (see withMigrationDatabase). */
  forMigrations():
    | { factory: SqlMigrationAwareDriverAdapterFactory; close(): Promise<void> }
    | Promise<{ factory: SqlMigrationAwareDriverAdapterFactory; close(): Promise<void> }>;
  close(): Promise<void>;
}
