/**
 * Whether the Redis event store can use Redis now: both its connections are ready, no command has failed since
 * the last successful probe, and the stream reader has its position. A failed command or a closed connection
 * makes Redis unreachable until a `PING` succeeds (tried every 250 ms); meanwhile the store works locally, its
 * outage queue holding what Redis is to get back.
 */
import type { Redis } from 'ioredis';

const PROBE_INTERVAL_MS = 250;

export interface RedisLinkOptions {
  /** The command connection, which the probe pings. */
  client: Redis;
  /** The stream reader's connection. */
  reader: Redis;
  /** Whether the stream reader has its position: until then neither appends nor replays go through Redis. */
  positioned: () => boolean;
  /** Redis has just become unreachable. */
  onUnreachable: () => void;
  /** A probe succeeded: Redis is reachable again. */
  onReachable: () => void;
  /** Told when `usable()` changes, once per change; for logs. @default none */
  onStateChange?: ((reachable: boolean) => void) | undefined;
}

export class RedisLink {
  /** Set when a command failed: Redis counts as unreachable until a probe succeeds. */
  private unreachable = false;
  private reportedUsable: boolean | null = null;
  private probeTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: RedisLinkOptions) {
    for (const connection of [options.client, options.reader]) {
      // Failures show in status(); ioredis reconnects by itself. An unhandled 'error' would end the process.
      connection.on('error', () => {});
      connection.on('close', () => this.markUnreachable());
      connection.on('ready', () => this.startProbe());
    }
  }

  connectionsReady(): boolean {
    return this.options.client.status === 'ready' && this.options.reader.status === 'ready';
  }

  /** Whether appends and replays go through Redis now. */
  usable(): boolean {
    return !this.closed && !this.unreachable && this.options.positioned() && this.connectionsReady();
  }

  /** A command failed or a connection closed: Redis is unreachable until a probe succeeds. */
  markUnreachable(): void {
    if (this.closed) return;
    this.unreachable = true;
    this.options.onUnreachable();
    this.reportChange();
    this.startProbe();
  }

  /** Tells `onStateChange` if `usable()` changed since it was last told (as when the reader got its position). */
  reportChange(): void {
    const usable = this.usable();
    if (usable === this.reportedUsable) return;
    this.reportedUsable = usable;
    this.options.onStateChange?.(usable);
  }

  /** Stops probing; Redis is unusable from now on. */
  close(): void {
    this.closed = true;
    clearInterval(this.probeTimer);
  }

  private startProbe(): void {
    if (this.probeTimer !== undefined || this.closed) return;
    this.probeTimer = setInterval(() => void this.probeOnce(), PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  private async probeOnce(): Promise<void> {
    if (!this.connectionsReady()) return;
    try {
      await this.options.client.ping();
    } catch {
      return;
    }
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.unreachable = false;
    this.reportChange();
    this.options.onReachable();
  }
}
