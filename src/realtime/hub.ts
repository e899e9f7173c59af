import { GraphQLError } from 'graphql';
import { primaryReads } from '../db/replica-routing';
import { ErrorCode, httpOf } from '../errors';
import { createLoaders, type Loaders } from '../graphql/context';
import { countShed, countSubscriptionDeliveries } from '../ops/metrics';
import type { LogEntry } from '../db';
import {
  type EventPosition,
  forEachEvent,
  isAfter,
  type MembershipChange,
  type NodeChange,
  type NodeType,
} from './events';

// The process's subscribers and the fan-out of change events to them. One reader of the change
// log (src/realtime/change-feed.ts, woken by the LISTEN connection) hands in every read; each event goes only to
// the subscriptions whose arguments match it, found through indexes (by hero, by team, by both, by
// node), so an event costs what its subscribers cost, not what all the process's subscriptions
// would. Nothing is read from the database here: the events' heroes and teams are read when a
// subscription's selection asks for them, through loaders made once per read of the log and shared
// by every subscriber of its events (EventLoaders), so the statements of an event do not grow with
// its subscribers.

/**
 * Loaders shared by every subscriber of the events of one read of the log, made on first use. They
 * read from the primary, never a read replica: the notification comes from the primary as its
 * transaction commits, and a replica may not have replayed that commit yet, so an event's hero
 * read there could be missing or older than the event says (an ADDED membership whose hero is
 * null). Waiting for a replica to reach the commit's position would need that position in every
 * notification and a wait per event; an event's reads are shared by all its subscribers, so the
 * primary serves one statement per event and type whatever their number.
 */
export class EventLoaders implements Loaders {
  private made: Loaders | null = null;

  private get all() {
    return (this.made ??= createLoaders(primaryReads));
  }

  get loaders() {
    return this.all.loaders;
  }

  get nodes() {
    return this.all.nodes;
  }
}

/** Where an event is in the log (its cursor) and when its transaction committed (ms since the epoch). */
interface Logged extends EventPosition {
  readonly committedAt: number;
}

export interface MembershipEvent extends Logged {
  readonly kind: MembershipChange;
  readonly heroId: number;
  readonly teamId: number;
  readonly isTraining: boolean;
  readonly shared: EventLoaders;
}

export interface NodeEvent extends Logged {
  readonly kind: NodeChange;
  readonly type: NodeType;
  readonly id: number;
  readonly shared: EventLoaders;
}

/** What a subscription's source stream yields: an event, or the error that ends it. */
export type Delivery<Event> = Event | GraphQLError;

/**
 * One subscription's stream of events: a queue its consumer (the subscription's execution, one
 * event at a time) reads from. It holds at most `maxQueued` events: a consumer further behind than
 * that (a client that stopped reading) is ended with EVENT_QUEUE_FULL rather than let its queue
 * grow without bound.
 */
export class EventStream<Event extends EventPosition> implements AsyncIterableIterator<Delivery<Event>> {
  private queue: Delivery<Event>[] = [];
  /**
   * Events at or before this position are not this stream's: a resumed subscription's client has
   * them already (src/realtime/resume.ts), or gets them from its replay.
   */
  floor: EventPosition | null = null;
  private head = 0;
  private waiting: ((result: IteratorResult<Delivery<Event>>) => void) | null = null;
  private ending = false;
  private ended = false;

  constructor(
    private readonly maxQueued: number,
    private readonly onEnd: () => void,
  ) {}

  get queued(): number {
    return this.queue.length - this.head;
  }

