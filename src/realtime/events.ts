import type { LogEntry } from '../db';

// The change events, read from the change log (migration change_log, src/db/change-log.ts): each
// log entry is one statement's changes of one kind; each of its rows is one event. NOTIFY on the
// channel below only wakes the readers (src/realtime/change-feed.ts).

/** The channel the log's commit trigger notifies on. */
export const CHANGES_CHANNEL = 'heroes_changes';

export type MembershipChange = 'ADDED' | 'UPDATED' | 'REMOVED';
export type NodeChange = 'CREATED' | 'UPDATED' | 'DELETED';
export type NodeType = 'Hero' | 'Team';

/**
 * Where an event is in the log: its transaction's position (commit order) and its number among
 * that transaction's events, counted over all of them (memberships, heroes and teams, whoever
 * follows them), so that it means the same to every subscriber and every server.
 */
export interface EventPosition {
  readonly position: number;
  readonly index: number;
}

/** Whether `a` comes after `b` in the log. */
export function isAfter(a: EventPosition, b: EventPosition): boolean {
  return a.position > b.position || (a.position === b.position && a.index > b.index);
}

// Cursors are opaque to clients: base64url of a version and the event's position. A client is
// meant to hand back what it got, not to build one; one that does not decode is CURSOR_EXPIRED,
// as is one whose transaction is no longer (or never was) in the log.
const CURSOR_VERSION = 'c1';

export function encodeCursor({ position, index }: EventPosition): string {
  return Buffer.from(`${CURSOR_VERSION}:${position}:${index}`).toString('base64url');
}

/** The position a cursor names, or null for one this server did not make. */
export function decodeCursor(cursor: string): EventPosition | null {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return null;
  const match = /^c1:([1-9]\d{0,15}):(0|[1-9]\d{0,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) return null;
  const position = Number(match[1]);
  const index = Number(match[2]);
  return Number.isSafeInteger(position) && Number.isSafeInteger(index) ? { position, index } : null;
}

export type LogEvent =
  | (EventPosition & {
      readonly of: 'membership';
      readonly committedAt: number;
      readonly kind: MembershipChange;
      readonly heroId: number;
      readonly teamId: number;
      readonly isTraining: boolean;
    })
  | (EventPosition & {
      readonly of: 'node';
      readonly committedAt: number;
      readonly kind: NodeChange;
      readonly type: NodeType;
      readonly id: number;
    });

const membershipKinds: Record<string, MembershipChange> = { LA: 'ADDED', LU: 'UPDATED', LR: 'REMOVED' };
const nodeKinds: Record<string, [NodeType, NodeChange]> = {
  HC: ['Hero', 'CREATED'],
  HU: ['Hero', 'UPDATED'],
  HD: ['Hero', 'DELETED'],
  TC: ['Team', 'CREATED'],
  TU: ['Team', 'UPDATED'],
  TD: ['Team', 'DELETED'],
};

/**
 * Calls `each` with every event of `entries` (a read of the log: whole transactions, in commit
 * order), numbered within its transaction. Nothing is built for the events `wanted` refuses, so a
 * read costs what its subscribers follow; their numbers are counted all the same.
 */
export function forEachEvent(
  entries: readonly LogEntry[],
  wanted: (of: 'membership' | 'node', a: number, b: number, type?: NodeType) => boolean,
  each: (event: LogEvent) => void,
): void {
  let position = -1;
  let index = 0;
  for (const entry of entries) {
    if (entry.position !== position) {
      position = entry.position;
      index = 0;
    }
    const { committedAt, rows } = entry;
    const membership = membershipKinds[entry.kind];
    if (membership) {
      for (let i = 0; i + 2 < rows.length; i += 3, index++) {
        const heroId = rows[i]!;
        const teamId = rows[i + 1]!;
        if (!wanted('membership', heroId, teamId)) continue;
        each({
          of: 'membership',
          position,
          index,
          committedAt,
          kind: membership,
          heroId,
          teamId,
          isTraining: rows[i + 2] === 1,
        });
      }
      continue;
    }
    const node = nodeKinds[entry.kind];
    // No other kind is written (migration change_log); one written by a newer server is skipped.
    if (!node) continue;
    const [type, kind] = node;
    for (const id of rows) {
      if (wanted('node', id, 0, type)) each({ of: 'node', position, index, committedAt, kind, type, id });
      index++;
    }
  }
}
