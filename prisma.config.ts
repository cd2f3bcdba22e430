import { defineConfig } from 'prisma/config';

// Used by the Prisma CLI only (generate, and migrate where the schema engine is available).
// The daemon applies migrations itself: see src/shared/db/migrate.ts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/spiderd' },
});
