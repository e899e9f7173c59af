import { config } from '../config';
import { beforeCloseDatabase, type LogEntry, logHead } from '../db';
import { watchSubscriptions } from '../ops/metrics';
import { ChangeFeed } from './change-feed';
import { type ChangeSource, createChangeSource } from './event-source';
import { Hub } from './hub';

// The process's one hub of subscribers, its one reader of the change log (the feed) and the one
// source of wake-ups (LISTEN). They start with the first subscription (a process that serves none
// holds no LISTEN connection and reads no log) and stop when the database closes, which first ends
// every subscription.

export const hub = new Hub({
  maxQueued: config.realtime.maxQueuedEvents,
  maxSubscriptions: config.realtime.maxSubscriptions,
});
watchSubscriptions(() => hub.size);

/**
 * Another reader of the change events than the hub's subscribers (the response cache): it hears
 * every read of the log, and when the events may be missed for a while (the LISTEN connection
 * lost, a read of the log failed) and when they are whole again (a read after that succeeded while
 * listening: everything committed before it has been handed on).
 */
export interface ChangeFollower {
  changes(entries: readonly LogEntry[]): void;
  interrupted(): void;
  resumed(): void;
}

const followers = new Set<ChangeFollower>();

export const feed = new ChangeFeed(
  logHead,
  (entries) => {
    hub.publish(entries);
    for (const follower of followers) follower.changes(entries);
  },
  (ok) => {
    for (const follower of followers) {
      if (!ok) follower.interrupted();
      else if (source?.listening) follower.resumed();
    }
  },
);

let source: ChangeSource | undefined;

/**
 * Hands every change event read from now on to `follower`, and listens for changes (if not yet):
 * `resumed` is called once the events are followed, `interrupted` whenever some may be missed.
 */
export function followChanges(follower: ChangeFollower): Promise<void> {
  followers.add(follower);
  return listenForChanges().then(() => feed.caughtUp());
}

/**
 * Listens for changes, if not yet, and learns where the log ends: resolves once it listens (or
 * after PG_CONNECT_TIMEOUT_MS if the database cannot be reached: the subscription then gets its
 * events once the connection is back, from the log), so that a subscription registered after it
 * gets every event committed after the feed's head.
 */
export async function listenForChanges(): Promise<void> {
  source ??= createChangeSource(
    (payload) => feed.notified(payload),
    () => feed.wake(),
    () => {
      for (const follower of followers) follower.interrupted();
    },
  );
  if (!source.listening) await source.start(config.connectTimeoutMs);
  // After LISTEN: a commit notified before the head is known is read once it is (ChangeFeed.start).
  await feed.start();
}

beforeCloseDatabase(async () => {
  for (const follower of followers) follower.interrupted();
  followers.clear();
  hub.completeAll();
  feed.stop();
  const stopping = source;
  source = undefined;
  await stopping?.stop();
});
