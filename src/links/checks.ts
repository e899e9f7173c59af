import { badInput } from '../errors';
import { globalId } from '../ids';

/** BAD_USER_INPUT naming the first id a list holds twice (in time linear in the list). */
export function refuseRepeated(type: string, ids: readonly number[]): void {
  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id)) throw badInput(`${type} ${globalId(type, id)} is listed more than once`);
    seen.add(id);
  }
}
