import { graphql } from 'relay-runtime';

// A team's page: the team and the first page of its heroes, all or only those in training.
export const teamPageQuery = graphql`
  query TeamPageQuery($id: ID!, $count: Int, $isTraining: Boolean) {
    team(id: $id) {
      ...TeamHeroes_team @arguments(count: $count, isTraining: $isTraining)
    }
  }
`;
