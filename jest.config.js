// The whole suite runs on the embedded PGlite database, and again on PostgreSQL when
// TEST_DATABASE_URL names a server (each test file then gets a database of its own).
const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  // The schema engine's WebAssembly glue and jose are ES modules; everything else in node_modules is not.
  transformIgnorePatterns: ['/node_modules/(?!(@prisma/schema-engine-wasm|jose)/)'],
  setupFiles: ['<rootDir>/test/support/env.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/database.ts'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The bench's peer (npm run bench -- --peer) installs its own node_modules there: not ours to crawl.
  modulePathIgnorePatterns: ['<rootDir>/bench/peer/'],
};

// Cuts and slows a PostgreSQL connection through a proxy: there is no connection to cut in PGlite.
// The load tests hold PostgreSQL sessions on a lock: PGlite has one session and no pool.
// Two server processes cannot share one PGlite database (WEB_CONCURRENCY > 1 refuses it:
// test/data-folder-lock.test.ts), PgBouncer stands in front of PostgreSQL, and read replicas
// are PostgreSQL's streaming replication: the tests start a primary and a standby.
const postgresOnly = [
  'test/faults.test.ts',
  'test/realtime-servers.test.ts',
  'test/replica-routing.test.ts',
  'test/replica-servers.test.ts',
  // The loss of the primary: a primary and a synchronous standby of its own, one killed.
  'test/failover.test.ts',
  'test/load-shedding.test.ts',
  'test/slow-clients.test.ts',
  'test/processes.test.ts',
  'test/pgbouncer.test.ts',
  // The server's named prepared statements: PGlite's reads go through the driver adapter.
  'test/prepared-statements.test.ts',
];

// Without TEST_DATABASE_URL those files, and the PostgreSQL-only blocks of others
// (test/support/postgres-only.ts), run nowhere: say which, and under CI refuse to run at all. Only
// when Jest reads this file: knip (npm run check) reads it too, to find the test files.
if (!process.env.TEST_DATABASE_URL && /jest/.test(process.argv[1] ?? '')) {
  const { readdirSync, readFileSync } = require('node:fs');
  const withBlocks = readdirSync(`${__dirname}/test`)
    .filter((name) => name.endsWith('.test.ts'))
    .filter((name) => /\b(describe|it)OnPostgres\(/.test(readFileSync(`${__dirname}/test/${name}`, 'utf8')))
    .map((name) => `test/${name}`);
  const message =
    `TEST_DATABASE_URL is not set: the PostgreSQL-only files are left out (${postgresOnly.join(', ')}), ` +
    `and the PostgreSQL-only tests of ${withBlocks.join(', ')} are skipped. ` +
    'Set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres (README, "Tests") to run them.';
  if (process.env.CI && !/^(false|0)$/i.test(process.env.CI)) {
    throw new Error(`${message} Under CI (CI is set) no test may be left out.`);
  }
  process.stderr.write(`\n${message}\n\n`);
}

const projects = [
  {
    ...base,
    displayName: 'pglite',
    globals: { DATABASE_MODE: 'pglite' },
    testPathIgnorePatterns: postgresOnly.map((file) => `/${file.replace(/\./g, '\\.')}$`),
  },
];
if (process.env.TEST_DATABASE_URL) {
  projects.push({
    ...base,
    displayName: 'postgresql',
    globals: { DATABASE_MODE: 'postgresql' },
    // Checks of the code itself, not of the database, and of PGlite's data folder, run once: token
    // keys and trusted documents are decided before the database is reached (the role of each
    // mutation, whose refusals must write nothing, runs on both: test/access.test.ts).
    testPathIgnorePatterns: [
      '/test/schema\\.test\\.ts$',
      '/test/markdown-links\\.test\\.ts$',
      '/test/dependencies\\.test\\.ts$',
      '/test/layers\\.test\\.ts$',
      '/test/bench-results\\.test\\.ts$',
      '/test/scripts\\.test\\.ts$',
      '/test/access-keys\\.test\\.ts$',
      // The host list follower as code (its real failover: test/failover.test.ts).
      '/test/host-list\\.test\\.ts$',
      '/test/trusted-documents\\.test\\.ts$',
      '/test/relay\\.test\\.ts$',
      '/test/data-folder-lock\\.test\\.ts$',
      '/test/embedded-outages\\.test\\.ts$',
      '/test/database-failures\\.test\\.ts$',
      // The HTTP conformance audit and GraphiQL in a browser: the protocol and the page, not the database.
      '/test/graphql-over-http\\.test\\.ts$',
      '/test/graphiql\\.test\\.ts$',
      // The answer-size bound of a server process, decided after the database answered.
      '/test/answer-size\\.test\\.ts$',
      // What runs while the process holds too much: decided before the database is reached.
      '/test/small-operations\\.test\\.ts$',
    ],
  });
}

module.exports = { projects, testTimeout: 30_000, maxWorkers: 2 };
