// Runs `prisma generate` where Prisma's native schema engine cannot be downloaded.
// generate does not use that engine, but the CLI insists on finding it first; any
// existing file satisfies the check (see README, "Prisma offline").
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(new URL('../package.json', import.meta.url));
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const r = spawnSync(process.execPath, [fileURLToPath(new URL('../node_modules/prisma/build/index.js', import.meta.url)), 'generate'], { env, stdio: 'inherit' });
process.exit(r.status ?? 1);
