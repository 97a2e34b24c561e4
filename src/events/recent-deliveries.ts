/**
 * The delivery ids a process has seen recently, for deduplication: bounded in count, and forgotten after a time
 * window unless the caller says the event is still retained (a retained event's id is always recognised).
 * Ids are kept in the order first seen, so the oldest are dropped first.
 */
export interface RecentDeliveriesOptions<V> {
  maxEntries: number;
  windowMs: number;
  now: () => number;
  /** Whether the event recorded as `value` is still retained; such an entry outlives the window. */
  isRetained: (value: V) => boolean;
}

export class RecentDeliveries<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();

  constructor(private readonly options: RecentDeliveriesOptions<V>) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: string): V | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (this.forgettable(entry)) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.value;
  }

  /** Records `id` (keeping its first-seen time and place if it is already known) and trims the oldest. */
  set(id: string, value: V): void {
    const known = this.entries.get(id);
    if (known) known.value = value;
    else this.entries.set(id, { value, at: this.options.now() });
    this.trim();
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  private forgettable(entry: { value: V; at: number }): boolean {
    return this.options.now() - entry.at > this.options.windowMs && !this.options.isRetained(entry.value);
  }

  private trim(): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && !this.forgettable(entry)) break;
      this.entries.delete(id);
    }
  }
}
