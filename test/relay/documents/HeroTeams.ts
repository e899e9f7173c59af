import { graphql } from 'relay-runtime';

// A hero's teams, a page at a time, optionally only those it trains with: the other side of the
// same memberships, kept in step by the same mutations.
export const heroTeamsFragment = graphql`
  fragment HeroTeams_hero on Hero
  @refetchable(queryName: "HeroTeamsPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 10 }
    cursor: { type: "String" }
    isTraining: { type: "Boolean" }
  ) {
    id
    name
    secretName
    teams(first: $count, after: $cursor, isTraining: $isTraining)
      @connection(key: "HeroTeams_teams", filters: ["isTraining"]) {
      __id
      totalCount
      edges {
        cursor
        isTraining
        joinedAt
        node {
          id
          name
        }
      }
    }
  }
`;
