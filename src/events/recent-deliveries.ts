/**
 * The delivery ids a process has seen recently, for deduplication: forgotten after a time window unless the
 * caller says the event is still retained (a retained event's id is always recognised), and bounded in count.
 * Ids are kept in the order first seen, so the oldest are dropped first.
 */
export interface RecentDeliveriesOptions<V> {
  maxEntries: number;
  windowMs: number;
  now: () => number;
  /** Whether the event recorded as `value` is still retained; such an entry outlives the window. */
  isRetained: (value: V) => boolean;
  /**
   * What `maxEntries` does: `forget-oldest` drops the oldest ids, even inside the window (a cache of what
   * something else remembers); `refuse` keeps every id inside the window and refuses new ones instead.
   */
  whenFull: 'forget-oldest' | 'refuse';
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

  /**
   * Records `id` (keeping its first-seen time and place if it is already known) and trims the oldest; false,
   * recording nothing, when a new id would go past `maxEntries` and the ids are not to be forgotten.
   */
  set(id: string, value: V): boolean {
    const known = this.entries.get(id);
    if (known) {
      known.value = value;
      return true;
    }
    this.trim(this.options.maxEntries - 1);
    if (this.options.whenFull === 'refuse' && this.entries.size >= this.options.maxEntries) return false;
    this.entries.set(id, { value, at: this.options.now() });
    return true;
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  private forgettable(entry: { value: V; at: number }): boolean {
    return this.options.now() - entry.at > this.options.windowMs && !this.options.isRetained(entry.value);
  }

  /** Drops the oldest entries past the window, and (`forget-oldest`) the oldest beyond `room`. */
  private trim(room: number): void {
    const byCount = this.options.whenFull === 'forget-oldest';
    for (const [id, entry] of this.entries) {
      if (!(byCount && this.entries.size > room) && !this.forgettable(entry)) break;
      this.entries.delete(id);
    }
  }
}
