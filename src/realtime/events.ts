// The change events the database sends (migration change_events): one NOTIFY per statement and
// chunk of rows on the channel below, read here into the events subscriptions deliver.

/** The channel the triggers notify on. */
export const CHANGES_CHANNEL = 'heroes_changes';

export type MembershipChange = 'ADDED' | 'UPDATED' | 'REMOVED';
export type NodeChange = 'CREATED' | 'UPDATED' | 'DELETED';
export type NodeType = 'Hero' | 'Team';

/** One notification: a kind of change and the rows of one statement (a chunk of them). */
export type Notification =
  | { readonly of: 'membership'; readonly kind: MembershipChange; readonly rows: readonly number[] }
  | { readonly of: 'node'; readonly kind: NodeChange; readonly type: NodeType; readonly ids: readonly number[] };

const membershipKinds: Record<string, MembershipChange> = { LA: 'ADDED', LU: 'UPDATED', LR: 'REMOVED' };
const nodeKinds: Record<string, [NodeType, NodeChange]> = {
  HC: ['Hero', 'CREATED'],
  HU: ['Hero', 'UPDATED'],
  HD: ['Hero', 'DELETED'],
  TC: ['Team', 'CREATED'],
  TU: ['Team', 'UPDATED'],
  TD: ['Team', 'DELETED'],
};

const isIntArray = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((item) => Number.isInteger(item));

/**
 * Reads a payload, `{"s":<n>,"k":"<kind>","r":[...]}`: for memberships `r` holds heroId, teamId
 * and isTraining (0/1) for each link, for heroes and teams their ids. Null for anything else.
 */
export function parseNotification(payload: string): Notification | null {
  let parsed: { k?: unknown; r?: unknown };
  try {
    parsed = JSON.parse(payload) as { k?: unknown; r?: unknown };
  } catch {
    return null;
  }
  const { k, r } = parsed ?? {};
  if (typeof k !== 'string' || !isIntArray(r)) return null;
  const membership = membershipKinds[k];
  if (membership) return r.length % 3 === 0 ? { of: 'membership', kind: membership, rows: r } : null;
  const node = nodeKinds[k];
  if (node) return { of: 'node', type: node[0], kind: node[1], ids: r };
  return null;
}
