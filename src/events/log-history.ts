/**
 * The history of one process's `EventLog`: positions are the log's sequence numbers, so a scan is a walk over the
 * ring. The in-memory store reads its history here.
 */

import { systemHookEventType } from './catalogue.ts';
import type { HistorySource, ScannedEvent, ScanStart } from './event-history.ts';
import type { EventLog } from './event-log.ts';

/**
 * The log's retained events as a history; `positionOf` says where a cursor's event sits (-1: before the first),
 * or throws; `headCursor` names the place after the newest event.
 */
export function logHistory(
  log: EventLog,
  positionOf: (cursor: string) => number,
  headCursor: () => string,
): HistorySource<number> {
  return {
    positionOf: async (cursor) => positionOf(cursor),
    async scan(direction, from, limit, accept) {
      const step = direction === 'forward' ? 1 : -1;
      const found: ScannedEvent<number>[] = [];
      for (
        let at = startOf(log, step, from);
        found.length < limit && at >= log.oldest && at < log.head;
        at += step
      ) {
        const event = log.at(at);
        if (event !== undefined && accept(event)) found.push({ event, position: at });
      }
      return found;
    },
    async snapshot(types) {
      return { head: log.head - 1, headCursor: headCursor(), count: countOf(log, types) };
    },
    compare: (a, b) => a - b,
  };
}

function countOf(log: EventLog, types: ReadonlySet<string> | null): number {
  if (types === null) return log.size;
  let count = 0;
  for (let at = log.oldest; at < log.head; at += 1) {
    const event = log.at(at);
    if (event !== undefined && types.has(systemHookEventType(event.payload))) count += 1;
  }
  return count;
}

/** The first sequence number a scan in the direction of `step` reads: within the log, from a place outside it too. */
function startOf(log: EventLog, step: 1 | -1, from: ScanStart<number> | null): number {
  if (from === null) return step === 1 ? log.oldest : log.head - 1;
  const start = from.inclusive ? from.position : from.position + step;
  return step === 1 ? Math.max(start, log.oldest) : Math.min(start, log.head - 1);
}
