/**
 * What GitLab does when something happens on the instance: `SystemHooksService#execute_hooks` fans an event out
 * to every system hook whose settings select it, and each hook gets its own asynchronous delivery
 * (`WebHookWorker`) with its own `Idempotency-Key`. Also the synchronous "Test" delivery, GitLab's "Resend
 * request" (the same body and key again), and a log of every attempt.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type DeliverableHook, type DeliveryAgents, deliverHook } from './delivery.ts';
import {
  type PayloadContext,
  SYSTEM_HOOK_EVENTS,
  scopeOf,
  type TriggerScope,
  xmlschema,
} from './event-payloads.ts';
import { byName, type StoredHook } from './hook-model.ts';
import type { HookStore } from './store.ts';

/** Whether the push branch filter decides which system hooks get a `push` (see `branchFilterMatches`). */
export type BranchFilterMode = 'apply' | 'ignore';

export interface EmitterSettings {
  store: HookStore;
  agents: DeliveryAgents;
  timeoutMs: number;
  /** `X-Gitlab-Instance` and the base of generated project URLs; read at delivery time (known after listen). */
  instanceUrl: () => string;
  gitlabVersion: string;
  branchFilter: BranchFilterMode;
}

/** What made a delivery attempt. */
export type DeliveryTrigger = 'event' | 'test' | 'resend';

/** One delivery attempt, as the delivery log keeps it. */
export interface DeliveryAttempt {
  hookId: number;
  /** The event's name as emitted (`event_name`, or `object_kind` where there is none). */
  eventName: string;
  trigger: DeliveryTrigger;
  /** The delivery's `Idempotency-Key` and `webhook-id`: the same for every attempt of one hook and event. */
  idempotencyKey: string;
  /** The body, byte for byte as it was sent and signed. */
  body: string;
  /**
   * The headers as sent, with the values of `X-Gitlab-Token`, `Authorization` and custom headers replaced by
   * `[REDACTED]`; null when no request could be made (an invalid URL).
   */
  requestHeaders: Record<string, string> | null;
  /** The receiver's status (any status); null when it gave none, with the reason in `error`. */
  status: number | null;
  error: string | null;
  /** When the attempt started, ISO 8601. */
  startedAt: string;
  durationMs: number;
}

/** An event to emit. */
export interface SystemHookEventRequest {
  /** A catalogue name (`project_create`, `push`, `merge_request`, ...), or any name when `payload` is given. */
  eventName: string;
  /** The body to send as it is; without it, a realistic payload for `eventName` is built. */
  payload?: Record<string, unknown>;
  /** For a generated `push`, `tag_push` or `repository_update`: the ref (`main` means `refs/heads/main`). */
  ref?: string;
  /**
   * The `X-Gitlab-Event-UUID` of the request that triggered the event, which every delivery inherits (GitLab's
   * recursion detection); without it each hook's deliveries get a new one.
   */
  eventUuid?: string;
}

export interface PlannedDelivery {
  hookId: number;
  idempotencyKey: string;
}

/** What an emit or resend will send, known before anything is sent. */
export interface EmittedEvent {
  eventName: string;
  payload: Record<string, unknown>;
  deliveries: PlannedDelivery[];
}

