#!/usr/bin/env bash
# Development only, until the first release: regenerate the single init migration
# from prisma/schema.prisma and the Prisma client. Serialised with flock, because
# several developers' tools may run it at once in one work tree.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/mailroom-migration.lock
flock 9
[ -d tools/prisma-migrate/node_modules ] || npm run -s tools:install
rm -rf prisma/migrations/*_init
node tools/prisma-migrate/new-migration.mjs init
npx prisma generate >/dev/null
