import { graphql } from 'relay-runtime';

// A team's heroes, a page at a time, optionally only those in training: the list a team's page
// shows, which AddHeroToTeam appends to and RemoveHeroFromTeam takes heroes out of.
export const teamHeroesFragment = graphql`
  fragment TeamHeroes_team on Team
  @refetchable(queryName: "TeamHeroesPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 10 }
    cursor: { type: "String" }
    isTraining: { type: "Boolean" }
  ) {
    id
    name
    headquarters
    heroes(first: $count, after: $cursor, isTraining: $isTraining)
      @connection(key: "TeamHeroes_heroes", filters: ["isTraining"]) {
      __id
      totalCount
      edges {
        cursor
        isTraining
        joinedAt
        node {
          id
          name
          age
        }
      }
    }
  }
`;
