import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { GraphQLError } from 'graphql';
import { databaseFailure, DatabaseStoppedError, DatabaseUnreachableError, failureDetail } from '../src/db/failures';
import { Prisma } from '../src/generated/prisma/client';
import { isOverload } from '../src/errors';

// The one classification of database failures (src/db/failures.ts), on every wrapping an error
// reaches it in. The faults themselves are made for real in test/faults.test.ts and
// test/embedded-outages.test.ts; this pins the table, including what must stay masked.

/** An error as pg reports PostgreSQL's ErrorResponse. */
const postgres = (code: string, message = 'said', severity = 'ERROR') =>
  Object.assign(new Error(message), { code, severity });

/** The same after @prisma/adapter-pg and Prisma Client wrapped it (a raw query's P2010). */
const throughPrisma = (code: string, message = 'said') =>
  new Prisma.PrismaClientKnownRequestError(`Raw query failed. Code: \`${code}\``, {
    code: 'P2010',
    clientVersion: 'test',
    meta: {
      driverAdapterError: new DriverAdapterError({
        kind: 'postgres',
        code,
        severity: 'ERROR',
        message,
        originalCode: code,
        originalMessage: message,
      } as never),
    },
  });

const socket = (code: string, syscall: string) =>
  Object.assign(new Error(`${syscall} ${code}`), { code, syscall, errno: -1 });

it.each([
  ['57P01 admin shutdown', postgres('57P01', 'terminating connection due to administrator command', 'FATAL'), 'lost'],
  ['57P02 crash shutdown', postgres('57P02'), 'lost'],
  ['57P03 cannot connect now', postgres('57P03', 'the database system is shutting down', 'FATAL'), 'unreachable'],
  ['53300 too many connections', postgres('53300'), 'unreachable'],
  ['08006 connection failure', postgres('08006'), 'lost'],
  ['08001 cannot establish', postgres('08001'), 'unreachable'],
  ['25006 read-only transaction', postgres('25006'), 'read_only'],
  ['53100 disk full', postgres('53100'), 'storage'],
  ['58P01 no such file', postgres('58P01'), 'storage'],
  ['a PANIC of any code', postgres('XX000', 'broken', 'PANIC'), 'lost'],
  ['25006 through Prisma', throughPrisma('25006'), 'read_only'],
  ['57P01 through Prisma', throughPrisma('57P01'), 'lost'],
  [
    'P1001 (DatabaseNotReachable)',
    new Prisma.PrismaClientKnownRequestError("Can't reach database server", {
      code: 'P1001',
      clientVersion: 'test',
      meta: { driverAdapterError: new DriverAdapterError({ kind: 'DatabaseNotReachable' } as never) },
    }),
    'unreachable',
  ],
  ['ConnectionClosed', new DriverAdapterError({ kind: 'ConnectionClosed' } as never), 'lost'],
  ['ECONNREFUSED', socket('ECONNREFUSED', 'connect'), 'unreachable'],
  ['ECONNRESET', socket('ECONNRESET', 'read'), 'lost'],
  ['ETIMEDOUT connecting', socket('ETIMEDOUT', 'connect'), 'unreachable'],
  ['ETIMEDOUT reading', socket('ETIMEDOUT', 'read'), 'lost'],
  ['ENOENT of a Unix socket', socket('ENOENT', 'connect'), 'unreachable'],
  ["pg's cut connection", new Error('Connection terminated unexpectedly'), 'lost'],
  ["pg-pool's connect timeout", new Error('Connection terminated due to connection timeout'), 'unreachable'],
  ["pg's connect timeout", new Error('timeout expired'), 'unreachable'],
  ["pg's query read timeout", new Error('Query read timeout'), 'lost'],
  ['a stopped embedded database', new DatabaseStoppedError('PANIC: x'), 'stopped'],
  ['a pool waiting on an unreachable server', new DatabaseUnreachableError(new Error('x')), 'unreachable'],
  [
    'a GraphQLError holding one',
    new GraphQLError('x', { originalError: new Error('Connection terminated unexpectedly') }),
    'lost',
  ],
])('%s: %s', (_name, error, failure) => {
  expect(databaseFailure(error)).toBe(failure);
});

it.each([
  // The statement's own failures: another attempt meets them too.
  ['23505 unique violation', postgres('23505')],
  ['57014 statement timeout', postgres('57014', 'canceling statement due to statement timeout')],
  ['40001 serialization failure', postgres('40001')],
  ['22P02 bad input', postgres('22P02')],
  ['23505 through Prisma', throughPrisma('23505')],
  // Capacity, not absence: answered OVERLOADED.
  ["pg-pool's wait for a busy connection", new Error('timeout exceeded when trying to connect')],
  // Our bugs.
  ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
  ['a file missing on our side', socket('ENOENT', 'open')],
  ['a string', 'ECONNREFUSED'],
  ['nothing', undefined],
])('%s: none (masked, or answered by its own code)', (_name, error) => {
  expect(databaseFailure(error)).toBeNull();
});

it("a transaction that waited past Prisma's maxWait for its connection is capacity (OVERLOADED), not absence", () => {
  const waited = new Prisma.PrismaClientKnownRequestError(
    'Transaction API error: Unable to start a transaction in the given time.',
    { code: 'P2028', clientVersion: 'test' },
  );
  expect(databaseFailure(waited)).toBeNull();
  expect(isOverload(waited)).toBe(true);
  expect(isOverload(new GraphQLError('x', { originalError: waited }))).toBe(true);
});

it("names what the database said, without the wrappers' words", () => {
  expect(failureDetail(throughPrisma('25006', 'cannot execute INSERT in a read-only transaction'))).toBe(
    '25006 cannot execute INSERT in a read-only transaction',
  );
  expect(failureDetail(socket('ECONNREFUSED', 'connect'))).toBe('ECONNREFUSED connect ECONNREFUSED');
});
