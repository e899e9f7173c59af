import SchemaBuilder, { brandWithType } from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { GraphQLError } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { hasRole } from '../access/roles';
import { config, limits } from '../config';
import type { Context } from './context';
import { prisma } from '../db';
import type PrismaTypes from '../generated/pothos-prisma-types';
import { getDatamodel } from '../generated/pothos-prisma-types';
import { directFieldsPluginName } from './direct-fields';
import { badInput, forbidden, LimitCode, signInRequired } from '../errors';
import { checkIdCount, decodeNodeId } from '../ids';
import { mutationOutcomePluginName } from './mutation-outcome';

/** What each id of `nodes(ids:)` costs besides the object it returns. */
export const ID_LOOKUP_COST = 5;

/** A node by decoded global id, through the request's batched loaders, marked with its type. */
export async function loadNode(context: Context, { typename, id }: { typename: string; id: string | number }) {
  const node = await context.nodes[typename as keyof Context['nodes']].load(Number(id));
  // The Node interface resolves its type from this brand, as it does for what Prisma loads.
  if (node) brandWithType(node, typename as never);
  return node;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  // Out: a Date, or milliseconds since the epoch as the loaders read them; both print as ISO-8601.
  Scalars: { DateTime: { Input: Date; Output: Date | number } };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  // Every connection can count its whole list; the count runs only when a client asks for it.
  Connection: { totalCount: () => Promise<number> };
  // What fields ask for (authScopes); each is the role of that name or a stronger one.
  AuthScopes: { viewer: boolean; editor: boolean; admin: boolean };
}>({
  // Scope-auth first, so that its check runs before any other plugin's resolver wrapper.
  // mutationOutcome: what a mutation that met a database outage says of its change (src/graphql/mutation-outcome.ts).
  plugins: [
    ScopeAuthPlugin,
    PrismaPlugin,
    RelayPlugin,
    ValidationPlugin,
    ComplexityPlugin,
    directFieldsPluginName,
    mutationOutcomePluginName,
  ],
  // Scopes are checked on the root fields only (the Query and Mutation types below): a field of a
  // Hero or Team is reached through a root field already checked, and stays unwrapped (no cost).
  scopeAuth: {
    authScopes: ({ caller }) => ({
      viewer: hasRole(caller, 'viewer'),
      editor: hasRole(caller, 'editor'),
      admin: hasRole(caller, 'admin'),
    }),
    // Anonymous callers are told to sign in, callers with a token that it is not enough; neither
    // names the scopes the field needed.
    unauthorizedError: (_parent, context) => (context.caller.authenticated ? forbidden() : signInRequired()),
  },
  defaultFieldNullability: false,
  prisma: {
    client: prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: config.production ? null : 'error',
  },
  // The cost of an operation is the number of objects it can return: a connection multiplies what
  // is below it by its page size (first/last, from literals and variables alike, or the default
  // page size when neither is given), so cycles of Hero.teams and Team.heroes cannot fan out.
  complexity: {
    defaultComplexity: 1,
    defaultListMultiplier: 1,
    limit: { complexity: limits.complexity },
    complexityError: (_kind, result) =>
      new GraphQLError(
        `Query complexity ${result.complexity} exceeds the limit of ${result.maxComplexity} (MAX_COMPLEXITY); ask for smaller pages or fewer levels`,
        { extensions: { code: LimitCode.MAX_COMPLEXITY } },
      ),
  },
  relay: {
    clientMutationId: 'omit',
    decodeGlobalID: decodeNodeId,
    cursorType: 'String',
    // Relay's edges, pageInfo and node fields only read the property of their name: resolved by the
    // default resolver, graphql-jit reads them inline (see src/graphql/direct-fields.ts).
    defaultConnectionTypeOptions: { extensions: { directFields: { edges: 'property', pageInfo: 'property' } } },
    defaultEdgeTypeOptions: { extensions: { directFields: { node: 'property' } } },
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    nodeQueryOptions: { resolve: (_root, args, context) => loadNode(context, args.id) },
    // Defined below with plain ID arguments: Pothos' own decodes each id through a WeakMap entry
    // and a schema lookup, a fifth of the CPU of 500 ids.
    nodesQueryOptions: false,
  },
  validation: {
    validationError: (result) => badInput(result.issues.map((issue) => issue.message).join('; ')),
  },
});

builder.addScalarType('DateTime', DateTimeResolver);

// Reading needs viewer; every mutation needs editor, and deletes admin (their own authScopes).
builder.queryType({ authScopes: { viewer: true } });

builder.queryField('nodes', (t) =>
  t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    args: { ids: t.arg.idList({ required: true }) },
    // Each id is an object below it, and also a lookup of its own (decoding, a row to find and
    // read, its type to resolve), which costs more than an object read on a page: measured against
    // a maximal page cycle of the same cost, about 9 per id.
    complexity: (args) => {
      checkIdCount(args.ids.length, 'nodes(ids:)');
      return { field: 1 + ID_LOOKUP_COST * args.ids.length, multiplier: args.ids.length };
    },
    resolve: (_root, args, context) => Promise.all(args.ids.map((id) => loadNode(context, decodeNodeId(String(id))))),
  }),
);
builder.mutationType({ authScopes: { editor: true } });

/** The builder's types, for helpers that add the same fields to several object types. */
export type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
