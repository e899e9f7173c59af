#!/usr/bin/env node
// `prisma generate` offline: the CLI wants a native schema-engine binary before any command, and
// downloading it fails where only the npm registry is reachable. Generate itself never runs it,
// so any existing file satisfies the check.
//
// It runs as `postinstall` too. A production install (`npm ci --omit=dev`) has no Prisma CLI (a
// devDependency); there the client was generated and compiled into dist/ by `npm run build`, so
// nothing is left to do. The CLI's progress lines are kept for a failure, so that a good install
// prints its summary and one line.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
let cli;
try {
  cli = require.resolve('prisma/build/index.js', { paths: [root] });
} catch {
  const built = existsSync(path.join(root, 'dist/src/generated/prisma/client.js'));
  console.log(
    built
      ? 'No Prisma CLI (a production install): the client built into dist/ is used.'
      : 'No Prisma CLI (a production install) and no dist/: run `npm run build` where devDependencies are installed.',
  );
  process.exit(0);
}

const bin = path.join(root, 'node_modules/.bin');
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', PATH: `${bin}${path.delimiter}${process.env.PATH}` };
env.PRISMA_SCHEMA_ENGINE_BINARY ||= __filename;
const result = spawnSync(process.execPath, [cli, 'generate', ...process.argv.slice(2)], {
  cwd: root,
  env,
  encoding: 'utf8',
});
if (result.status !== 0) {
  process.stdout.write(result.stdout ?? '');
  process.stderr.write(result.stderr ?? '');
  if (result.error) console.error(result.error);
  process.exit(result.status ?? 1);
}
console.log('Generated Prisma Client and the Pothos types into src/generated/ (prisma generate).');
