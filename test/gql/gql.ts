/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
  '\n  query Heroes($first: Int, $after: String, $last: Int, $before: String, $where: HeroFilter, $orderBy: HeroOrder) {\n    heroes(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n          age\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n': typeof types.HeroesDocument;
  '\n  query Teams($first: Int, $after: String, $where: TeamFilter, $orderBy: TeamOrder) {\n    teams(first: $first, after: $after, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          headquarters\n        }\n      }\n    }\n  }\n': typeof types.TeamsDocument;
  '\n  query HeroWithTeams($id: ID!, $isTraining: Boolean, $orderBy: TeamOrder, $first: Int, $after: String) {\n    hero(id: $id) {\n      id\n      name\n      secretName\n      age\n      teams(isTraining: $isTraining, orderBy: $orderBy, first: $first, after: $after) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            id\n            name\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n': typeof types.HeroWithTeamsDocument;
  '\n  query TeamWithHeroes($id: ID!, $isTraining: Boolean, $orderBy: HeroOrder, $last: Int, $before: String) {\n    team(id: $id) {\n      name\n      headquarters\n      heroes(isTraining: $isTraining, orderBy: $orderBy, last: $last, before: $before) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            name\n          }\n        }\n        pageInfo {\n          hasPreviousPage\n          startCursor\n        }\n      }\n    }\n  }\n': typeof types.TeamWithHeroesDocument;
  '\n  query Node($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n      ... on Hero {\n        name\n      }\n      ... on Team {\n        headquarters\n      }\n    }\n  }\n': typeof types.NodeDocument;
  '\n  query Nodes($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      __typename\n      id\n    }\n  }\n': typeof types.NodesDocument;
};
const documents: Documents = {
  '\n  query Heroes($first: Int, $after: String, $last: Int, $before: String, $where: HeroFilter, $orderBy: HeroOrder) {\n    heroes(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n          age\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n':
    types.HeroesDocument,
  '\n  query Teams($first: Int, $after: String, $where: TeamFilter, $orderBy: TeamOrder) {\n    teams(first: $first, after: $after, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          headquarters\n        }\n      }\n    }\n  }\n':
    types.TeamsDocument,
  '\n  query HeroWithTeams($id: ID!, $isTraining: Boolean, $orderBy: TeamOrder, $first: Int, $after: String) {\n    hero(id: $id) {\n      id\n      name\n      secretName\n      age\n      teams(isTraining: $isTraining, orderBy: $orderBy, first: $first, after: $after) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            id\n            name\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n':
    types.HeroWithTeamsDocument,
  '\n  query TeamWithHeroes($id: ID!, $isTraining: Boolean, $orderBy: HeroOrder, $last: Int, $before: String) {\n    team(id: $id) {\n      name\n      headquarters\n      heroes(isTraining: $isTraining, orderBy: $orderBy, last: $last, before: $before) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            name\n          }\n        }\n        pageInfo {\n          hasPreviousPage\n          startCursor\n        }\n      }\n    }\n  }\n':
    types.TeamWithHeroesDocument,
  '\n  query Node($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n      ... on Hero {\n        name\n      }\n      ... on Team {\n        headquarters\n      }\n    }\n  }\n':
    types.NodeDocument,
  '\n  query Nodes($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      __typename\n      id\n    }\n  }\n':
    types.NodesDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(
  source: '\n  query Heroes($first: Int, $after: String, $last: Int, $before: String, $where: HeroFilter, $orderBy: HeroOrder) {\n    heroes(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n          age\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n',
): (typeof documents)['\n  query Heroes($first: Int, $after: String, $last: Int, $before: String, $where: HeroFilter, $orderBy: HeroOrder) {\n    heroes(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n          age\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n'];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(
  source: '\n  query Teams($first: Int, $after: String, $where: TeamFilter, $orderBy: TeamOrder) {\n    teams(first: $first, after: $after, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          headquarters\n        }\n      }\n    }\n  }\n',
): (typeof documents)['\n  query Teams($first: Int, $after: String, $where: TeamFilter, $orderBy: TeamOrder) {\n    teams(first: $first, after: $after, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          headquarters\n        }\n      }\n    }\n  }\n'];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(
  source: '\n  query HeroWithTeams($id: ID!, $isTraining: Boolean, $orderBy: TeamOrder, $first: Int, $after: String) {\n    hero(id: $id) {\n      id\n      name\n      secretName\n      age\n      teams(isTraining: $isTraining, orderBy: $orderBy, first: $first, after: $after) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            id\n            name\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n',
): (typeof documents)['\n  query HeroWithTeams($id: ID!, $isTraining: Boolean, $orderBy: TeamOrder, $first: Int, $after: String) {\n    hero(id: $id) {\n      id\n      name\n      secretName\n      age\n      teams(isTraining: $isTraining, orderBy: $orderBy, first: $first, after: $after) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            id\n            name\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n'];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(
  source: '\n  query TeamWithHeroes($id: ID!, $isTraining: Boolean, $orderBy: HeroOrder, $last: Int, $before: String) {\n    team(id: $id) {\n      name\n      headquarters\n      heroes(isTraining: $isTraining, orderBy: $orderBy, last: $last, before: $before) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            name\n          }\n        }\n        pageInfo {\n          hasPreviousPage\n          startCursor\n        }\n      }\n    }\n  }\n',
): (typeof documents)['\n  query TeamWithHeroes($id: ID!, $isTraining: Boolean, $orderBy: HeroOrder, $last: Int, $before: String) {\n    team(id: $id) {\n      name\n      headquarters\n      heroes(isTraining: $isTraining, orderBy: $orderBy, last: $last, before: $before) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            name\n          }\n        }\n        pageInfo {\n          hasPreviousPage\n          startCursor\n        }\n      }\n    }\n  }\n'];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(
  source: '\n  query Node($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n      ... on Hero {\n        name\n      }\n      ... on Team {\n        headquarters\n      }\n    }\n  }\n',
): (typeof documents)['\n  query Node($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n      ... on Hero {\n        name\n      }\n      ... on Team {\n        headquarters\n      }\n    }\n  }\n'];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(
  source: '\n  query Nodes($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      __typename\n      id\n    }\n  }\n',
): (typeof documents)['\n  query Nodes($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      __typename\n      id\n    }\n  }\n'];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> =
  TDocumentNode extends DocumentNode<infer TType, any> ? TType : never;
