import { graphql } from 'relay-runtime';

// Deletes a hero and its record from the store, which takes it out of every list that held it.
export const deleteHeroMutation = graphql`
  mutation DeleteHeroMutation($input: DeleteHeroInput!) {
    deleteHero(input: $input) {
      deletedId @deleteRecord
    }
  }
`;
