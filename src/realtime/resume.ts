import { GraphQLError } from 'graphql';
import { inLog, type LogEntry, replayPage } from '../db';
import { ErrorCode } from '../errors';
import { outsideRequest } from '../ops/request-tracking';
import { decodeCursor, type EventPosition, forEachEvent, isAfter, type NodeType } from './events';
import {
  type Delivery,
  EventLoaders,
  type EventStream,
  type MembershipEvent,
  type MembershipFilter,
  type NodeEvent,
} from './hub';

// Subscriptions that resume (`after:`): the events committed after the client's cursor are read
// from the change log, then the live ones follow, each exactly once.
//
// The seam: the subscription's live stream is registered in the hub first, in the same turn of
// the event loop as the feed's head is read (`upTo`): every event after `upTo` reaches the live
// stream, and the replay reads the log from the cursor up to `upTo`. The live stream holds what
// arrives meanwhile (up to MAX_QUEUED_EVENTS) and is read once the replay is done. Its floor (the
// cursor) drops what the client has already, for when this process's feed is behind the cursor
// (a cursor from another replica, which read further).

/** Transactions per page of a replay: its events are read as the client reads them, page by page. */
const REPLAY_TRANSACTIONS = 200;

export function cursorExpired(): GraphQLError {
  return new GraphQLError(
    'This cursor is not in the change log (older than CHANGE_LOG_RETENTION, or not made by this server): read the current state and subscribe again without `after`',
    { extensions: { code: ErrorCode.CURSOR_EXPIRED } },
  );
}

/** The position a client's cursor names, if it is still in the log; CURSOR_EXPIRED otherwise. */
export async function checkedCursor(cursor: string): Promise<EventPosition> {
  const position = decodeCursor(cursor);
  if (!position || !(await inLog(position.position))) throw cursorExpired();
  return position;
}

const membershipWanted =
  ({ heroId, teamId }: MembershipFilter) =>
  (of: string, hero: number, team: number) =>
    of === 'membership' && (heroId === undefined || hero === heroId) && (teamId === undefined || team === teamId);

/** The events of `entries` a membershipChanged subscription of `filter` follows. */
export function membershipEvents(filter: MembershipFilter): (entries: readonly LogEntry[]) => MembershipEvent[] {
  const wanted = membershipWanted(filter);
  return (entries) => {
    const shared = new EventLoaders();
    const events: MembershipEvent[] = [];
    forEachEvent(entries, wanted, (event) => {
      if (event.of === 'membership') events.push({ ...event, shared });
    });
    // The page's events run one after the other as the client reads them: the heroes and teams
    // they may select are read together when the first asks for one.
    shared.nodes.Hero.expect(events.map((event) => event.heroId));
    shared.nodes.Team.expect(events.map((event) => event.teamId));
    return events;
  };
}

/** The events of `entries` a nodeChanged subscription of one hero or team follows. */
export function nodeEvents(type: NodeType, id: number): (entries: readonly LogEntry[]) => NodeEvent[] {
  const wanted = (of: string, a: number, _b: number, nodeType?: NodeType) =>
    of === 'node' && a === id && nodeType === type;
  return (entries) => {
    const shared = new EventLoaders();
    const events: NodeEvent[] = [];
    forEachEvent(entries, wanted, (event) => {
      if (event.of === 'node') events.push({ ...event, shared });
    });
    return events;
  };
}

/** The replay from `after` up to `upTo`, page by page as the client reads, then `live`. */
export class ResumedStream<Event extends EventPosition> implements AsyncIterableIterator<Delivery<Event>> {
  private buffer: Event[] = [];
  private taken = 0;
  private anchor: number;
  private from: number;
  private replaying: boolean;
  /** The cursor was pruned while its replay was read: the stream's last delivery. */
  private expired: GraphQLError | null = null;
  private over = false;

  constructor(
    private readonly live: EventStream<Event>,
    private readonly after: EventPosition,
    private readonly upTo: number,
    private readonly toEvents: (entries: readonly LogEntry[]) => Event[],
  ) {
    this.anchor = after.position;
    // The cursor's own transaction first: its events after the cursor's.
    this.from = after.position;
    this.replaying = upTo >= after.position;
  }

  async next(): Promise<IteratorResult<Delivery<Event>>> {
    while (this.replaying && this.taken >= this.buffer.length) await this.page();
    if (this.taken < this.buffer.length) return { value: this.buffer[this.taken++]!, done: false };
    if (this.expired) {
      // Before anything live: what lies between the replay's last event and the live ones is gone.
      // The stream ends after it (the live one too, at the next read).
      const error = this.expired;
      this.expired = null;
      this.over = true;
      return { value: error, done: false };
    }
    if (this.over) return this.live.return();
    return this.live.next();
  }

  private async page(): Promise<void> {
    const { anchored, entries } = await outsideRequest(
      () => replayPage(this.anchor, this.from, this.upTo, REPLAY_TRANSACTIONS),
      'subscription_event',
    );
    if (!this.replaying) return;
    if (!anchored) {
      // Pruned while it was being read: what follows it may be gone.
      this.replaying = false;
      this.expired = cursorExpired();
      return;
    }
    let transactions = 0;
    for (let i = 0; i < entries.length; i++)
      if (i === 0 || entries[i]!.position !== entries[i - 1]!.position) transactions++;
    if (entries.length > 0) {
      this.anchor = entries.at(-1)!.position;
      this.from = this.anchor + 1;
    }
    if (transactions < REPLAY_TRANSACTIONS) this.replaying = false;
    this.buffer = this.toEvents(entries).filter((event) => isAfter(event, this.after));
    this.taken = 0;
  }

  return(): Promise<IteratorResult<Delivery<Event>>> {
    this.replaying = false;
    this.buffer = [];
    this.taken = 0;
    return this.live.return();
  }

  throw(): Promise<IteratorResult<Delivery<Event>>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
