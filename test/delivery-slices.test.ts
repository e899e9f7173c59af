import { DeliverySlices } from '../src/realtime/delivery-slices';

// The slices that spread a large fan-out over turns of the event loop (src/realtime/delivery-slices.ts).

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('DeliverySlices', () => {
  it('lets at most a slice of deliveries go out per turn of the event loop, in the order they asked', async () => {
    const slices = new DeliverySlices(10);
    const gone: number[] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 25; i++) {
      const turn = slices.turn();
      if (turn === undefined) gone.push(i);
      else waits.push(turn.then(() => void gone.push(i)));
    }
    expect(gone).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(slices.queued).toBe(15);
    await nextTurn();
    expect(gone).toHaveLength(20);
    await nextTurn();
    await Promise.all(waits);
    expect(gone).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(slices.queued).toBe(0);
  });

  it('lets I/O callbacks of the event loop run between slices', async () => {
    const slices = new DeliverySlices(5);
    const order: string[] = [];
    const waits = Array.from({ length: 20 }, (_, i) => Promise.resolve(slices.turn()).then(() => order.push(`d${i}`)));
    setImmediate(() => order.push('other'));
    await Promise.all(waits);
    // The first slice went at once; "other", queued after it, ran before the last slices.
    expect(order.indexOf('other')).toBeGreaterThanOrEqual(5);
    expect(order.indexOf('other')).toBeLessThan(20);
  });
});
