import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { defaultFieldResolver, type GraphQLFieldResolver } from 'graphql';

/**
 * How a field listed in a type's `extensions.directFields` is resolved instead of by the resolver
 * its plugin gives it:
 * - `property`: graphql's default resolver (the parent's property of the field's name), for fields
 *   whose resolver only reads that property, as Relay's `edges`, `pageInfo` and `node` do. A field
 *   with the default resolver has no resolver at all in the schema, so graphql-jit reads the
 *   property inline instead of calling a function with a fresh resolve info, path and arguments
 *   object for every object of a list.
 * - `globalId`: the global id of the parent's `id` of this type, encoded synchronously. Relay's id
 *   field encodes the same id in an async resolver: a promise for every node of a list.
 */
export type DirectField = 'property' | 'globalId';

export const directFieldsPluginName = 'directFields';

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      directFields: DirectFieldsPlugin<Types>;
    }
  }
}

export class DirectFieldsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    const direct = this.buildCache.getTypeConfig(fieldConfig.parentType).extensions?.directFields as
      Record<string, DirectField> | undefined;
    const kind = direct?.[fieldConfig.name];
    // Only a field's own resolver is replaced, never one another plugin has wrapped already.
    if (!kind || resolver !== fieldConfig.resolve) return resolver;
    if (kind === 'property') return defaultFieldResolver;
    if (this.builder.options.relay?.encodeGlobalID) {
      throw new Error('directFields: a custom relay.encodeGlobalID is not supported');
    }
    const typeName = fieldConfig.parentType;
    return (parent) => encodeGlobalID(typeName, String((parent as { id: number | string }).id));
  }
}

SchemaBuilder.registerPlugin(directFieldsPluginName, DirectFieldsPlugin);
