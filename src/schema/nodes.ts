import type { GraphQLResolveInfo } from 'graphql';
import { builder } from '../graphql/builder';
import type { Context } from '../graphql/context';
import { dbId } from '../ids';
import { deleteFirst, deleteSecond, listPage, pageCost, refreshLoaders, updateRow } from '../links';
import { type End, orderFieldOf } from '../links/registry';
import { idempotent } from '../graphql/mutation-outcome';
import { heroesTeams } from './registry';
import { tableRows } from '../links/sizes';
import { aggregateField } from './aggregates';
import { OrderDirection } from './shared';

// What the API has of each end of the link alike (heroes and teams): the order of its lists, the
// root fields finding one node or a page of them, and the mutations that update or delete one.
// Each is built by one function parameterised by the end (link.ends[0] or [1]).

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type InputFields = PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>;
// The refs of the two prisma nodes: Pothos types each by its model, and these functions take either.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NodeRef = any;

/** An end, and the end across the link from it. */
export interface Side {
  end: 0 | 1;
  own: End;
  far: End;
  /** The type's name in a sentence (`hero`) and in the plural (`heroes`). */
  noun: string;
  plural: string;
}

export function sideOf(end: 0 | 1): Side {
  const own = heroesTeams.ends[end];
  const far = heroesTeams.ends[1 - end]!;
  return { end, own, far, noun: own.entity.name.toLowerCase(), plural: far.connection };
}

const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * The order of a list of the end's nodes (HeroOrder, with its HeroOrderField): by id, by the
 * columns the registry orders by (`descriptions` of some), and by when the membership began,
 * which only the far end's connection has.
 */
export function orderOf(side: Side, descriptions: Record<string, string> = {}) {
  const { own, far, plural } = side;
  const values: Record<string, { description?: string }> = {};
  for (const field of Object.keys(own.entity.orderColumns)) {
    values[field] = descriptions[field] ? { description: descriptions[field] } : {};
  }
  values[orderFieldOf(heroesTeams.since!.field)] = {
    description: `When the membership began: only in a ${far.entity.name.toLowerCase()}'s ${far.connection} (${far.entity.name}.${far.connection}).`,
  };
  const field = builder.enumType(`${own.entity.name}OrderField`, { values });
  return builder.inputType(`${own.entity.name}Order`, {
    description: `Order of a list of ${plural}; ties are broken by id in the same direction.`,
    fields: (t) => ({
      field: t.field({ type: field, required: true }),
      direction: t.field({ type: OrderDirection, defaultValue: 'ASC' }),
    }),
  });
}

/** The root fields of the end: one node by id (`hero`), and a page of all (`heroes`). */
export function rootFields(side: Side, ref: NodeRef, filter: NodeRef, order: NodeRef): void {
  const { own, noun, plural } = side;
  const name = own.entity.name as keyof Context['nodes'];
  builder.queryFields((t) => ({
    [noun]: t.field({
      type: ref,
      nullable: true,
      description: `The ${noun} with this id, or null.`,
      args: { id: t.arg.globalID({ required: true, for: ref }) },
      resolve: (_root, args: NodeRef, context): NodeRef => context.nodes[name].load(dbId(args.id)),
    }),
    [plural]: t.connection(
      {
        complexity: pageCost(heroesTeams),
        type: ref,
        description: `All ${plural}, filtered and ordered.`,
        args: { where: t.arg({ type: filter }), orderBy: t.arg({ type: order }) },
        resolve: (_root, args, ctx: Context, info: GraphQLResolveInfo) =>
          listPage(heroesTeams, own.entity, args, info, ctx.reads),
      },
      {
        name: `Query${capital(plural)}Connection`,
        fields: (c) => ({
          aggregate: aggregateField(`${capital(plural)}Aggregate`, `all ${plural}`, {
            columns: own.entity.stats,
            rows: () => tableRows(own.entity),
          })(c as never),
        }),
      },
      { name: `Query${capital(plural)}Edge` },
    ),
  }));
}

/**
 * `update<Type>`: changes the node's own columns given in the input (`fields`); an omitted field,
 * or null for a column that cannot be null, keeps its value, and null clears one that can.
 */
export function updateMutation(side: Side, ref: NodeRef, fields: (t: InputFields) => Record<string, NodeRef>): void {
  const { own, end, noun } = side;
  const nullable = new Set(own.entity.columns.filter((c) => c.nullable).map((c) => c.field));
  builder.relayMutationField(
    `update${own.entity.name}`,
    { inputFields: (t) => ({ id: t.globalID({ required: true, for: ref }), ...fields(t) }) },
    {
      extensions: idempotent,
      resolve: async (_root, { input }, ctx) => {
        const { id, ...given } = input as { id: { id: string } } & Record<string, unknown>;
        const data: Record<string, unknown> = {};
        for (const [field, value] of Object.entries(given)) {
          data[field] = value === null && !nullable.has(field) ? undefined : value;
        }
        const { row, change } = await updateRow(heroesTeams, end, dbId(id), data);
        refreshLoaders(ctx, change);
        return { [noun]: row };
      },
    },
    { outputFields: (t) => ({ [noun]: t.field({ type: ref, resolve: (payload: NodeRef) => payload[noun] }) }) },
  );
}

/** `delete<Type>`: deletes the node and, by cascade, its memberships; admin only. */
export function deleteMutation(side: Side, ref: NodeRef): void {
  const { own, end, noun } = side;
  builder.relayMutationField(
    `delete${own.entity.name}`,
    { inputFields: (t) => ({ id: t.globalID({ required: true, for: ref }) }) },
    {
      // Deleting takes admin (the Mutation type asks editor of every mutation).
      authScopes: { admin: true },
      extensions: idempotent,
      resolve: async (_root, { input }, ctx) => {
        const id = dbId(input.id as { id: string });
        const { change } = await (end === 0 ? deleteFirst : deleteSecond)(heroesTeams, id);
        refreshLoaders(ctx, change);
        return { deletedId: id };
      },
    },
    {
      outputFields: (t) => ({
        deletedId: t.globalID({
          description: `The global id of the deleted ${noun}.`,
          resolve: (payload) => ({ type: own.entity.name, id: payload.deletedId }),
        }),
      }),
    },
  );
}
