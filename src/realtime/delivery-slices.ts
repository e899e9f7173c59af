// Deliveries of change events, a slice at a time. An event with ten thousand subscribers is
// executed once (src/realtime/subscribe.ts), but each subscriber's message is still serialized and
// written on its own: done in one go for thousands, that is a long stretch in which the event
// loop answers nothing else, no query, no health check, and MAX_EVENT_LOOP_DELAY_MS refuses new
// requests. Each delivery first takes a turn: at most DELIVERIES_PER_SLICE go out per turn of the
// event loop, the rest wait for the next one (setImmediate, after the loop's I/O), in the order
// they asked. A subscriber's own events keep their order: it asks for its next turn only once its
// previous message is out.

/** Deliveries per turn of the event loop: a few ms of work. */
export const DELIVERIES_PER_SLICE = 256;

export class DeliverySlices {
  private left: number;
  private readonly waiting: (() => void)[] = [];
  private head = 0;
  private scheduled = false;

  constructor(private readonly perSlice: number = DELIVERIES_PER_SLICE) {
    this.left = perSlice;
  }

  /** Resolves when this delivery may go out: undefined (no wait) while the slice has room. */
  turn(): Promise<void> | undefined {
    this.schedule();
    if (this.left > 0 && this.head === this.waiting.length) {
      this.left--;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Deliveries waiting for a later slice. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.nextSlice());
  }

  private nextSlice(): void {
    this.scheduled = false;
    this.left = this.perSlice;
    while (this.left > 0 && this.head < this.waiting.length) {
      this.left--;
      const resolve = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as never;
      resolve();
    }
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    } else this.schedule();
  }
}

/** The process's slices, shared by every subscription over SSE and WebSocket. */
export const deliverySlices = new DeliverySlices();
