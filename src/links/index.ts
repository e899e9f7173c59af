// The generic link layer: a many-to-many link and its two entities declared once (registry.ts),
// and everything that reads or writes through it for any such link: pages with cursors in any
// declared order, both ways (loaders.ts), root lists (lists.ts), nodes by id (nodes.ts), filters
// through the link (filters.ts), single and bulk writes in one lock order (writes.ts,
// bulk-writes.ts, locks.ts), and the refresh of a request's loaders after a write (refresh.ts).

export { addToSecond, type BulkChange, removeFromSecond, replaceLinksOfSecond } from './bulk-writes';
export {
  compileFilter,
  MAX_FILTER_CONDITIONS,
  MAX_MEMBERSHIP_DEPTH,
  type MembershipsFilter,
  type NodeFilter,
} from './filters';
export { listPage } from './lists';
export { LinkLoaders, type MemberEdge, type MemberPage, membershipEdge } from './loaders';
export { createNodeLoaders, type NodeLoaders } from './nodes';
export { pageCost } from './pagination';
export { type LinkChange, linksChanged, refreshLoaders, type RequestLoaders, rowChanged } from './refresh';
export { declareLink, type Entity, type Link, type LinkSide, sideOf } from './registry';
export {
  addLink,
  createWithLinks,
  deleteFirst,
  deleteSecond,
  type LinkInput,
  type LinkWrite,
  removeLink,
  replaceLinksOfFirst,
  updateLink,
  updateRow,
} from './writes';