/** An event request the emitter cannot carry out; `status` is the HTTP status the control path answers. */
export class EventRequestError extends Error {
  override readonly name = 'EventRequestError';
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The `X-Gitlab-Event-UUID` a request carries when a webhook receiver made it; GitLab's recursion detection
 * passes it on to the deliveries that request causes.
 */
export function triggeringEventUuid(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['x-gitlab-event-uuid'];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The log keeps the latest attempts only, so that a long `npm start` does not grow without bound. */
const MAX_LOGGED_ATTEMPTS = 1_000;
/** The first id of generated payloads; each payload takes the next ones. */
const FIRST_PAYLOAD_ID = 1_000;
const BRANCH_REF_PREFIX = 'refs/heads/';
const REF_PREFIXES: Partial<Record<TriggerScope, string>> = {
  push_hooks: BRANCH_REF_PREFIX,
  repository_update_hooks: BRANCH_REF_PREFIX,
  tag_push_hooks: 'refs/tags/',
};

/** RefMatcher: an exact name, or `*` globs (`.*?`) anchored on the whole branch name. */
function wildcardMatches(filter: string, branch: string): boolean {
  if (!filter.includes('*')) return filter === branch;
  const pattern = filter
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*?');
  return new RegExp(`^${pattern}$`).test(branch);
}

/** `Gitlab::UntrustedRegexp` (RE2), approximated by JavaScript's RegExp: unanchored; a bad pattern matches nothing. */
function regexMatches(filter: string, branch: string): boolean {
  try {
    return new RegExp(filter).test(branch);
  } catch {
    return false;
  }
}

/**
 * `ActiveHookFilter#matches?` for `:push_hooks` (docs/gitlab-events-contract.md §2.6): a blank filter or `all_branches`
 * matches every push; otherwise the branch of `ref` must match by strategy. A ref that is not a branch, or a
 * strategy this server does not know, matches nothing (GitLab's `case` gives nil).
 */
export function branchFilterMatches(hook: StoredHook, ref: unknown): boolean {
  const filter = hook.pushEventsBranchFilter;
  if (filter === null || filter.trim() === '' || hook.branchFilterStrategy === 'all_branches') return true;
  if (typeof ref !== 'string' || !ref.startsWith(BRANCH_REF_PREFIX)) return false;
  const branch = ref.slice(BRANCH_REF_PREFIX.length);
  if (hook.branchFilterStrategy === 'wildcard') return wildcardMatches(filter, branch);
  if (hook.branchFilterStrategy === 'regex') return regexMatches(filter, branch);
  return false;
}

function stringsOnly(values: Record<string, string | null>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== null) result[key] = value;
  return result;
}

/** What a delivery needs of a stored hook: its values, URL variables and custom headers without nils. */
export function deliverable(hook: StoredHook): DeliverableHook {
  return {
    url: hook.url,
    token: hook.token,
    signingToken: hook.signingToken,
    urlVariables: stringsOnly(hook.urlVariables),
    customHeaders: stringsOnly(hook.customHeaders),
    enableSslVerification: hook.enableSslVerification,
  };
}

function serialized(payload: Record<string, unknown>): string {
  try {
    return JSON.stringify(payload) ?? '';
  } catch {
    return '';
  }
}

/** One delivery to send: which hook, which event, and the identifiers GitLab gives it. */
interface Job {
  hookId: number;
  eventName: string;
  trigger: DeliveryTrigger;
  idempotencyKey: string;
  eventUuid: string;
  payload: Record<string, unknown>;
}

export class SystemHookEmitter {
  readonly log: DeliveryAttempt[] = [];
  readonly #settings: EmitterSettings;
  /** The attribute of the store's scope that selects each trigger's events (`push_hooks`: `pushEvents`). */
  readonly #flags: ReadonlyMap<TriggerScope, string>;
  readonly #pending = new Set<Promise<void>>();
  #lastPayloadId = FIRST_PAYLOAD_ID - 1;

  constructor(settings: EmitterSettings) {
    this.#settings = settings;
    this.#flags = new Map(
      settings.store.scope.attributes.flatMap(({ attr, trigger }) =>
        trigger === undefined ? [] : [[trigger, attr] as const],
      ),
    );
  }

  /**
   * Plans the deliveries of one event without sending anything: one per hook whose settings select it. `start`
   * sends them, each on its own; nothing is retried.
   */
  plan(request: SystemHookEventRequest): { emitted: EmittedEvent; start: () => void } {
    const { eventName } = request;
    const payload = request.payload ?? this.#buildPayload(eventName, request.ref);
    const scope = scopeOf(eventName);
    const hooks = this.#settings.store.list().filter((hook) => this.#selects(hook, scope, payload));
    const jobs = hooks.map(
      (hook): Job => ({
        hookId: hook.id,
        eventName,
        trigger: 'event',
        idempotencyKey: randomUUID(),
        eventUuid: request.eventUuid ?? randomUUID(),
        payload,
      }),
    );
    return this.#planned(eventName, payload, jobs);
  }

  /** GitLab's "Resend request": the logged body again, to the same hook, with the same `Idempotency-Key`. */
  planResend(idempotencyKey: string, eventUuid?: string): { emitted: EmittedEvent; start: () => void } {
    const earlier = this.log.findLast((attempt) => attempt.idempotencyKey === idempotencyKey);
    if (earlier === undefined) throw new EventRequestError(404, `no delivery ${idempotencyKey} in the log`);
    if (this.#settings.store.get(earlier.hookId) === undefined) {
      throw new EventRequestError(
        404,
        `hook ${earlier.hookId} of delivery ${idempotencyKey} no longer exists`,
      );
    }
    if (earlier.body === '') throw new EventRequestError(400, `delivery ${idempotencyKey} sent no body`);
    const payload = JSON.parse(earlier.body) as Record<string, unknown>;
    const job: Job = {
      hookId: earlier.hookId,
      eventName: earlier.eventName,
      trigger: 'resend',
      idempotencyKey,
      eventUuid: eventUuid ?? randomUUID(),
      payload,
    };
    return this.#planned(earlier.eventName, payload, [job]);
  }

