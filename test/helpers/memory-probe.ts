/**
 * Preloaded (`--import`) into a gateway process (the soak's, or a test's through `startProgram`'s `memoryProbe`):
 * answers `'memory'` on the IPC channel with the process's memory after a full garbage collection, so that figures
 * taken at different times compare what is still reachable rather than when the collector last ran, which is
 * also what makes them comparable across Node lines (each V8 sizes its heap, and so the RSS, its own way).
 * Needs `--expose-gc`.
 */

export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
}

const collect = (globalThis as { gc?: () => void }).gc;

process.on('message', (message) => {
  if (message !== 'memory') return;
  collect?.();
  const usage = process.memoryUsage();
  const sample: MemorySample = {
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    heapTotalBytes: usage.heapTotal,
    externalBytes: usage.external,
  };
  process.send?.(sample);
});
// The channel must not keep the gateway alive: it stops on SIGTERM as `npm start` does.
process.channel?.unref();
