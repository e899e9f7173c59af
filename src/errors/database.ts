// What the database layer says of a failure that is the database's absence (src/db/failures.ts
// classifies the errors): named here, below every layer that answers or counts them.

/**
 * - unreachable: no connection could be had (refused, no route, no name, the connect timeout,
 *   the server starting up or shutting down, out of connection slots): nothing was sent.
 * - lost: the connection broke while in use (cut, reset, the session terminated by an
 *   administrator or by a crash of another backend, no answer in time): what was sent may or may
 *   not have run.
 * - read_only: the server takes no writes (a standby, a demoted primary, default_transaction_read_only).
 * - storage: the server cannot write its files (disk full, files gone, an I/O error).
 * - stopped: the embedded database stopped after a PANIC and answers nothing until restarted.
 */
export type DatabaseFailure = 'unreachable' | 'lost' | 'read_only' | 'storage' | 'stopped';

export const databaseFailures: readonly DatabaseFailure[] = ['unreachable', 'lost', 'read_only', 'storage', 'stopped'];
