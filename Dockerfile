# syntax=docker/dockerfile:1
# Hotline: one image for every role. The command picks the role:
#   api (default) | worker | migrate | start (migrate + api + worker in one process)
# The build stage compiles TypeScript into dist/; the runtime stage has production dependencies only (no compiler,
# no tsx) and runs the compiled JavaScript.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- Build: all dependencies, compile to dist/ -----------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY migrations ./migrations
# The build copies the board's page (src/board/public) beside the compiled code.
RUN npm run build

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
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
CMD ["node", "dist/src/cli.js", "api"]
