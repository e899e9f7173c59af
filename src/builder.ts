import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ValidationPlugin from '@pothos/plugin-validation';
import { config } from './config';
import type { Context } from './context';
import { prisma } from './db';
import type PrismaTypes from './generated/pothos-prisma-types';
import { getDatamodel } from './generated/pothos-prisma-types';
import { badInput } from './errors';
import { decodeNodeId } from './ids';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  // Every connection can count its whole list; the count runs only when a client asks for it.
  Connection: { totalCount: () => Promise<number> };
}>({
  plugins: [PrismaPlugin, RelayPlugin, ValidationPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: config.production ? null : 'error',
  },
  relay: {
    clientMutationId: 'omit',
    decodeGlobalID: decodeNodeId,
    cursorType: 'String',
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
  },
  validation: {
    validationError: (result) => badInput(result.issues.map((issue) => issue.message).join('; ')),
  },
});

builder.queryType({});
builder.mutationType({});
