import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

const cache = new WeakMap<readonly FieldNode[], Map<string, boolean>>();

/**
 * Whether a field's selection asks for the path of fields below it (`['edges', 'joinedAt']`:
 * `edges { joinedAt }`), through fragments too. It may answer yes for a field an @include or @skip
 * leaves out (the cost is reading something for nothing), never no for a field that is asked for.
 * Cached per list of field nodes, which graphql-js and graphql-jit share between all the objects of
 * a list.
 */
export function selects(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  let answers = cache.get(info.fieldNodes);
  if (!answers) {
    answers = new Map();
    cache.set(info.fieldNodes, answers);
  }
  const key = path.join('.');
  let answer = answers.get(key);
  if (answer === undefined) {
    answer = info.fieldNodes.some((node) => node.selectionSet !== undefined && within(info, node.selectionSet, path));
    answers.set(key, answer);
  }
  return answer;
}

/** Whether `selections` hold the path of fields, through inline fragments and fragment spreads. */
function within(
  info: GraphQLResolveInfo,
  selections: SelectionSetNode,
  path: readonly string[],
  seen = new Set<string>(),
): boolean {
  const [name, ...rest] = path;
  return selections.selections.some((selection) => {
    switch (selection.kind) {
      case Kind.FIELD:
        return (
          selection.name.value === name &&
          (rest.length === 0 || (!!selection.selectionSet && within(info, selection.selectionSet, rest)))
        );
      case Kind.INLINE_FRAGMENT:
        return within(info, selection.selectionSet, path, seen);
      case Kind.FRAGMENT_SPREAD: {
        const fragment = info.fragments[selection.name.value];
        if (!fragment || seen.has(fragment.name.value)) return false;
        seen.add(fragment.name.value);
        return within(info, fragment.selectionSet, path, seen);
      }
    }
  });
}

/** Whether a connection field needs its page read: its selection asks for edges or pageInfo, not only totalCount. */
export function asksForPage(info: GraphQLResolveInfo): boolean {
  return selects(info, ['edges']) || selects(info, ['pageInfo']);
}
