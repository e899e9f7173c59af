import { graphql } from 'relay-runtime';

// A hero's page: the hero and the first page of its teams.
export const heroPageQuery = graphql`
  query HeroPageQuery($id: ID!, $count: Int) {
    hero(id: $id) {
      ...HeroTeams_hero @arguments(count: $count)
    }
  }
`;
