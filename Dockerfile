# keyward: the ext_authz (9001) and ext_proc (9002) gRPC services and the admin HTTP (9000).
# Build: docker build -t keyward:0.1.0 .   Run: see docker-compose.yml.

# Build stage: the TypeScript compiler is a dev dependency; only dist/ leaves this stage.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY proto ./proto
COPY src ./src
RUN npm run build

FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so a source change does not reinstall them (prepare skips the build: no compiler).
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --omit=dev && npm cache clean --force

COPY bin ./bin
COPY proto ./proto
COPY --from=build /app/dist ./dist

# The config is mounted here; secrets arrive as files under /run/secrets or as environment variables.
RUN mkdir -p /etc/keyward && chown node:node /etc/keyward
USER node

EXPOSE 9000 9001 9002
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/keyward.js", "serve", "--config", "/etc/keyward/keyward.yaml"]
