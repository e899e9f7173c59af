import type { Caller } from '../access/roles';

// A subscription lives no longer than the token it was opened with: its transport ends it when the
// token's `exp` comes (WebSocket: src/realtime/websocket.ts; Server-Sent Events: subscribe.ts).

/** The longest delay setTimeout takes (about 24.8 days); a token valid longer is not timed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs `expire` when the caller's token expires (at once if it has); returns what cancels it.
 * Undefined when there is nothing to time: no token, or one valid past MAX_TIMER_MS.
 */
export function atTokenExpiry(caller: Caller, expire: () => void): (() => void) | undefined {
  if (caller.expiresAt === undefined) return undefined;
  const delay = caller.expiresAt - Date.now();
  if (delay > MAX_TIMER_MS) return undefined;
  const timer = setTimeout(expire, Math.max(0, delay));
  return () => clearTimeout(timer);
}
