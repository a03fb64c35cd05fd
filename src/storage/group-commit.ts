/**
 * Group commit: requests that want D1 work while a flush is in flight join the next flush, so
 * under load many requests share one D1 round trip, and with no load nothing waits.
 *
 * Each flush runs in the context of a request whose own item is in it, and that request waits
 * until the flush is over: Workers only allow I/O from a live request, and a flush never outlives
 * the request that runs it.
 */
export class GroupCommit<In, Out> {
  private pending: Item<In, Out>[] = [];
  private inFlight: Promise<void> | null = null;

  constructor(
    /** Does the work for a group; returns one result per input, in order. */
    private readonly flush: (inputs: In[]) => Promise<Out[]>,
    /** Most items in one flush, and their largest total weight. */
    private readonly limits: { maxItems: number; maxWeight?: number; weigh?: (input: In) => number },
  ) {}

  /** Items waiting for a flush. */
  get backlog(): number {
    return this.pending.length;
  }

  async submit(input: In): Promise<Out> {
    const item: Item<In, Out> = { input, settled: false };
    this.pending.push(item);
    while (!item.settled) {
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      this.inFlight = this.flushPending().finally(() => (this.inFlight = null));
      await this.inFlight;
    }
    if (item.error !== undefined) throw item.error;
    return item.result as Out;
  }

  private async flushPending(): Promise<void> {
    const group = this.takeGroup();
    try {
      const results = await this.flush(group.map((item) => item.input));
      group.forEach((item, i) => Object.assign(item, { settled: true, result: results[i] }));
    } catch (error) {
      group.forEach((item) => Object.assign(item, { settled: true, error }));
    }
  }

  private takeGroup(): Item<In, Out>[] {
    const { maxItems, maxWeight = Infinity, weigh = () => 0 } = this.limits;
    let weight = 0;
    let count = 0;
    while (count < this.pending.length && count < maxItems) {
      weight += weigh(this.pending[count].input);
      if (count > 0 && weight > maxWeight) break;
      count++;
    }
    return this.pending.splice(0, count);
  }
}

interface Item<In, Out> {
  input: In;
  settled: boolean;
  result?: Out;
  error?: unknown;
}
