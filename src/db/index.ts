// The database layer's public face: what the layers above use of it. Its modules: the pools
// (pools.ts) and their named prepared statements (prepared-statements.ts), the embedded PGlite
// (pglite.ts), read replicas (replica-routing.ts), the database of the process and its Prisma
// Client (client.ts), the loaders' reads (reads.ts) and the statements' events (query-events.ts);
// migrations, the seed, the failures, the write outcome and the data folder's lock.
export {
  adapterFactory,
  beforeCloseDatabase,
  closeDatabase,
  databaseKind,
  listenInProcess,
  openDatabase,
  poolStats,
  prisma,
  replicaStatus,
  startReplicaChecks,
  withMigrationDatabase,
} from './client';
export { followerFor } from './host-list';
export { gatePGlite } from './pglite';
export { requireSynchronousStandby } from './synchronous-standby';
export { readOn, readPrepared, type SendAs, type Values } from './prepared-statements';
export { onQuery, type QueryEvent, type QueryListener } from './query-events';
export { readAside, type ReadOptions, readRows, readValues } from './reads';
export {
  inLog,
  type LogEntry,
  logHead,
  pruneChangeLog,
  readLogAfter,
  replayPage,
  startChangeLogPruning,
} from './change-log';
