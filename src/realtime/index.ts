import { config } from '../config';
import { beforeCloseDatabase } from '../db';
import { watchSubscriptions } from '../ops/metrics';
import { type ChangeSource, createChangeSource } from './event-source';
import { Hub } from './hub';

// The process's one hub of subscribers and one source of change events. The source starts with the
// first subscription (a process that serves none holds no LISTEN connection) and stops when the
// database closes, which first ends every subscription.

export const hub = new Hub({
  maxQueued: config.realtime.maxQueuedEvents,
  maxSubscriptions: config.realtime.maxSubscriptions,
});
watchSubscriptions(() => hub.size);

let source: ChangeSource | undefined;

/**
 * Listens for changes, if not yet: resolves once it listens, so that a subscription answered after
 * it misses no change committed after that, or after PG_CONNECT_TIMEOUT_MS if the database cannot
 * be reached (the subscription then gets its events once the connection is back).
 */
export function listenForChanges(): Promise<void> {
  source ??= createChangeSource((payload) => hub.publish(payload));
  return source.listening ? Promise.resolve() : source.start(config.connectTimeoutMs);
}

beforeCloseDatabase(async () => {
  hub.completeAll();
  const stopping = source;
  source = undefined;
  await stopping?.stop();
});
