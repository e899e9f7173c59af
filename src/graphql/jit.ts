import { useGraphQlJit } from '@envelop/graphql-jit';
import {
  type DocumentNode,
  getNamedType,
  type GraphQLInputType,
  type GraphQLSchema,
  isInputObjectType,
  Kind,
  type TypeNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Input object types that contain themselves, directly or through others (HeroFilter's and, or,
 * not and memberships). graphql-jit compiles the coercion of an operation's variables inline, type
 * by type, and never returns from such a type (zalando-incubator/graphql-jit#81, open since 2020).
 */
function recursiveInputTypes(schema: GraphQLSchema): Set<string> {
  const recursive = new Set<string>();
  const reaches = (from: GraphQLInputType, target: string, seen: Set<string>): boolean => {
    const type = getNamedType(from);
    if (!isInputObjectType(type)) return false;
    for (const field of Object.values(type.getFields())) {
      const next = getNamedType(field.type);
      if (next.name === target) return true;
      if (isInputObjectType(next) && !seen.has(next.name)) {
        seen.add(next.name);
        if (reaches(next, target, seen)) return true;
      }
    }
    return false;
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isInputObjectType(type) && reaches(type, type.name, new Set())) recursive.add(type.name);
  }
  return recursive;
}

function namedType(node: TypeNode): string {
  return node.kind === Kind.NAMED_TYPE ? node.name.value : namedType(node.type);
}

/**
 * Executes operations compiled by graphql-jit, except those with a variable of a recursive input
 * type (a filter passed as `$where`), which graphql-js executes: jit cannot compile their variables.
 * Filters written inline in the document are compiled as usual. Documents with a subscription are
 * left to graphql-js too (src/realtime/subscribe.ts).
 */
export function useJitExecution(schema: GraphQLSchema): Plugin {
  const recursive = recursiveInputTypes(schema);
  const verdicts = new WeakMap<DocumentNode, boolean>();
  const compilable = (document: DocumentNode): boolean => {
    let verdict = verdicts.get(document);
    if (verdict === undefined) {
      // Subscriptions run on graphql-js (src/realtime/subscribe.ts), each event with its shared loaders.
      verdict = !document.definitions.some(
        (definition) => definition.kind === Kind.OPERATION_DEFINITION && definition.operation === 'subscription',
      );
      verdict &&= !document.definitions.some(
        (definition) =>
          definition.kind === Kind.OPERATION_DEFINITION &&
          definition.variableDefinitions?.some((variable) => recursive.has(namedType(variable.type))),
      );
      verdicts.set(document, verdict);
    }
    return verdict;
  };
  return useGraphQlJit({}, { enableIf: (args) => compilable(args.document) }) as Plugin;
}
