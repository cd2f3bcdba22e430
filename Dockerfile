# spiderd image: a build stage compiles TypeScript and generates the Prisma client, a
# slim runtime stage carries only package.json, production node_modules, dist/src and the
# migrations. Build: `docker build -t spiderd .`  Run: see docker-compose.yml.

# ---- build ------------------------------------------------------------------------
# Node 22: one of the lines CI runs the suite on (.ci/run: 20, 22 and 24).
FROM node:22-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so the layer is cached while only sources change.
COPY package.json package-lock.json ./
# prisma/ and the build inputs must be present before `npm ci`: its `prepare` script runs
# `npm run build` (scripts/prisma-generate.mjs + tsc). Prisma's own install scripts are
# denied in package.json "allowScripts"; generate does not need them.
COPY tsconfig.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
COPY test ./test
RUN npm ci --no-audit --no-fund \
 && test -f dist/src/bin/spiderd.js \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----------------------------------------------------------------------
FROM node:22-bookworm-slim AS runtime
# tini as PID 1 (rather than compose's `init: true`): it is part of the image, so the
# behaviour is the same under `docker run`, compose, Kubernetes or any other runner. It
# forwards SIGTERM/SIGINT to node (which drains: stop taking jobs, finish in-flight pages,
# close) and reaps any orphaned crawler process if the supervisor dies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    SPIDERD_SNAPSHOT_DIR=/var/lib/spiderd/snapshots
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist/src ./dist/src
COPY --from=build --chown=root:root /app/prisma/migrations ./prisma/migrations
# Heap snapshots and profiles are written here; the only writable path the app needs.
RUN mkdir -p /var/lib/spiderd/snapshots && chown -R node:node /var/lib/spiderd
VOLUME ["/var/lib/spiderd/snapshots"]
# The image's unprivileged user (uid 1000); the code and node_modules stay root-owned.
USER node
# SIGTERM starts the graceful drain; a second signal forces it (see README).
STOPSIGNAL SIGTERM
# Exec form: tini execs node directly (no shell in between to swallow signals).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/src/bin/spiderd.js"]
CMD ["start"]
