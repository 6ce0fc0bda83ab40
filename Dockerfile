# Restarting is the orchestrator's job: the gateway exits non-zero when it cannot go on (and never
# hangs on the way out), so run it with `docker run --restart unless-stopped …` or, in compose,
# `restart: unless-stopped`; under Kubernetes the pod's restartPolicy does it (readiness: /readyz).
# Multi-stage build: compile TypeScript, then a slim runtime with production dependencies only,
# running as a non-root user. The embedded PostgreSQL needs no root inside the image (it runs as
# the image's user); in production set DATABASE_URL to your managed PostgreSQL instead.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# patches/: the postgres.js fix applied by patch-package in postinstall
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && cp -r src/store/migrations dist/store/migrations

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production DATA_DIR=/var/lib/switchboard PORT=8080 MLLP_PORT=2575
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY fixtures/site-config.example.json ./fixtures/site-config.example.json
RUN groupadd --system switchboard && useradd --system --gid switchboard --home /var/lib/switchboard switchboard \
 && mkdir -p /var/lib/switchboard && chown switchboard:switchboard /var/lib/switchboard
USER switchboard
VOLUME ["/var/lib/switchboard"]
EXPOSE 8080 2575
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/switchboard.js"]
CMD ["serve"]
