# The nexus API image: built by `nexus deploy` (on the host or locally), run by docker-compose.prod.yml.
# Base images are build arguments so that a mirror or an offline image can stand in for Docker Hub.
ARG BUILD_IMAGE=node:20-bookworm-slim
ARG RUNTIME_IMAGE=node:20-bookworm-slim

FROM ${BUILD_IMAGE} AS build
# An npm registry mirror (build.args.NPM_REGISTRY in nexus.yml); empty: npm's own registry. No .npmrc is copied.
ARG NPM_REGISTRY=
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own "prepare" would build before the sources are here.
RUN npm ci --no-audit --no-fund --ignore-scripts ${NPM_REGISTRY:+--registry "$NPM_REGISTRY"}
COPY tsconfig.json tsconfig.build.json knexfile.ts ./
COPY api ./api
COPY cli ./cli
COPY db ./db
RUN npx tsc -p tsconfig.build.json && npx oclif manifest && npm prune --omit=dev --ignore-scripts

FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="nexus-api" org.opencontainers.image.source="https://example.invalid/nexus"
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000 MEDIA_ROOT=/app/media
WORKDIR /app
COPY --from=build /app/package.json /app/oclif.manifest.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY templates ./templates
# Uploaded images are the only thing the app writes; everything else stays root-owned and read-only to it.
# /tmp is the usual 1777 whatever the base image has: the worker's heartbeat file goes there (a tmpfs in
# docker-compose.prod.yml, which takes this mode). The user gets a passwd entry (appended, so any base image
# works): the CLI in the image (migrations) asks the OS who it runs as.
RUN mkdir -p /app/media /tmp && chown 10001:10001 /app/media && chmod 1777 /tmp \
  && echo 'nexus:x:10001:10001:nexus:/app:/sbin/nologin' >> /etc/passwd \
  && echo 'nexus:x:10001:' >> /etc/group
USER 10001:10001
EXPOSE 8000
# Unhealthy after a minute without an answer (6 × 10 s), which also covers the start-up.
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/liveness/').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/api/server.js"]
