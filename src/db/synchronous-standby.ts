import { config } from '../config';
import { followerFor, probeSettings } from './host-list';

// REQUIRE_SYNCHRONOUS_STANDBY: a commit is acknowledged to the client only once a synchronous
// standby has flushed it (synchronous_commit on or remote_apply, and a standby named by
// synchronous_standby_names), so promoting that standby loses no acknowledged write. Without it,
// PostgreSQL acknowledges a commit once it is on the primary's disk: a primary lost before its
// standby received the WAL takes those commits with it. The server can check what the primary
// promises, not what the promotion tool does afterwards: see docs/scaling.md, "Losing the primary".

/** Settings under which a commit waits for a standby to flush it (remote_write waits only for its OS's write). */
const waitsForFlush = new Set(['on', 'remote_apply']);

/** Why a primary with these settings does not promise a synchronous standby, or null when it does. */
export function synchronousStandbyMissing(settings: { names: string; commit: string }): string | null {
  if (settings.names.trim() === '') return 'synchronous_standby_names is empty: commits wait for no standby';
  if (!waitsForFlush.has(settings.commit)) {
    return `synchronous_commit is ${settings.commit}: commits are acknowledged before a standby has flushed them (on or remote_apply needed)`;
  }
  return null;
}

/**
 * Throws when REQUIRE_SYNCHRONOUS_STANDBY is set and the primary (DATABASE_DIRECT_URL's: the
 * server itself, not PgBouncer) does not wait for a synchronous standby. Nothing to do otherwise.
 */
export async function requireSynchronousStandby(): Promise<void> {
  if (!config.requireSynchronousStandby) return;
  const follower = followerFor(config.directUrl!);
  await follower?.ready();
  const settings = await probeSettings(follower?.url ?? config.directUrl!, config.connectTimeoutMs);
  const missing = synchronousStandbyMissing(settings);
  if (missing) {
    throw new Error(
      `REQUIRE_SYNCHRONOUS_STANDBY is set but the primary does not promise a synchronous standby: ${missing}. ` +
        'Set synchronous_standby_names and synchronous_commit = on on the primary (docs/scaling.md, "Losing the primary"), or unset REQUIRE_SYNCHRONOUS_STANDBY.',
    );
  }
}
