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
    "\n  query Depth1($first: Int!) {\n    heroes(first: $first) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n": typeof types.Depth1Document,
    "\n  query Depth2($first: Int!) {\n    heroes(first: $first, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          teams(first: 10, orderBy: { field: ID }) {\n            edges {\n              isTraining\n              node {\n                name\n                headquarters\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.Depth2Document,
    "\n  query Depth3($first: Int!) {\n    teams(first: $first, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          heroes(first: 10, orderBy: { field: ID }) {\n            edges {\n              node {\n                id\n                name\n                teams(first: 10, orderBy: { field: ID }) {\n                  edges {\n                    node {\n                      name\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.Depth3Document,
    "\n  query Depth3WithCounts($first: Int!) {\n    teams(first: $first) {\n      totalCount\n      edges {\n        node {\n          heroes(first: 10, isTraining: false) {\n            totalCount\n            edges {\n              node {\n                teams(first: 10, orderBy: { field: NAME, direction: DESC }) {\n                  totalCount\n                  edges {\n                    node {\n                      name\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.Depth3WithCountsDocument,
    "\n    query Lookups($ids: [ID!]!, $one: ID!, $two: ID!) {\n      nodes(ids: $ids) {\n        id\n      }\n      a: hero(id: $one) {\n        name\n      }\n      b: hero(id: $two) {\n        name\n      }\n    }\n  ": typeof types.LookupsDocument,
    "\n  query TeamPage($id: ID!) {\n    team(id: $id) {\n      heroes(first: 10) {\n        totalCount\n        edges {\n          node {\n            name\n          }\n        }\n      }\n    }\n  }\n": typeof types.TeamPageDocument,
    "\n  query Q1 {\n    heroes(first: 100, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          teams(first: 10, orderBy: { field: ID }) {\n            edges {\n              isTraining\n              node {\n                name\n                headquarters\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.Q1Document,
    "\n  query Q2 {\n    teams(first: 20, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          heroes(first: 50, orderBy: { field: ID }) {\n            edges {\n              node {\n                id\n                name\n                teams(first: 10, orderBy: { field: ID }) {\n                  edges {\n                    node {\n                      name\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.Q2Document,
    "\n  query Q3($id: ID!) {\n    team(id: $id) {\n      heroes(first: 10) {\n        totalCount\n        edges {\n          node {\n            name\n          }\n        }\n      }\n    }\n  }\n": typeof types.Q3Document,
    "\n  mutation ConcurrentAdd($hero: ID!, $team: ID!) {\n    addHeroToTeam(input: { heroId: $hero, teamId: $team, isTraining: true }) {\n      isTraining\n    }\n  }\n": typeof types.ConcurrentAddDocument,
    "\n  mutation ConcurrentRemove($hero: ID!, $team: ID!) {\n    removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {\n      removed\n    }\n  }\n": typeof types.ConcurrentRemoveDocument,
    "\n  mutation ConcurrentSet($hero: ID!, $teams: [MembershipInput!]!) {\n    setHeroTeams(input: { heroId: $hero, teams: $teams }) {\n      hero {\n        teams(first: 50) {\n          edges {\n            isTraining\n            node {\n              id\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.ConcurrentSetDocument,
    "\n  mutation ConcurrentCreate($teams: [MembershipInput!]) {\n    createHero(input: { name: \"Racer\", secretName: \"R\", teams: $teams }) {\n      hero {\n        id\n      }\n    }\n  }\n": typeof types.ConcurrentCreateDocument,
    "\n      mutation DeleteDoomed($id: ID!) {\n        deleteTeam(input: { id: $id }) {\n          deletedId\n        }\n      }\n    ": typeof types.DeleteDoomedDocument,
    "\n  mutation ConcurrentUpdate($hero: ID!, $team: ID!, $training: Boolean!) {\n    updateMembership(input: { heroId: $hero, teamId: $team, isTraining: $training }) {\n      isTraining\n    }\n  }\n": typeof types.ConcurrentUpdateDocument,
    "\n  mutation ConcurrentDeleteHero($id: ID!) {\n    deleteHero(input: { id: $id }) {\n      deletedId\n    }\n  }\n": typeof types.ConcurrentDeleteHeroDocument,
    "\n  mutation ConcurrentDeleteTeam($id: ID!) {\n    deleteTeam(input: { id: $id }) {\n      deletedId\n    }\n  }\n": typeof types.ConcurrentDeleteTeamDocument,
    "\n  query TeamCounts($id: ID!) {\n    team(id: $id) {\n      all: heroes {\n        totalCount\n      }\n      training: heroes(isTraining: true) {\n        totalCount\n      }\n      notTraining: heroes(isTraining: false) {\n        totalCount\n      }\n    }\n  }\n": typeof types.TeamCountsDocument,
    "\n  mutation CountAdd($hero: ID!, $team: ID!, $training: Boolean) {\n    addHeroToTeam(input: { heroId: $hero, teamId: $team, isTraining: $training }) {\n      team {\n        heroes {\n          totalCount\n        }\n      }\n    }\n  }\n": typeof types.CountAddDocument,
    "\n  mutation CountUpdate($hero: ID!, $team: ID!, $training: Boolean!) {\n    updateMembership(input: { heroId: $hero, teamId: $team, isTraining: $training }) {\n      team {\n        heroes(isTraining: true) {\n          totalCount\n        }\n      }\n    }\n  }\n": typeof types.CountUpdateDocument,
    "\n  mutation CountRemove($hero: ID!, $team: ID!) {\n    removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {\n      removed\n      team {\n        heroes {\n          totalCount\n        }\n      }\n    }\n  }\n": typeof types.CountRemoveDocument,
    "\n  mutation CountSet($hero: ID!, $teams: [MembershipInput!]!) {\n    setHeroTeams(input: { heroId: $hero, teams: $teams }) {\n      hero {\n        id\n      }\n    }\n  }\n": typeof types.CountSetDocument,
    "\n  mutation CountCreate($teams: [MembershipInput!]) {\n    createHero(input: { name: \"Counted\", secretName: \"C\", teams: $teams }) {\n      hero {\n        id\n      }\n    }\n  }\n": typeof types.CountCreateDocument,
    "\n  mutation CountDeleteHero($id: ID!) {\n    deleteHero(input: { id: $id }) {\n      deletedId\n    }\n  }\n": typeof types.CountDeleteHeroDocument,
    "\n  mutation CountDeleteTeam($id: ID!) {\n    deleteTeam(input: { id: $id }) {\n      deletedId\n    }\n  }\n": typeof types.CountDeleteTeamDocument,
    "\n  query HeroName($id: ID!) {\n    hero(id: $id) {\n      name\n    }\n  }\n": typeof types.HeroNameDocument,
    "\n  mutation CreateTeam($input: CreateTeamInput!) {\n    createTeam(input: $input) {\n      team {\n        id\n        name\n        headquarters\n        heroes {\n          totalCount\n        }\n      }\n    }\n  }\n": typeof types.CreateTeamDocument,
    "\n  mutation UpdateTeam($input: UpdateTeamInput!) {\n    updateTeam(input: $input) {\n      team {\n        id\n        name\n        headquarters\n      }\n    }\n  }\n": typeof types.UpdateTeamDocument,
    "\n  mutation DeleteTeam($input: DeleteTeamInput!) {\n    deleteTeam(input: $input) {\n      deletedId\n    }\n  }\n": typeof types.DeleteTeamDocument,
    "\n  mutation CreateHero($input: CreateHeroInput!) {\n    createHero(input: $input) {\n      hero {\n        id\n        name\n        secretName\n        age\n        teams {\n          totalCount\n          edges {\n            isTraining\n            node {\n              name\n              heroes {\n                totalCount\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.CreateHeroDocument,
    "\n  mutation UpdateHero($input: UpdateHeroInput!) {\n    updateHero(input: $input) {\n      hero {\n        id\n        name\n        secretName\n        age\n      }\n    }\n  }\n": typeof types.UpdateHeroDocument,
    "\n  mutation DeleteHero($input: DeleteHeroInput!) {\n    deleteHero(input: $input) {\n      deletedId\n    }\n  }\n": typeof types.DeleteHeroDocument,
    "\n  mutation AddHeroToTeam($input: AddHeroToTeamInput!) {\n    addHeroToTeam(input: $input) {\n      isTraining\n      hero {\n        name\n        teams {\n          totalCount\n          edges {\n            isTraining\n            node {\n              name\n            }\n          }\n        }\n      }\n      team {\n        name\n        heroes {\n          totalCount\n          edges {\n            isTraining\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.AddHeroToTeamDocument,
    "\n  mutation UpdateMembership($input: UpdateMembershipInput!) {\n    updateMembership(input: $input) {\n      isTraining\n      hero {\n        teams(isTraining: true) {\n          edges {\n            node {\n              name\n            }\n          }\n        }\n      }\n      team {\n        heroes(isTraining: true) {\n          edges {\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.UpdateMembershipDocument,
    "\n  mutation RemoveHeroFromTeam($input: RemoveHeroFromTeamInput!) {\n    removeHeroFromTeam(input: $input) {\n      removed\n      hero {\n        teams {\n          totalCount\n        }\n      }\n      team {\n        heroes {\n          totalCount\n          edges {\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.RemoveHeroFromTeamDocument,
    "\n  mutation SetHeroTeams($input: SetHeroTeamsInput!) {\n    setHeroTeams(input: $input) {\n      hero {\n        name\n        teams {\n          edges {\n            isTraining\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.SetHeroTeamsDocument,
    "\n      mutation AddThenRemove($hero: ID!, $team: ID!) {\n        add: addHeroToTeam(input: { heroId: $hero, teamId: $team }) {\n          hero {\n            teams {\n              totalCount\n            }\n          }\n        }\n        remove: removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {\n          removed\n          hero {\n            teams {\n              totalCount\n            }\n          }\n        }\n      }\n    ": typeof types.AddThenRemoveDocument,
    "\n  query Heroes($first: Int, $after: String, $last: Int, $before: String, $where: HeroFilter, $orderBy: HeroOrder) {\n    heroes(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n          age\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": typeof types.HeroesDocument,
    "\n  query Teams($first: Int, $after: String, $where: TeamFilter, $orderBy: TeamOrder) {\n    teams(first: $first, after: $after, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          headquarters\n        }\n      }\n    }\n  }\n": typeof types.TeamsDocument,
    "\n  query HeroWithTeams($id: ID!, $isTraining: Boolean, $orderBy: TeamOrder, $first: Int, $after: String) {\n    hero(id: $id) {\n      id\n      name\n      secretName\n      age\n      teams(isTraining: $isTraining, orderBy: $orderBy, first: $first, after: $after) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            id\n            name\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.HeroWithTeamsDocument,
    "\n  query TeamWithHeroes($id: ID!, $isTraining: Boolean, $orderBy: HeroOrder, $last: Int, $before: String) {\n    team(id: $id) {\n      name\n      headquarters\n      heroes(isTraining: $isTraining, orderBy: $orderBy, last: $last, before: $before) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            name\n          }\n        }\n        pageInfo {\n          hasPreviousPage\n          startCursor\n        }\n      }\n    }\n  }\n": typeof types.TeamWithHeroesDocument,
    "\n  query Node($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n      ... on Hero {\n        name\n      }\n      ... on Team {\n        headquarters\n      }\n    }\n  }\n": typeof types.NodeDocument,
    "\n  query Nodes($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      __typename\n      id\n    }\n  }\n": typeof types.NodesDocument,
};
const documents: Documents = {
    "\n  query Depth1($first: Int!) {\n    heroes(first: $first) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n": types.Depth1Document,
    "\n  query Depth2($first: Int!) {\n    heroes(first: $first, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          teams(first: 10, orderBy: { field: ID }) {\n            edges {\n              isTraining\n              node {\n                name\n                headquarters\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.Depth2Document,
    "\n  query Depth3($first: Int!) {\n    teams(first: $first, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          heroes(first: 10, orderBy: { field: ID }) {\n            edges {\n              node {\n                id\n                name\n                teams(first: 10, orderBy: { field: ID }) {\n                  edges {\n                    node {\n                      name\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.Depth3Document,
    "\n  query Depth3WithCounts($first: Int!) {\n    teams(first: $first) {\n      totalCount\n      edges {\n        node {\n          heroes(first: 10, isTraining: false) {\n            totalCount\n            edges {\n              node {\n                teams(first: 10, orderBy: { field: NAME, direction: DESC }) {\n                  totalCount\n                  edges {\n                    node {\n                      name\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.Depth3WithCountsDocument,
    "\n    query Lookups($ids: [ID!]!, $one: ID!, $two: ID!) {\n      nodes(ids: $ids) {\n        id\n      }\n      a: hero(id: $one) {\n        name\n      }\n      b: hero(id: $two) {\n        name\n      }\n    }\n  ": types.LookupsDocument,
    "\n  query TeamPage($id: ID!) {\n    team(id: $id) {\n      heroes(first: 10) {\n        totalCount\n        edges {\n          node {\n            name\n          }\n        }\n      }\n    }\n  }\n": types.TeamPageDocument,
    "\n  query Q1 {\n    heroes(first: 100, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          teams(first: 10, orderBy: { field: ID }) {\n            edges {\n              isTraining\n              node {\n                name\n                headquarters\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.Q1Document,
    "\n  query Q2 {\n    teams(first: 20, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          heroes(first: 50, orderBy: { field: ID }) {\n            edges {\n              node {\n                id\n                name\n                teams(first: 10, orderBy: { field: ID }) {\n                  edges {\n                    node {\n                      name\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.Q2Document,
    "\n  query Q3($id: ID!) {\n    team(id: $id) {\n      heroes(first: 10) {\n        totalCount\n        edges {\n          node {\n            name\n          }\n        }\n      }\n    }\n  }\n": types.Q3Document,
    "\n  mutation ConcurrentAdd($hero: ID!, $team: ID!) {\n    addHeroToTeam(input: { heroId: $hero, teamId: $team, isTraining: true }) {\n      isTraining\n    }\n  }\n": types.ConcurrentAddDocument,
    "\n  mutation ConcurrentRemove($hero: ID!, $team: ID!) {\n    removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {\n      removed\n    }\n  }\n": types.ConcurrentRemoveDocument,
    "\n  mutation ConcurrentSet($hero: ID!, $teams: [MembershipInput!]!) {\n    setHeroTeams(input: { heroId: $hero, teams: $teams }) {\n      hero {\n        teams(first: 50) {\n          edges {\n            isTraining\n            node {\n              id\n            }\n          }\n        }\n      }\n    }\n  }\n": types.ConcurrentSetDocument,
    "\n  mutation ConcurrentCreate($teams: [MembershipInput!]) {\n    createHero(input: { name: \"Racer\", secretName: \"R\", teams: $teams }) {\n      hero {\n        id\n      }\n    }\n  }\n": types.ConcurrentCreateDocument,
    "\n      mutation DeleteDoomed($id: ID!) {\n        deleteTeam(input: { id: $id }) {\n          deletedId\n        }\n      }\n    ": types.DeleteDoomedDocument,
    "\n  mutation ConcurrentUpdate($hero: ID!, $team: ID!, $training: Boolean!) {\n    updateMembership(input: { heroId: $hero, teamId: $team, isTraining: $training }) {\n      isTraining\n    }\n  }\n": types.ConcurrentUpdateDocument,
    "\n  mutation ConcurrentDeleteHero($id: ID!) {\n    deleteHero(input: { id: $id }) {\n      deletedId\n    }\n  }\n": types.ConcurrentDeleteHeroDocument,
    "\n  mutation ConcurrentDeleteTeam($id: ID!) {\n    deleteTeam(input: { id: $id }) {\n      deletedId\n    }\n  }\n": types.ConcurrentDeleteTeamDocument,
    "\n  query TeamCounts($id: ID!) {\n    team(id: $id) {\n      all: heroes {\n        totalCount\n      }\n      training: heroes(isTraining: true) {\n        totalCount\n      }\n      notTraining: heroes(isTraining: false) {\n        totalCount\n      }\n    }\n  }\n": types.TeamCountsDocument,
    "\n  mutation CountAdd($hero: ID!, $team: ID!, $training: Boolean) {\n    addHeroToTeam(input: { heroId: $hero, teamId: $team, isTraining: $training }) {\n      team {\n        heroes {\n          totalCount\n        }\n      }\n    }\n  }\n": types.CountAddDocument,
    "\n  mutation CountUpdate($hero: ID!, $team: ID!, $training: Boolean!) {\n    updateMembership(input: { heroId: $hero, teamId: $team, isTraining: $training }) {\n      team {\n        heroes(isTraining: true) {\n          totalCount\n        }\n      }\n    }\n  }\n": types.CountUpdateDocument,
    "\n  mutation CountRemove($hero: ID!, $team: ID!) {\n    removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {\n      removed\n      team {\n        heroes {\n          totalCount\n        }\n      }\n    }\n  }\n": types.CountRemoveDocument,
    "\n  mutation CountSet($hero: ID!, $teams: [MembershipInput!]!) {\n    setHeroTeams(input: { heroId: $hero, teams: $teams }) {\n      hero {\n        id\n      }\n    }\n  }\n": types.CountSetDocument,
    "\n  mutation CountCreate($teams: [MembershipInput!]) {\n    createHero(input: { name: \"Counted\", secretName: \"C\", teams: $teams }) {\n      hero {\n        id\n      }\n    }\n  }\n": types.CountCreateDocument,
    "\n  mutation CountDeleteHero($id: ID!) {\n    deleteHero(input: { id: $id }) {\n      deletedId\n    }\n  }\n": types.CountDeleteHeroDocument,
    "\n  mutation CountDeleteTeam($id: ID!) {\n    deleteTeam(input: { id: $id }) {\n      deletedId\n    }\n  }\n": types.CountDeleteTeamDocument,
    "\n  query HeroName($id: ID!) {\n    hero(id: $id) {\n      name\n    }\n  }\n": types.HeroNameDocument,
    "\n  mutation CreateTeam($input: CreateTeamInput!) {\n    createTeam(input: $input) {\n      team {\n        id\n        name\n        headquarters\n        heroes {\n          totalCount\n        }\n      }\n    }\n  }\n": types.CreateTeamDocument,
    "\n  mutation UpdateTeam($input: UpdateTeamInput!) {\n    updateTeam(input: $input) {\n      team {\n        id\n        name\n        headquarters\n      }\n    }\n  }\n": types.UpdateTeamDocument,
    "\n  mutation DeleteTeam($input: DeleteTeamInput!) {\n    deleteTeam(input: $input) {\n      deletedId\n    }\n  }\n": types.DeleteTeamDocument,
    "\n  mutation CreateHero($input: CreateHeroInput!) {\n    createHero(input: $input) {\n      hero {\n        id\n        name\n        secretName\n        age\n        teams {\n          totalCount\n          edges {\n            isTraining\n            node {\n              name\n              heroes {\n                totalCount\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.CreateHeroDocument,
    "\n  mutation UpdateHero($input: UpdateHeroInput!) {\n    updateHero(input: $input) {\n      hero {\n        id\n        name\n        secretName\n        age\n      }\n    }\n  }\n": types.UpdateHeroDocument,
    "\n  mutation DeleteHero($input: DeleteHeroInput!) {\n    deleteHero(input: $input) {\n      deletedId\n    }\n  }\n": types.DeleteHeroDocument,
    "\n  mutation AddHeroToTeam($input: AddHeroToTeamInput!) {\n    addHeroToTeam(input: $input) {\n      isTraining\n      hero {\n        name\n        teams {\n          totalCount\n          edges {\n            isTraining\n            node {\n              name\n            }\n          }\n        }\n      }\n      team {\n        name\n        heroes {\n          totalCount\n          edges {\n            isTraining\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n": types.AddHeroToTeamDocument,
    "\n  mutation UpdateMembership($input: UpdateMembershipInput!) {\n    updateMembership(input: $input) {\n      isTraining\n      hero {\n        teams(isTraining: true) {\n          edges {\n            node {\n              name\n            }\n          }\n        }\n      }\n      team {\n        heroes(isTraining: true) {\n          edges {\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n": types.UpdateMembershipDocument,
    "\n  mutation RemoveHeroFromTeam($input: RemoveHeroFromTeamInput!) {\n    removeHeroFromTeam(input: $input) {\n      removed\n      hero {\n        teams {\n          totalCount\n        }\n      }\n      team {\n        heroes {\n          totalCount\n          edges {\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n": types.RemoveHeroFromTeamDocument,
    "\n  mutation SetHeroTeams($input: SetHeroTeamsInput!) {\n    setHeroTeams(input: $input) {\n      hero {\n        name\n        teams {\n          edges {\n            isTraining\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n": types.SetHeroTeamsDocument,
    "\n      mutation AddThenRemove($hero: ID!, $team: ID!) {\n        add: addHeroToTeam(input: { heroId: $hero, teamId: $team }) {\n          hero {\n            teams {\n              totalCount\n            }\n          }\n        }\n        remove: removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {\n          removed\n          hero {\n            teams {\n              totalCount\n            }\n          }\n        }\n      }\n    ": types.AddThenRemoveDocument,
    "\n  query Heroes($first: Int, $after: String, $last: Int, $before: String, $where: HeroFilter, $orderBy: HeroOrder) {\n    heroes(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n          age\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": types.HeroesDocument,
    "\n  query Teams($first: Int, $after: String, $where: TeamFilter, $orderBy: TeamOrder) {\n    teams(first: $first, after: $after, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          headquarters\n        }\n      }\n    }\n  }\n": types.TeamsDocument,
    "\n  query HeroWithTeams($id: ID!, $isTraining: Boolean, $orderBy: TeamOrder, $first: Int, $after: String) {\n    hero(id: $id) {\n      id\n      name\n      secretName\n      age\n      teams(isTraining: $isTraining, orderBy: $orderBy, first: $first, after: $after) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            id\n            name\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.HeroWithTeamsDocument,
    "\n  query TeamWithHeroes($id: ID!, $isTraining: Boolean, $orderBy: HeroOrder, $last: Int, $before: String) {\n    team(id: $id) {\n      name\n      headquarters\n      heroes(isTraining: $isTraining, orderBy: $orderBy, last: $last, before: $before) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            name\n          }\n        }\n        pageInfo {\n          hasPreviousPage\n          startCursor\n        }\n      }\n    }\n  }\n": types.TeamWithHeroesDocument,
    "\n  query Node($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n      ... on Hero {\n        name\n      }\n      ... on Team {\n        headquarters\n      }\n    }\n  }\n": types.NodeDocument,
    "\n  query Nodes($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      __typename\n      id\n    }\n  }\n": types.NodesDocument,
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
export function graphql(source: "\n  query Depth1($first: Int!) {\n    heroes(first: $first) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Depth1($first: Int!) {\n    heroes(first: $first) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Depth2($first: Int!) {\n    heroes(first: $first, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          teams(first: 10, orderBy: { field: ID }) {\n            edges {\n              isTraining\n              node {\n                name\n                headquarters\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Depth2($first: Int!) {\n    heroes(first: $first, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          teams(first: 10, orderBy: { field: ID }) {\n            edges {\n              isTraining\n              node {\n                name\n                headquarters\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Depth3($first: Int!) {\n    teams(first: $first, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          heroes(first: 10, orderBy: { field: ID }) {\n            edges {\n              node {\n                id\n                name\n                teams(first: 10, orderBy: { field: ID }) {\n                  edges {\n                    node {\n                      name\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Depth3($first: Int!) {\n    teams(first: $first, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          heroes(first: 10, orderBy: { field: ID }) {\n            edges {\n              node {\n                id\n                name\n                teams(first: 10, orderBy: { field: ID }) {\n                  edges {\n                    node {\n                      name\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Depth3WithCounts($first: Int!) {\n    teams(first: $first) {\n      totalCount\n      edges {\n        node {\n          heroes(first: 10, isTraining: false) {\n            totalCount\n            edges {\n              node {\n                teams(first: 10, orderBy: { field: NAME, direction: DESC }) {\n                  totalCount\n                  edges {\n                    node {\n                      name\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Depth3WithCounts($first: Int!) {\n    teams(first: $first) {\n      totalCount\n      edges {\n        node {\n          heroes(first: 10, isTraining: false) {\n            totalCount\n            edges {\n              node {\n                teams(first: 10, orderBy: { field: NAME, direction: DESC }) {\n                  totalCount\n                  edges {\n                    node {\n                      name\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n    query Lookups($ids: [ID!]!, $one: ID!, $two: ID!) {\n      nodes(ids: $ids) {\n        id\n      }\n      a: hero(id: $one) {\n        name\n      }\n      b: hero(id: $two) {\n        name\n      }\n    }\n  "): (typeof documents)["\n    query Lookups($ids: [ID!]!, $one: ID!, $two: ID!) {\n      nodes(ids: $ids) {\n        id\n      }\n      a: hero(id: $one) {\n        name\n      }\n      b: hero(id: $two) {\n        name\n      }\n    }\n  "];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TeamPage($id: ID!) {\n    team(id: $id) {\n      heroes(first: 10) {\n        totalCount\n        edges {\n          node {\n            name\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query TeamPage($id: ID!) {\n    team(id: $id) {\n      heroes(first: 10) {\n        totalCount\n        edges {\n          node {\n            name\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Q1 {\n    heroes(first: 100, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          teams(first: 10, orderBy: { field: ID }) {\n            edges {\n              isTraining\n              node {\n                name\n                headquarters\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Q1 {\n    heroes(first: 100, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          teams(first: 10, orderBy: { field: ID }) {\n            edges {\n              isTraining\n              node {\n                name\n                headquarters\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Q2 {\n    teams(first: 20, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          heroes(first: 50, orderBy: { field: ID }) {\n            edges {\n              node {\n                id\n                name\n                teams(first: 10, orderBy: { field: ID }) {\n                  edges {\n                    node {\n                      name\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Q2 {\n    teams(first: 20, orderBy: { field: ID }) {\n      edges {\n        node {\n          id\n          name\n          heroes(first: 50, orderBy: { field: ID }) {\n            edges {\n              node {\n                id\n                name\n                teams(first: 10, orderBy: { field: ID }) {\n                  edges {\n                    node {\n                      name\n                    }\n                  }\n                }\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Q3($id: ID!) {\n    team(id: $id) {\n      heroes(first: 10) {\n        totalCount\n        edges {\n          node {\n            name\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Q3($id: ID!) {\n    team(id: $id) {\n      heroes(first: 10) {\n        totalCount\n        edges {\n          node {\n            name\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConcurrentAdd($hero: ID!, $team: ID!) {\n    addHeroToTeam(input: { heroId: $hero, teamId: $team, isTraining: true }) {\n      isTraining\n    }\n  }\n"): (typeof documents)["\n  mutation ConcurrentAdd($hero: ID!, $team: ID!) {\n    addHeroToTeam(input: { heroId: $hero, teamId: $team, isTraining: true }) {\n      isTraining\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConcurrentRemove($hero: ID!, $team: ID!) {\n    removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {\n      removed\n    }\n  }\n"): (typeof documents)["\n  mutation ConcurrentRemove($hero: ID!, $team: ID!) {\n    removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {\n      removed\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConcurrentSet($hero: ID!, $teams: [MembershipInput!]!) {\n    setHeroTeams(input: { heroId: $hero, teams: $teams }) {\n      hero {\n        teams(first: 50) {\n          edges {\n            isTraining\n            node {\n              id\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ConcurrentSet($hero: ID!, $teams: [MembershipInput!]!) {\n    setHeroTeams(input: { heroId: $hero, teams: $teams }) {\n      hero {\n        teams(first: 50) {\n          edges {\n            isTraining\n            node {\n              id\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConcurrentCreate($teams: [MembershipInput!]) {\n    createHero(input: { name: \"Racer\", secretName: \"R\", teams: $teams }) {\n      hero {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ConcurrentCreate($teams: [MembershipInput!]) {\n    createHero(input: { name: \"Racer\", secretName: \"R\", teams: $teams }) {\n      hero {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n      mutation DeleteDoomed($id: ID!) {\n        deleteTeam(input: { id: $id }) {\n          deletedId\n        }\n      }\n    "): (typeof documents)["\n      mutation DeleteDoomed($id: ID!) {\n        deleteTeam(input: { id: $id }) {\n          deletedId\n        }\n      }\n    "];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConcurrentUpdate($hero: ID!, $team: ID!, $training: Boolean!) {\n    updateMembership(input: { heroId: $hero, teamId: $team, isTraining: $training }) {\n      isTraining\n    }\n  }\n"): (typeof documents)["\n  mutation ConcurrentUpdate($hero: ID!, $team: ID!, $training: Boolean!) {\n    updateMembership(input: { heroId: $hero, teamId: $team, isTraining: $training }) {\n      isTraining\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConcurrentDeleteHero($id: ID!) {\n    deleteHero(input: { id: $id }) {\n      deletedId\n    }\n  }\n"): (typeof documents)["\n  mutation ConcurrentDeleteHero($id: ID!) {\n    deleteHero(input: { id: $id }) {\n      deletedId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConcurrentDeleteTeam($id: ID!) {\n    deleteTeam(input: { id: $id }) {\n      deletedId\n    }\n  }\n"): (typeof documents)["\n  mutation ConcurrentDeleteTeam($id: ID!) {\n    deleteTeam(input: { id: $id }) {\n      deletedId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TeamCounts($id: ID!) {\n    team(id: $id) {\n      all: heroes {\n        totalCount\n      }\n      training: heroes(isTraining: true) {\n        totalCount\n      }\n      notTraining: heroes(isTraining: false) {\n        totalCount\n      }\n    }\n  }\n"): (typeof documents)["\n  query TeamCounts($id: ID!) {\n    team(id: $id) {\n      all: heroes {\n        totalCount\n      }\n      training: heroes(isTraining: true) {\n        totalCount\n      }\n      notTraining: heroes(isTraining: false) {\n        totalCount\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CountAdd($hero: ID!, $team: ID!, $training: Boolean) {\n    addHeroToTeam(input: { heroId: $hero, teamId: $team, isTraining: $training }) {\n      team {\n        heroes {\n          totalCount\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CountAdd($hero: ID!, $team: ID!, $training: Boolean) {\n    addHeroToTeam(input: { heroId: $hero, teamId: $team, isTraining: $training }) {\n      team {\n        heroes {\n          totalCount\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CountUpdate($hero: ID!, $team: ID!, $training: Boolean!) {\n    updateMembership(input: { heroId: $hero, teamId: $team, isTraining: $training }) {\n      team {\n        heroes(isTraining: true) {\n          totalCount\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CountUpdate($hero: ID!, $team: ID!, $training: Boolean!) {\n    updateMembership(input: { heroId: $hero, teamId: $team, isTraining: $training }) {\n      team {\n        heroes(isTraining: true) {\n          totalCount\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CountRemove($hero: ID!, $team: ID!) {\n    removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {\n      removed\n      team {\n        heroes {\n          totalCount\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CountRemove($hero: ID!, $team: ID!) {\n    removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {\n      removed\n      team {\n        heroes {\n          totalCount\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CountSet($hero: ID!, $teams: [MembershipInput!]!) {\n    setHeroTeams(input: { heroId: $hero, teams: $teams }) {\n      hero {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CountSet($hero: ID!, $teams: [MembershipInput!]!) {\n    setHeroTeams(input: { heroId: $hero, teams: $teams }) {\n      hero {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CountCreate($teams: [MembershipInput!]) {\n    createHero(input: { name: \"Counted\", secretName: \"C\", teams: $teams }) {\n      hero {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CountCreate($teams: [MembershipInput!]) {\n    createHero(input: { name: \"Counted\", secretName: \"C\", teams: $teams }) {\n      hero {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CountDeleteHero($id: ID!) {\n    deleteHero(input: { id: $id }) {\n      deletedId\n    }\n  }\n"): (typeof documents)["\n  mutation CountDeleteHero($id: ID!) {\n    deleteHero(input: { id: $id }) {\n      deletedId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CountDeleteTeam($id: ID!) {\n    deleteTeam(input: { id: $id }) {\n      deletedId\n    }\n  }\n"): (typeof documents)["\n  mutation CountDeleteTeam($id: ID!) {\n    deleteTeam(input: { id: $id }) {\n      deletedId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query HeroName($id: ID!) {\n    hero(id: $id) {\n      name\n    }\n  }\n"): (typeof documents)["\n  query HeroName($id: ID!) {\n    hero(id: $id) {\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateTeam($input: CreateTeamInput!) {\n    createTeam(input: $input) {\n      team {\n        id\n        name\n        headquarters\n        heroes {\n          totalCount\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateTeam($input: CreateTeamInput!) {\n    createTeam(input: $input) {\n      team {\n        id\n        name\n        headquarters\n        heroes {\n          totalCount\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateTeam($input: UpdateTeamInput!) {\n    updateTeam(input: $input) {\n      team {\n        id\n        name\n        headquarters\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateTeam($input: UpdateTeamInput!) {\n    updateTeam(input: $input) {\n      team {\n        id\n        name\n        headquarters\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteTeam($input: DeleteTeamInput!) {\n    deleteTeam(input: $input) {\n      deletedId\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteTeam($input: DeleteTeamInput!) {\n    deleteTeam(input: $input) {\n      deletedId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateHero($input: CreateHeroInput!) {\n    createHero(input: $input) {\n      hero {\n        id\n        name\n        secretName\n        age\n        teams {\n          totalCount\n          edges {\n            isTraining\n            node {\n              name\n              heroes {\n                totalCount\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateHero($input: CreateHeroInput!) {\n    createHero(input: $input) {\n      hero {\n        id\n        name\n        secretName\n        age\n        teams {\n          totalCount\n          edges {\n            isTraining\n            node {\n              name\n              heroes {\n                totalCount\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateHero($input: UpdateHeroInput!) {\n    updateHero(input: $input) {\n      hero {\n        id\n        name\n        secretName\n        age\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateHero($input: UpdateHeroInput!) {\n    updateHero(input: $input) {\n      hero {\n        id\n        name\n        secretName\n        age\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteHero($input: DeleteHeroInput!) {\n    deleteHero(input: $input) {\n      deletedId\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteHero($input: DeleteHeroInput!) {\n    deleteHero(input: $input) {\n      deletedId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddHeroToTeam($input: AddHeroToTeamInput!) {\n    addHeroToTeam(input: $input) {\n      isTraining\n      hero {\n        name\n        teams {\n          totalCount\n          edges {\n            isTraining\n            node {\n              name\n            }\n          }\n        }\n      }\n      team {\n        name\n        heroes {\n          totalCount\n          edges {\n            isTraining\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation AddHeroToTeam($input: AddHeroToTeamInput!) {\n    addHeroToTeam(input: $input) {\n      isTraining\n      hero {\n        name\n        teams {\n          totalCount\n          edges {\n            isTraining\n            node {\n              name\n            }\n          }\n        }\n      }\n      team {\n        name\n        heroes {\n          totalCount\n          edges {\n            isTraining\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateMembership($input: UpdateMembershipInput!) {\n    updateMembership(input: $input) {\n      isTraining\n      hero {\n        teams(isTraining: true) {\n          edges {\n            node {\n              name\n            }\n          }\n        }\n      }\n      team {\n        heroes(isTraining: true) {\n          edges {\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateMembership($input: UpdateMembershipInput!) {\n    updateMembership(input: $input) {\n      isTraining\n      hero {\n        teams(isTraining: true) {\n          edges {\n            node {\n              name\n            }\n          }\n        }\n      }\n      team {\n        heroes(isTraining: true) {\n          edges {\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveHeroFromTeam($input: RemoveHeroFromTeamInput!) {\n    removeHeroFromTeam(input: $input) {\n      removed\n      hero {\n        teams {\n          totalCount\n        }\n      }\n      team {\n        heroes {\n          totalCount\n          edges {\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RemoveHeroFromTeam($input: RemoveHeroFromTeamInput!) {\n    removeHeroFromTeam(input: $input) {\n      removed\n      hero {\n        teams {\n          totalCount\n        }\n      }\n      team {\n        heroes {\n          totalCount\n          edges {\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetHeroTeams($input: SetHeroTeamsInput!) {\n    setHeroTeams(input: $input) {\n      hero {\n        name\n        teams {\n          edges {\n            isTraining\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SetHeroTeams($input: SetHeroTeamsInput!) {\n    setHeroTeams(input: $input) {\n      hero {\n        name\n        teams {\n          edges {\n            isTraining\n            node {\n              name\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n      mutation AddThenRemove($hero: ID!, $team: ID!) {\n        add: addHeroToTeam(input: { heroId: $hero, teamId: $team }) {\n          hero {\n            teams {\n              totalCount\n            }\n          }\n        }\n        remove: removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {\n          removed\n          hero {\n            teams {\n              totalCount\n            }\n          }\n        }\n      }\n    "): (typeof documents)["\n      mutation AddThenRemove($hero: ID!, $team: ID!) {\n        add: addHeroToTeam(input: { heroId: $hero, teamId: $team }) {\n          hero {\n            teams {\n              totalCount\n            }\n          }\n        }\n        remove: removeHeroFromTeam(input: { heroId: $hero, teamId: $team }) {\n          removed\n          hero {\n            teams {\n              totalCount\n            }\n          }\n        }\n      }\n    "];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Heroes($first: Int, $after: String, $last: Int, $before: String, $where: HeroFilter, $orderBy: HeroOrder) {\n    heroes(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n          age\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Heroes($first: Int, $after: String, $last: Int, $before: String, $where: HeroFilter, $orderBy: HeroOrder) {\n    heroes(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n          age\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Teams($first: Int, $after: String, $where: TeamFilter, $orderBy: TeamOrder) {\n    teams(first: $first, after: $after, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          headquarters\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Teams($first: Int, $after: String, $where: TeamFilter, $orderBy: TeamOrder) {\n    teams(first: $first, after: $after, where: $where, orderBy: $orderBy) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          headquarters\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query HeroWithTeams($id: ID!, $isTraining: Boolean, $orderBy: TeamOrder, $first: Int, $after: String) {\n    hero(id: $id) {\n      id\n      name\n      secretName\n      age\n      teams(isTraining: $isTraining, orderBy: $orderBy, first: $first, after: $after) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            id\n            name\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query HeroWithTeams($id: ID!, $isTraining: Boolean, $orderBy: TeamOrder, $first: Int, $after: String) {\n    hero(id: $id) {\n      id\n      name\n      secretName\n      age\n      teams(isTraining: $isTraining, orderBy: $orderBy, first: $first, after: $after) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            id\n            name\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TeamWithHeroes($id: ID!, $isTraining: Boolean, $orderBy: HeroOrder, $last: Int, $before: String) {\n    team(id: $id) {\n      name\n      headquarters\n      heroes(isTraining: $isTraining, orderBy: $orderBy, last: $last, before: $before) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            name\n          }\n        }\n        pageInfo {\n          hasPreviousPage\n          startCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query TeamWithHeroes($id: ID!, $isTraining: Boolean, $orderBy: HeroOrder, $last: Int, $before: String) {\n    team(id: $id) {\n      name\n      headquarters\n      heroes(isTraining: $isTraining, orderBy: $orderBy, last: $last, before: $before) {\n        totalCount\n        edges {\n          isTraining\n          node {\n            name\n          }\n        }\n        pageInfo {\n          hasPreviousPage\n          startCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Node($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n      ... on Hero {\n        name\n      }\n      ... on Team {\n        headquarters\n      }\n    }\n  }\n"): (typeof documents)["\n  query Node($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n      ... on Hero {\n        name\n      }\n      ... on Team {\n        headquarters\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Nodes($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      __typename\n      id\n    }\n  }\n"): (typeof documents)["\n  query Nodes($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      __typename\n      id\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;