// Runs before each test file's modules load: points the server's config at this file's database.
declare const DATABASE_MODE: 'pglite' | 'postgresql';

if (DATABASE_MODE === 'postgresql') {
  const url = new URL(process.env.TEST_DATABASE_URL!);
  const name = `heroes_test_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  url.pathname = `/${name}`;
  process.env.DATABASE_URL = url.toString();
  process.env.TEST_DATABASE_NAME = name;
  process.env.PG_POOL_MAX = '5';
} else {
  delete process.env.DATABASE_URL;
  process.env.DATA_DIR = 'memory://';
}
process.env.NODE_ENV = 'test';
// Tests send hundreds of operations at once on purpose (test/concurrency.test.ts) to check what
// the writes do to each other: shedding them would test nothing. test/load-shedding.test.ts and
// test/slow-clients.test.ts start servers with their own bounds.
process.env.MAX_OPERATIONS_IN_FLIGHT = '100000';
process.env.MAX_OPERATIONS_PER_CLIENT = '100000';
process.env.PG_POOL_MAX_WAITING = '100000';
process.env.MAX_COST_IN_FLIGHT = '1000000000';
// Nor may their statements be refused for waiting long for PGlite's one connection, or for a
// pooled one, while hundreds of them queue there on a busy machine.
process.env.PG_CONNECT_TIMEOUT_MS = '60000';
// A busy test machine can deschedule a server process for longer than the default bound, and a
// Jest worker's heap holds every test module it has loaded; test/process-pressure.test.ts sets
// its own bounds.
process.env.MAX_EVENT_LOOP_DELAY_MS = '0';
process.env.MAX_MEMORY_MB = '0';
