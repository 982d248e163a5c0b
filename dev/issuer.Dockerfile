# The dev OIDC issuer of the compose demo (docker-compose.yml service `dev-issuer`), apart from the
# product image: keyward's own image carries no development stand-in. Demos only.
FROM node:20.20.2-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY dev/dev-issuer.ts dev/serve-dev-issuer.ts ./dev/
USER node

EXPOSE 9400
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9400/.well-known/openid-configuration').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "dev/serve-dev-issuer.ts", "--listen", "0.0.0.0:9400", "--issuer", "http://dev-issuer:9400"]
