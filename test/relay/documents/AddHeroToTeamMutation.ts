import { graphql } from 'relay-runtime';

// Adds a hero to a team and appends the membership to the lists on screen, on both sides of the
// link: the team's heroes (TeamHeroes_heroes) and the hero's teams (HeroTeams_teams). Their ids
// come from the fragments' __id or ConnectionHandler.getConnectionID.
export const addHeroToTeamMutation = graphql`
  mutation AddHeroToTeamMutation(
    $input: AddHeroToTeamInput!
    $teamHeroesConnections: [ID!]!
    $heroTeamsConnections: [ID!]!
  ) {
    addHeroToTeam(input: $input) {
      isTraining
      teamHeroesEdge @appendEdge(connections: $teamHeroesConnections) {
        cursor
        isTraining
        joinedAt
        node {
          id
          name
          age
        }
      }
      heroTeamsEdge @appendEdge(connections: $heroTeamsConnections) {
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
