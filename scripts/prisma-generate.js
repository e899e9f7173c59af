#!/usr/bin/env node
// `prisma generate` offline: the CLI wants a native schema-engine binary before any command, and
// downloading it fails where only the npm registry is reachable. Generate itself never runs it,
// so any existing file satisfies the check (DESIGN.md, "Facts verified", 1 and 2).
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const bin = path.resolve(__dirname, '../node_modules/.bin');
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', PATH: `${bin}${path.delimiter}${process.env.PATH}` };
env.PRISMA_SCHEMA_ENGINE_BINARY ||= __filename;
const cli = require.resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [cli, 'generate', ...process.argv.slice(2)], {
  cwd: path.resolve(__dirname, '..'),
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