  push(event: Event): void {
    if (this.ending) return;
    if (this.floor && !isAfter(event, this.floor)) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: event, done: false });
      return;
    }
    if (this.queued >= this.maxQueued) {
      this.fail(
        new GraphQLError(
          `This subscription fell ${this.maxQueued} events behind (MAX_QUEUED_EVENTS) and was ended: subscribe again and read the current state`,
          { extensions: { code: ErrorCode.EVENT_QUEUE_FULL } },
        ),
      );
      return;
    }
    this.queue.push(event);
  }

  /** Delivers `error` after the events queued, then ends the stream. */
  fail(error: GraphQLError): void {
    if (this.ending) return;
    this.queue.push(error);
    this.complete();
  }

  /** Ends the stream once its consumer has read the events queued. */
  complete(): void {
    if (this.ending) return;
    this.ending = true;
    this.onEnd();
    if (this.waiting && this.queued === 0) this.finish();
    else if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: this.take(), done: false });
    }
  }

  private take(): Delivery<Event> {
    const value = this.queue[this.head]!;
    this.queue[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  private finish(): void {
    this.ended = true;
    this.queue = [];
    this.head = 0;
    const resolve = this.waiting;
    this.waiting = null;
    resolve?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<Delivery<Event>>> {
    if (this.queued > 0) return Promise.resolve({ value: this.take(), done: false });
    if (this.ending || this.ended) {
      this.ended = true;
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<Delivery<Event>>> {
    if (!this.ending) {
      this.ending = true;
      this.onEnd();
    }
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(): Promise<IteratorResult<Delivery<Event>>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export interface MembershipFilter {
  heroId?: number;
  teamId?: number;
}

/** A set per key, dropped when its last member leaves. */
class Index<Key, Member> {
  private readonly sets = new Map<Key, Set<Member>>();

  add(key: Key, member: Member): void {
    let set = this.sets.get(key);
    if (!set) this.sets.set(key, (set = new Set()));
    set.add(member);
  }

  delete(key: Key, member: Member): void {
    const set = this.sets.get(key);
    if (set?.delete(member) && set.size === 0) this.sets.delete(key);
  }

  get(key: Key): Set<Member> | undefined {
    return this.sets.get(key);
  }
}

type MembershipStream = EventStream<MembershipEvent>;
type NodeStream = EventStream<NodeEvent>;

export interface HubOptions {
  /** Most events one subscription may have waiting for its consumer (MAX_QUEUED_EVENTS). */
  maxQueued: number;
  /** Most subscriptions open at once (MAX_SUBSCRIPTIONS). */
  maxSubscriptions: number;
}

export class Hub {
  private readonly allMemberships = new Set<MembershipStream>();
  private readonly byHero = new Index<number, MembershipStream>();
  private readonly byTeam = new Index<number, MembershipStream>();
  private readonly byPair = new Index<string, MembershipStream>();
  private readonly byNode = new Index<string, NodeStream>();
  private readonly open = new Set<EventStream<never>>();
  private stopping = false;

  constructor(private readonly options: HubOptions) {}

  /** Open subscriptions. */
  get size(): number {
    return this.open.size;
  }

  /** Refuses one more subscription past MAX_SUBSCRIPTIONS: 503, as for other work past a bound. */
  private checkRoom(): void {
    if (this.stopping) {
      throw new GraphQLError('The server is stopping: subscribe again shortly', {
        extensions: { code: ErrorCode.OVERLOADED, http: httpOf(ErrorCode.OVERLOADED) },
      });
    }
    if (this.open.size < this.options.maxSubscriptions) return;
    countShed('subscriptions');
    throw new GraphQLError(
      `This server has ${this.open.size} subscriptions open, MAX_SUBSCRIPTIONS=${this.options.maxSubscriptions}: retry later`,
      {
        extensions: { code: ErrorCode.MAX_SUBSCRIPTIONS_EXCEEDED, http: httpOf(ErrorCode.MAX_SUBSCRIPTIONS_EXCEEDED) },
      },
    );
  }

  /** A stream of the membership changes `filter` keeps: of one hero, one team, both, or all. */
  memberships(filter: MembershipFilter, floor: EventPosition | null = null): MembershipStream {
    this.checkRoom();
    const { heroId, teamId } = filter;
    let remove: () => void;
    if (heroId !== undefined && teamId !== undefined) {
      const key = `${heroId}:${teamId}`;
      remove = () => this.byPair.delete(key, stream);
    } else if (heroId !== undefined) {
      remove = () => this.byHero.delete(heroId, stream);
    } else if (teamId !== undefined) {
      remove = () => this.byTeam.delete(teamId, stream);
    } else {
      remove = () => this.allMemberships.delete(stream);
    }
    const stream: MembershipStream = new EventStream(this.options.maxQueued, () => {
      remove();
      this.open.delete(stream as never);
    });
    stream.floor = floor;
    if (heroId !== undefined && teamId !== undefined) this.byPair.add(`${heroId}:${teamId}`, stream);
    else if (heroId !== undefined) this.byHero.add(heroId, stream);
    else if (teamId !== undefined) this.byTeam.add(teamId, stream);
    else this.allMemberships.add(stream);
    this.open.add(stream as never);
    return stream;
  }

  /** A stream of the changes of one hero or team. */
  node(type: NodeType, id: number, floor: EventPosition | null = null): NodeStream {
    this.checkRoom();
    const key = `${type}:${id}`;
    const stream: NodeStream = new EventStream(this.options.maxQueued, () => {
      this.byNode.delete(key, stream);
      this.open.delete(stream as never);
    });
    stream.floor = floor;
    this.byNode.add(key, stream);
    this.open.add(stream as never);
    return stream;
  }

  /**
   * Hands the events of one read of the log (whole transactions, in commit order) to their
   * subscribers, in order. One EventLoaders serves the whole read.
   */
  publish(entries: readonly LogEntry[]): void {
    if (this.open.size === 0) return;
    let shared: EventLoaders | undefined;
    forEachEvent(
      entries,
      (of, a, b, type) =>
        of === 'membership'
          ? this.allMemberships.size > 0 ||
            this.byHero.get(a) !== undefined ||
            this.byTeam.get(b) !== undefined ||
            this.byPair.get(`${a}:${b}`) !== undefined
          : this.byNode.get(`${type}:${a}`) !== undefined,
      (logged) => {
        shared ??= new EventLoaders();
        if (logged.of === 'membership') {
          const { heroId, teamId } = logged;
          const event: MembershipEvent = { ...logged, shared };
          const all = this.allMemberships;
          const ofHero = this.byHero.get(heroId);
          const ofTeam = this.byTeam.get(teamId);
          const ofPair = this.byPair.get(`${heroId}:${teamId}`);
          // Each subscription is in exactly one of these: none gets an event twice.
          for (const stream of all) stream.push(event);
          if (ofHero) for (const stream of ofHero) stream.push(event);
          if (ofTeam) for (const stream of ofTeam) stream.push(event);
          if (ofPair) for (const stream of ofPair) stream.push(event);
          countSubscriptionDeliveries(all.size + (ofHero?.size ?? 0) + (ofTeam?.size ?? 0) + (ofPair?.size ?? 0));
        } else {
          const streams = this.byNode.get(`${logged.type}:${logged.id}`)!;
          const event: NodeEvent = { ...logged, shared };
          for (const stream of streams) stream.push(event);
          countSubscriptionDeliveries(streams.size);
        }
      },
    );
  }

  /**
   * Ends every subscription (their streams complete once read) and refuses new ones (503
   * OVERLOADED): the server is stopping.
   */
  completeAll(): void {
    this.stopping = true;
    for (const stream of [...this.open]) stream.complete();
  }
}
