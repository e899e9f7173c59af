// The layers of src/, each importing only the ones below it (npm run check:layers; run by
// scripts/check-layers.ts, test/layers.test.ts shows that it fails). From the ground up:
//   config          the environment, read once
//   errors          the client-facing codes (their status, their Retry-After) and the errors made of them
//   ops             the log, the metrics, the accounting of requests and their statements
//   db              the database: pools, prepared statements, PGlite, replicas, reads, migrations
//   links           the generic link layer: loaders, pages, filters, writes, lock order (src/links,
//                   and src/ids.ts); the heroes-teams link is declared in src/schema/registry.ts
//   access          who calls, what they may run
//   http            the Node server, admission, health, the processes
//   graphql         Yoga, the Pothos builder, the context, the plugins
//   schema          the API's types
//   realtime        subscriptions (used by the schema's and served by Yoga and WebSocket)
// and src/server.ts on top, which nothing imports.
const links = '^src/links/|^src/ids[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No module imports itself back through others, type-only imports included.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'config-imports-nothing',
      comment: 'src/config.ts is the ground floor: it imports nothing of the project.',
      severity: 'error',
      from: { path: '^src/config[.]ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'errors-import-nothing-above',
      comment: 'The catalogue of error codes imports nothing of the project but itself.',
      severity: 'error',
      from: { path: '^src/errors/' },
      to: { path: '^src/', pathNot: '^src/errors/' },
    },
    {
      name: 'ops-imports-only-config',
      comment: 'ops (log, metrics, request accounting) imports only config and the error codes, and itself.',
      severity: 'error',
      from: { path: '^src/ops/' },
      to: { path: '^src/', pathNot: '^src/(ops/|config[.]ts$|errors/)' },
    },
    {
      name: 'db-stays-below',
      comment: 'db never imports graphql, schema, http, links or realtime: it exposes, the layers above subscribe.',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: `^src/(graphql|schema|http|realtime|access)/|${links}` },
    },
    {
      name: 'schema-never-imports-http',
      comment: 'The API types know nothing of the HTTP server.',
      severity: 'error',
      from: { path: '^src/schema/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'links-stay-below-the-api',
      comment: 'The loaders and writes know nothing of the schema, GraphQL or HTTP.',
      severity: 'error',
      from: { path: links },
      to: { path: '^src/(schema|graphql|http)/' },
    },
    {
      name: 'nothing-imports-the-entry-point',
      comment: 'src/server.ts starts the server: importing it would start one.',
      severity: 'error',
      from: {},
      to: { path: '^src/server[.]ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    // Type-only imports count: a cycle through types is a cycle of the design.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
