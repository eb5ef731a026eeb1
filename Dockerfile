# One image for every nodemesh role: the subcommand picks it
# (proxy, destination, identity, injector, proxy-init, cni).
# The image runs the compiled JavaScript in dist/, never the .ts sources (ARCHITECTURE.md §1);
# the sidecar's entry, dist/proxy/main.js, is bundled with what it imports (ADR 0019).

# --- build: compile TypeScript to JavaScript -------------------------------------------------
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The base image already has Node 24, so the `node` dev dependency's download is skipped.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY proxy ./proxy
COPY controller ./controller
COPY identity ./identity
COPY scripts/bundle-proxy.ts ./scripts/
# The sidecar is bundled into one module (dist/proxy/main.js): ~10 MB less RSS per pod (ADR 0019).
RUN npx tsc -p tsconfig.build.json && node scripts/bundle-proxy.ts dist
# The dashboard's page (`nodemesh dashboard`), built once here: the runtime has no Vite.
COPY dashboard ./dashboard
RUN npx vite build dashboard

# --- runtime: production dependencies and the compiled code only -----------------------------
FROM node:24-slim
# iptables for proxy-init (nft backend by default, legacy also present).
RUN apt-get update \
    && apt-get install -y --no-install-recommends iptables \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/nodemesh
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && rm -rf node_modules/@bufbuild/buf-linux-x64 \
    && npm cache clean --force
COPY --from=build /src/dist ./
COPY --from=build /src/dashboard/dist ./dashboard/dist
# The local mesh's example cluster state (nodemesh demo).
COPY examples ./examples
# The Helm charts: `nodemesh inject` reads the injected proxy's defaults from
# charts/nodemesh-control-plane/values.yaml (ADR 0011), and the charts install from the image too.
COPY charts ./charts
ENV NODE_ENV=production
# One malloc arena: glibc gives each thread that allocates (V8's GC and compiler workers) an arena
# of its own and keeps what they free resident; with one, the proxy under load holds ~9 MB less RSS
# at the same CPU (ADR 0024). The benchmarks run their proxies with these ENV lines too.
ENV MALLOC_ARENA_MAX=1
# The proxy's user: iptables exempts its traffic from redirection by this UID.
USER 2102:2102
ENTRYPOINT ["node", "/opt/nodemesh/bin/nodemesh.js"]
CMD ["--help"]
