import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

const cache = new WeakMap<readonly FieldNode[], Map<string, boolean>>();

/**
 * Whether a connection field's selection asks for `edges { <field> }`, through fragments too. It
 * may answer yes for a field an @include or @skip leaves out (the cost is reading a column for
 * nothing), never no for a field that is asked for. Cached per list of field nodes, which graphql-js
 * and graphql-jit share between all the objects of a list.
 */
export function selectsEdgeField(info: GraphQLResolveInfo, field: string): boolean {
  let answers = cache.get(info.fieldNodes);
  if (!answers) {
    answers = new Map();
    cache.set(info.fieldNodes, answers);
  }
  let answer = answers.get(field);
  if (answer === undefined) {
    answer = info.fieldNodes.some(
      (node) =>
        node.selectionSet !== undefined &&
        within(info, node.selectionSet, 'edges', (edges) => within(info, edges, field)),
    );
    answers.set(field, answer);
  }
  return answer;
}

/** Whether `selections` hold a field named `name` (and, given `inside`, one whose selection passes it). */
function within(
  info: GraphQLResolveInfo,
  selections: SelectionSetNode,
  name: string,
  inside?: (selections: SelectionSetNode) => boolean,
  seen = new Set<string>(),
): boolean {
  return selections.selections.some((selection) => {
    switch (selection.kind) {
      case Kind.FIELD:
        return (
          selection.name.value === name && (!inside || (!!selection.selectionSet && inside(selection.selectionSet)))
        );
      case Kind.INLINE_FRAGMENT:
        return within(info, selection.selectionSet, name, inside, seen);
      case Kind.FRAGMENT_SPREAD: {
        const fragment = info.fragments[selection.name.value];
        if (!fragment || seen.has(fragment.name.value)) return false;
        seen.add(fragment.name.value);
        return within(info, fragment.selectionSet, name, inside, seen);
      }
    }
  });
}
