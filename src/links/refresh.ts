import type { LinkLoaders } from './loaders';
import type { NodeLoader } from './nodes';
import type { Link } from './registry';

// The one way a write refreshes the request's loaders: every write of src/links (and a write of an
// entity's own row, through rowChanged) returns what it changed, a LinkChange, and refreshLoaders
// clears from the request's loaders what the change made stale, so that a mutation's payload, and
// the next mutation of the same request, read what is there now.

/** Ids of one end's nodes, or all of them. */
type Ids = readonly number[] | 'all';

export interface LinkChange {
  readonly link: Link;
  /** Per end (link.ends), the nodes whose links changed: their pages and counts are stale. */
  readonly linksOf: readonly [Ids, Ids];
  /** Per end, the nodes whose own row changed or went: what the node loaders hold of them is stale. */
  readonly rows: readonly [readonly number[], readonly number[]];
}

/** The links of these nodes of each end changed. */
export function linksChanged(link: Link, first: Ids, second: Ids): LinkChange {
  return { link, linksOf: [first, second], rows: [[], []] };
}

/**
 * The row of one node of end `end` changed or went (or, `links only`, all its links were
 * replaced): its own pages, and every page of the other end, which may hold it, are stale.
 */
export function rowChanged(link: Link, end: 0 | 1, id: number, what: 'row' | 'links only' = 'row'): LinkChange {
  const linksOf: [Ids, Ids] = end === 0 ? [[id], 'all'] : ['all', [id]];
  const rows: [number[], number[]] = [[], []];
  if (what === 'row') rows[end].push(id);
  return { link, linksOf, rows };
}

/** What a request holds: its link loaders, and its node loaders by entity name. */
export interface RequestLoaders {
  readonly loaders: LinkLoaders;
  readonly nodes: Readonly<Record<string, NodeLoader<{ id: number }>>>;
}

/** Clears from the request's loaders what `change` made stale. */
export function refreshLoaders(request: RequestLoaders, change: LinkChange): void {
  const { link } = change;
  for (const end of [0, 1] as const) {
    const rows = change.rows[end];
    if (rows.length > 0) request.nodes[link.ends[end].entity.name]?.clear(...rows);
    const ids = change.linksOf[end];
    if (ids !== 'all' && ids.length === 0) continue;
    // The counters the link's triggers keep on this end's rows changed with its links.
    const nodes = link.ends[end].counters ? request.nodes[link.ends[end].entity.name] : undefined;
    if (ids === 'all') nodes?.clear();
    else nodes?.clear(...ids);
    for (const loader of request.loaders.loadersOf(link, end)) {
      if (ids === 'all') loader.clear();
      else loader.clear(...ids);
    }
  }
}
