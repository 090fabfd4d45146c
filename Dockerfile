# The Shroud image: `shroud` as the entrypoint (`docker build -t ghcr.io/shroud-dev/shroud:0.1.0 .`).
# The final stage holds the compiled dist/, production dependencies, bin/shroud.js and the
# built-in policies: no TypeScript, tests, dev dependencies or npm cache. test/manifests/
# image-steps.test.ts runs these steps outside a container.
ARG NODE_VERSION=24

# 1. Compile with the dev dependencies (TypeScript).
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. Production dependencies only, exactly as the lockfile says; no install scripts...
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# ...but one: pkcs11js (the pkcs11 KEK provider, HSMs over PKCS#11) is a native addon, built
# here with a compiler this stage has and the final stage does not; its object files stay here.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
 && npm rebuild pkcs11js --foreground-scripts \
 && rm -rf node_modules/pkcs11js/build/Release/obj.target node_modules/pkcs11js/build/Release/.deps \
 && rm -rf /var/lib/apt/lists/* /root/.npm /root/.cache

# 3. What runs.
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin/shroud.js ./bin/shroud.js
COPY --from=build /src/dist ./dist
COPY policies/*.yaml policies/schema.json ./policies/
COPY proto/kms/v2/api.proto ./proto/kms/v2/
RUN ln -s /app/bin/shroud.js /usr/local/bin/shroud
# Numeric, so the kubelet can check runAsNonRoot; the manifests run as the same user.
USER 65532:65532
EXPOSE 8443 9090
ENTRYPOINT ["node", "/app/bin/shroud.js"]
CMD ["help"]
