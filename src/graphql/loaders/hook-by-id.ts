import DataLoader from 'dataloader';
import { isParentNotFound, isUpstreamError } from '../../upstream/errors.ts';
import type { HookDto, HookPageDto } from '../../upstream/types.ts';

/**
 * A request's reader of one collection's hooks by REST id. GitLab has no batch read for hooks: a batch is read
 * the way its scope reads one (`BatchRead`), by default one `GET …/hooks/:id` per id in parallel under a
 * concurrency cap.
 */

export interface HookLoaderOptions {
  /**
   * How many `GET …/hooks/:id` calls one batch may have in flight at once.
   * @default 8
   */
  concurrency?: number;
  /**
   * The most ids one batch holds; larger loads are split into several batches.
   * @default 100
   */
  maxBatchSize?: number;
  /** Told the size of each batch the loader serves, for metrics. It must not throw. @default none */
  onBatch?: ((size: number) => void) | undefined;
}

/** The reads of a collection a loader makes, already bound to the request. */
export interface HookReads<Hook extends HookDto = HookDto> {
  listHooks(query: { page: number; perPage: number }): Promise<HookPageDto<Hook>>;
  getHook(id: number): Promise<Hook>;
}

/** What one batch learnt of each id: the hook, `null` for one proved absent, or the error that hid it. */
export type BatchFindings<Hook extends HookDto = HookDto> = Map<number, Hook | null | Error>;

/** How a scope reads a batch of distinct ids: it records in `found` what it learns of each. */
export type BatchRead = <Hook extends HookDto>(
  reads: HookReads<Hook>,
  ids: readonly number[],
  concurrency: number,
  found: BatchFindings<Hook>,
) => Promise<void>;

/**
 * A request's reader of hooks by REST id. A hook that does not exist reads as `null`. Lists of the same request
 * feed it: reads batched while a list call is in flight wait for that list and take what it returned, so
 * `{ systemHooks { ... } systemHook(id: ...) { ... } }` costs the list alone when the list holds the hook.
 */
export interface HookLoader<Hook extends HookDto = HookDto> {
  load(id: number): Promise<Hook | null>;
  /** Records a hook GitLab returned (a list, a create, an update). */
  prime(hook: Hook): void;
  /** Records that a hook no longer exists. */
  primeMissing(id: number): void;
  /** Drops what is known of a hook after a change GitLab answered without the hook. */
  forget(id: number): void;
  /** Registers a list call of this request; its hooks prime the reader when it answers. */
  track(list: Promise<readonly Hook[]>): void;
}

export function createHookLoader<Hook extends HookDto>(
  reads: HookReads<Hook>,
  options: HookLoaderOptions = {},
  readBatch: BatchRead = readEach,
): HookLoader<Hook> {
  const concurrency = options.concurrency ?? 8;
  const onBatch = options.onBatch;
  const pendingLists = new Set<Promise<unknown>>();
  const listed = new Map<number, Hook>();
  const loader = new DataLoader<number, Hook | null>(
    async (ids) => {
      onBatch?.(ids.length);
      if (pendingLists.size > 0) await Promise.allSettled(pendingLists);
      const unlisted = ids.filter((id) => !listed.has(id));
      const found: BatchFindings<Hook> = new Map();
      if (unlisted.length > 0) await readBatch(reads, [...new Set(unlisted)], concurrency, found);
      return ids.map((id) => listed.get(id) ?? found.get(id) ?? null);
    },
    { maxBatchSize: options.maxBatchSize ?? 100 },
  );
  const prime = (hook: Hook) => {
    listed.set(hook.id, hook);
    loader.clear(hook.id).prime(hook.id, hook);
  };
  return {
    load: (id) => loader.load(id),
    prime,
    primeMissing: (id) => {
      listed.delete(id);
      loader.clear(id).prime(id, null);
    },
    forget: (id) => {
      listed.delete(id);
      loader.clear(id);
    },
    track: (list) => {
      const settled = list.then(
        (hooks) => {
          for (const hook of hooks) prime(hook);
        },
        () => {},
      );
      pendingLists.add(settled);
      void settled.finally(() => pendingLists.delete(settled));
    },
  };
}

/**
 * One `GET …/hooks/:id` per id, at most `concurrency` at once; a 404 proves the hook absent, unless it says the
 * project or group is (that is the parent's absence, which its reader reports).
 */
export const readEach: BatchRead = async (reads, ids, concurrency, found) => {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as number;
      try {
        found.set(id, await reads.getHook(id));
      } catch (error) {
        const absent = isUpstreamError(error) && error.code === 'NOT_FOUND' && !isParentNotFound(error);
        found.set(id, absent ? null : asError(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
};

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
