/**
 * The events a Redis event store accepted while Redis was unreachable, in order, waiting to be written to the
 * stream. Bounded in count and in body bytes: past either bound the store refuses new deliveries rather than
 * accept what it might lose, and never drops an event it has already acknowledged to make room.
 */
import type { Redis } from 'ioredis';
import type { RedisLink } from './redis-link.ts';
import { type AppendBounds, appendArguments, type StreamKeys } from './redis-stream.ts';
import type { SystemHookEventSource } from './types.ts';

/** Events written to Redis in one pipeline. */
const FLUSH_BATCH = 100;

export interface OutageQueueOptions {
  client: Redis;
  keys: StreamKeys;
  bounds: AppendBounds;
  /** Whether Redis is usable, and where a failed write is reported. */
  link: RedisLink;
  maxEvents: number;
  maxBytes: number;
}

export class OutageQueue {
  private readonly events: SystemHookEventSource[] = [];
  private bytes = 0;
  private flushing = false;

  constructor(private readonly options: OutageQueueOptions) {}

  get length(): number {
    return this.events.length;
  }

  /** Whether an event of `bodyBytes` more fits within the bounds. */
  fits(bodyBytes: number): boolean {
    return this.events.length < this.options.maxEvents && this.bytes + bodyBytes <= this.options.maxBytes;
  }

  /** Queues `event` and starts writing the queue, if Redis is usable. */
  push(event: SystemHookEventSource): void {
    this.events.push(event);
    this.bytes += event.bodyBytes;
    void this.flush();
  }

  /** Writes the queue to Redis, in order, while Redis is usable; one flush at a time. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.events.length > 0 && this.options.link.usable()) {
        if ((await this.flushBatch()) === 0) break;
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Writes the first events of the queue; returns how many were written (0 when Redis failed). */
  private async flushBatch(): Promise<number> {
    const { client, keys, bounds } = this.options;
    const batch = this.events.slice(0, FLUSH_BATCH);
    const pipeline = client.pipeline();
    for (const event of batch) pipeline.appendSystemHookEvent(...appendArguments(keys, event, bounds));
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch {
      results = null;
    }
    let written = 0;
    while (written < batch.length && results?.[written]?.[0] === null) written += 1;
    for (const event of this.events.splice(0, written)) this.bytes -= event.bodyBytes;
    if (written < batch.length) this.options.link.markUnreachable();
    return written;
  }
}
