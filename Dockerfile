# syntax=docker/dockerfile:1
# Hotline: one image for every role. The command picks the role:
#   api (default) | worker | migrate | start (migrate + api + worker in one process)
# TypeScript runs as is through tsx (a runtime dependency); there is no build step.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- Production dependencies only -----------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# --- Runtime ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Files stay owned by root: the `node` user can read them but not change them.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY migrations ./migrations
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/cli.ts", "api"]