  /** GitLab's "Test": one synchronous delivery of `data`, whose result the API ignores. */
  async test(hook: StoredHook, data: Record<string, unknown>, eventUuid?: string): Promise<void> {
    const eventName = typeof data.event_name === 'string' ? data.event_name : 'unknown';
    const job: Job = {
      hookId: hook.id,
      eventName,
      trigger: 'test',
      idempotencyKey: randomUUID(),
      eventUuid: eventUuid ?? randomUUID(),
      payload: data,
    };
    await this.#track(this.#send(job));
  }

  /**
   * Resolves once every delivery planned so far has finished, those not started yet included (each is bounded
   * by the delivery timeout).
   */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Counts the deliveries as pending from now on, so that `settled()` waits for them before they start. */
  #planned(eventName: string, payload: Record<string, unknown>, jobs: Job[]) {
    const deliveries = jobs.map(({ hookId, idempotencyKey }) => ({ hookId, idempotencyKey }));
    let start = () => {};
    const started = new Promise<void>((resolve) => {
      start = resolve;
    });
    void this.#track(started.then(() => Promise.all(jobs.map((job) => this.#send(job)))));
    return { emitted: { eventName, payload, deliveries }, start };
  }

  /** `hook.executable?` for the trigger: `all`, or the hook's flag for it, and for a push its branch filter. */
  #selects(hook: StoredHook, scope: TriggerScope, payload: Record<string, unknown>): boolean {
    if (scope === 'all') return true;
    const flag = this.#flags.get(scope);
    if (flag === undefined || byName(hook)[flag] !== true) return false;
    return (
      scope !== 'push_hooks' ||
      this.#settings.branchFilter === 'ignore' ||
      branchFilterMatches(hook, payload.ref)
    );
  }

  #buildPayload(eventName: string, ref: string | undefined): Record<string, unknown> {
    if (!Object.hasOwn(SYSTEM_HOOK_EVENTS, eventName)) {
      throw new EventRequestError(
        400,
        `event_name ${JSON.stringify(eventName)} is not in the catalogue; send a payload to deliver it as given`,
      );
    }
    const entry = SYSTEM_HOOK_EVENTS[eventName] as (typeof SYSTEM_HOOK_EVENTS)[string];
    const prefix = REF_PREFIXES[entry.scope];
    if (ref !== undefined && prefix === undefined) {
      throw new EventRequestError(400, 'ref applies to push, tag_push and repository_update events only');
    }
    const context: PayloadContext = {
      timestamp: xmlschema(new Date()),
      nextId: () => ++this.#lastPayloadId,
      instanceUrl: this.#settings.instanceUrl(),
      ref: ref === undefined || ref.startsWith('refs/') ? (ref ?? entry.defaultRef ?? '') : `${prefix}${ref}`,
    };
    return entry.build(context);
  }

  async #track(deliveries: Promise<unknown>): Promise<void> {
    const done = deliveries.then(
      () => undefined,
      // A delivery reports its failures in the log; anything else is a bug, which must not stop the server.
      (error: unknown) =>
        console.error('embedded GitLab: delivery failed', error instanceof Error ? error.stack : error),
    );
    this.#pending.add(done);
    await done;
    this.#pending.delete(done);
  }

  async #send(job: Job): Promise<void> {
    // As WebHookWorker does, the hook is read when the delivery runs: a hook deleted meanwhile gets nothing.
    const hook = this.#settings.store.get(job.hookId);
    if (hook === undefined) return;
    const startedAt = new Date().toISOString();
    const result = await deliverHook(deliverable(hook), job.payload, {
      agents: this.#settings.agents,
      timeoutMs: this.#settings.timeoutMs,
      instanceUrl: this.#settings.instanceUrl(),
      gitlabVersion: this.#settings.gitlabVersion,
      idempotencyKey: job.idempotencyKey,
      eventUuid: job.eventUuid,
    });
    this.log.push({
      hookId: job.hookId,
      eventName: job.eventName,
      trigger: job.trigger,
      idempotencyKey: job.idempotencyKey,
      body: serialized(job.payload),
      requestHeaders: result.requestHeaders,
      status: result.status,
      error: result.error,
      startedAt,
      durationMs: result.durationMs,
    });
    if (this.log.length > MAX_LOGGED_ATTEMPTS) this.log.splice(0, this.log.length - MAX_LOGGED_ATTEMPTS);
  }
}
