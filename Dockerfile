# The production image, from the tarball `npm run package` writes (the build happens there, where
# devDependencies are installed):
#   npm run package && docker build -t heroes-teams-graphql .
#   docker run -p 4000:4000 -v heroes-data:/data heroes-teams-graphql
# CI has no Docker: .ci/run proves the same steps (unpack, install, start:prod) without it.
FROM node:24-slim
ADD heroes-teams-graphql.tgz /opt/
WORKDIR /opt/heroes-teams-graphql
# --legacy-peer-deps: @prisma/client names the Prisma CLI (and TypeScript) as optional peers, which
# --omit=dev alone would install; the server needs neither (docs/dependencies.md, "A production install").
RUN npm ci --omit=dev --legacy-peer-deps --no-audit --no-fund && npm cache clean --force
ENV DATA_DIR=/data PORT=4000
RUN mkdir /data && chown node:node /data
VOLUME /data
EXPOSE 4000
USER node
CMD ["npm", "run", "start:prod"]
