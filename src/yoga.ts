import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createYoga, maskError, useReadinessCheck } from 'graphql-yoga';
import { config, limits } from './config';
import { createContext } from './context';
import { prisma } from './db';
import { toClientError, useErrorCodes } from './errors';
import { limitPlugins } from './limits';
import { schema } from './schema';

const defaultQuery = /* GraphQL */ `
  # Heroes with the teams they belong to, through HeroTeamLink.
  query HeroesWithTeams {
    heroes(first: 10, orderBy: { field: NAME }) {
      totalCount
      edges {
        node {
          id
          name
          secretName
          age
          teams(first: 5) {
            totalCount
            edges {
              isTraining
              node {
                id
                name
                headquarters
              }
            }
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

async function databaseAnswers(): Promise<boolean> {
  try {
    await prisma.$queryRaw`SELECT 1`;
    return true;
  } catch {
    return false;
  }
}

export const yoga = createYoga({
  schema,
  context: createContext,
  graphqlEndpoint: '/graphql',
  landingPage: false,
  healthCheckEndpoint: '/live',
  graphiql: config.graphiql ? { title: 'Heroes & Teams', defaultQuery } : false,
  // GraphiQL's own bundle, served inline: the default page would fetch it from a CDN, which
  // machines without internet access (ours, CI) cannot reach.
  renderGraphiQL,
  maskedErrors: {
    isDev: false,
    maskError: (error, message, isDev) => toClientError(error) ?? maskError(error, message, isDev),
  },
  logging: config.production ? 'info' : 'warn',
  // One operation per request: batching would multiply every limit below by the batch size.
  batching: false,
  maxRequestBodySize: limits.bodyBytes,
  plugins: [
    // Browsers may send "simple" GET and form POST requests across sites without a preflight;
    // requiring a custom header (or a JSON body, which is never simple) stops cross-site requests.
    useCSRFPrevention(),
    useErrorCodes(),
    ...limitPlugins(),
    useReadinessCheck({ endpoint: '/health', check: databaseAnswers }),
    useReadinessCheck({ endpoint: '/ready', check: databaseAnswers }),
  ],
});
