import { prisma } from '../db';

let stopping = false;

/** From now on readiness answers 503, so load balancers send no new requests. */
export function markStopping(): void {
  stopping = true;
}

/** Whether this instance should get traffic: not shutting down, and the database answers. */
export async function isReady(): Promise<boolean> {
  if (stopping) return false;
  try {
    await prisma.$queryRaw`SELECT 1`;
    return true;
  } catch {
    return false;
  }
}
