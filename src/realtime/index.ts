import { config } from '../config';
import { beforeCloseDatabase, logHead } from '../db';
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

export const feed = new ChangeFeed(logHead, (entries) => hub.publish(entries));

let source: ChangeSource | undefined;

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
  );
  if (!source.listening) await source.start(config.connectTimeoutMs);
  // After LISTEN: a commit notified before the head is known is read once it is (ChangeFeed.start).
  await feed.start();
}

beforeCloseDatabase(async () => {
  hub.completeAll();
  feed.stop();
  const stopping = source;
  source = undefined;
  await stopping?.stop();
});
