import { graphql } from 'relay-runtime';

// The list of all teams, paginated from the root, each with a few of its heroes.
export const teamListQuery = graphql`
  query TeamListQuery($count: Int!, $cursor: String) {
    ...TeamList_query @arguments(count: $count, cursor: $cursor)
  }
`;

export const teamListFragment = graphql`
  fragment TeamList_query on Query
  @refetchable(queryName: "TeamListPaginationQuery")
  @argumentDefinitions(count: { type: "Int!" }, cursor: { type: "String" }) {
    teams(first: $count, after: $cursor, orderBy: { field: NAME }) @connection(key: "TeamList_teams") {
      edges {
        node {
          id
          name
          ...TeamHeroes_team @arguments(count: 3)
        }
      }
    }
  }
`;
