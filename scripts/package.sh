#!/usr/bin/env bash
# `npm run package [-- <file.tgz>]`: builds (`npm run build`: the Prisma client generated, then
# compiled with the server into dist/) and writes a tarball of what a production host needs:
# package.json and package-lock.json (for `npm ci --omit=dev`), dist/, prisma/ (the schema and the
# migrations the server applies at start) and scripts/prisma-generate.js (the `postinstall`, which
# does nothing there). On the host: unpack, `npm ci --omit=dev`, `npm run start:prod`. .ci/run
# does exactly that from a fresh folder. npm pack would leave package-lock.json out.
set -euo pipefail
cd "$(dirname "$0")/.."

name=$(node -p "require('./package.json').name")
out=$(realpath -m "${1:-$name.tgz}")

npm run build --silent
tar -czf "$out" --transform "s,^,$name/," \
  package.json package-lock.json .env.example scripts/prisma-generate.js prisma/schema.prisma prisma/migrations dist
echo "Wrote $out ($(du -h "$out" | cut -f1)): unpack, then in $name/: npm ci --omit=dev --legacy-peer-deps && npm run start:prod"
