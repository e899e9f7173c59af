import { EVERYTHING } from '../schema/read-dependencies';

// The response cache's store: answers (their JSON) by key, each with the keys of what it read
// (src/schema/read-dependencies.ts), dropped when an event names one of those, or when the store is
// full (least recently used first). Nothing here knows GraphQL or the database: the plugin
// (src/graphql/response-cache.ts) feeds it.

interface Entry {
  readonly key: string;
  readonly json: string;
  readonly dependsOn: readonly string[];
  readonly bytes: number;
}

/** Dropped keys, as one event batch dropped them, and when (performance.now()); null: everything. */
interface Drop {
  readonly at: number;
  readonly keys: ReadonlySet<string> | null;
}

/** What store() did with an answer. */
export type StoreOutcome = 'stored' | 'raced' | 'too-large';

/** Bytes held for an entry beside its answer: the map entries, the key's and the dependencies' sets. */
const ENTRY_OVERHEAD = 200;
const DEPENDENCY_OVERHEAD = 64;
/** How many recent drops are remembered, for answers whose execution overlapped them. */
const RECENT_DROPS = 4096;

export class ResponseCacheStore {
  /** By key, least recently used first. */
  private readonly entries = new Map<string, Entry>();
  /** The entries that depend on each key. */
  private readonly dependents = new Map<string, Set<Entry>>();
  private readonly recent: Drop[] = [];
  /** When the oldest drop no longer remembered happened: answers begun before it are not kept. */
  private forgottenAt = -Infinity;
  bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The answer kept under `key`, now the most recently used; undefined if none. */
  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.json;
  }

  /**
   * Keeps `json` under `key`, depending on `dependsOn`, unless a drop since `startedAt - settleMs`
   * names one of them: the answer may have been read before the change that drop announced (or,
   * from a replica, up to `settleMs` behind it), and keeping it would keep what is stale.
   */
  store(key: string, json: string, dependsOn: ReadonlySet<string>, startedAt: number, settleMs: number): StoreOutcome {
    const since = startedAt - settleMs;
    if (since <= this.forgottenAt) return 'raced';
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const drop = this.recent[i]!;
      if (drop.at < since) break;
      if (drop.keys === null || dependsOn.has(EVERYTHING)) return 'raced';
      for (const dependency of dependsOn) if (drop.keys.has(dependency)) return 'raced';
    }
    const bytes = ENTRY_OVERHEAD + 2 * key.length + json.length + dependsOn.size * DEPENDENCY_OVERHEAD;
    if (bytes > this.maxBytes / 4) return 'too-large';
    this.remove(this.entries.get(key));
    const entry: Entry = { key, json, dependsOn: [...dependsOn], bytes };
    this.entries.set(key, entry);
    for (const dependency of entry.dependsOn) {
      let set = this.dependents.get(dependency);
      if (!set) this.dependents.set(dependency, (set = new Set()));
      set.add(entry);
    }
    this.bytes += bytes;
    for (const oldest of this.entries.values()) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
    return 'stored';
  }

  /** Drops every answer that depends on one of `keys`; returns how many. */
  drop(keys: readonly string[], at: number): number {
    this.remember({ at, keys: new Set(keys) });
    let dropped = 0;
    for (const key of keys) {
      const set = this.dependents.get(key);
      if (!set) continue;
      for (const entry of [...set]) {
        this.remove(entry);
        dropped++;
      }
    }
    return dropped;
  }

  /** Drops every answer, and refuses the answers of executions under way. */
  clear(at: number): number {
    this.remember({ at, keys: null });
    const dropped = this.entries.size;
    this.entries.clear();
    this.dependents.clear();
    this.bytes = 0;
    return dropped;
  }

  private remember(drop: Drop): void {
    if (this.recent.length >= RECENT_DROPS) this.forgottenAt = this.recent.shift()!.at;
    this.recent.push(drop);
  }

  private remove(entry: Entry | undefined): void {
    if (!entry || this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    this.bytes -= entry.bytes;
    for (const dependency of entry.dependsOn) {
      const set = this.dependents.get(dependency);
      if (!set) continue;
      set.delete(entry);
      if (set.size === 0) this.dependents.delete(dependency);
    }
  }
}
