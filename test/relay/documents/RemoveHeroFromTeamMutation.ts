import { graphql } from 'relay-runtime';

// Ends a membership and takes it out of the lists on screen, on both sides of the link: the hero
// out of the team's heroes, the team out of the hero's teams.
export const removeHeroFromTeamMutation = graphql`
  mutation RemoveHeroFromTeamMutation(
    $input: RemoveHeroFromTeamInput!
    $teamHeroesConnections: [ID!]!
    $heroTeamsConnections: [ID!]!
  ) {
    removeHeroFromTeam(input: $input) {
      removed
      removedHeroId @deleteEdge(connections: $teamHeroesConnections)
      removedTeamId @deleteEdge(connections: $heroTeamsConnections)
    }
  }
`;
