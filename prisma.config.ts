// Prisma CLI configuration. Only `prisma generate` runs here (see TOOLCHAIN in the
// project docs): migrations are applied by mailroom's own runner (src/db/migrate.ts).
import { defineConfig } from "prisma/config";

// Any existing file skips the schema-engine download, which this project never needs.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= "/bin/false";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://unused@127.0.0.1:5432/unused" },
});
