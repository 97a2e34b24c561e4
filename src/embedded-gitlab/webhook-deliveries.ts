/**
 * Everything project and group hooks deliver, in one place: the test endpoint (`Hooks::TriggerTest`), the
 * events log (`Hooks::Events`), resend (`Hooks::ResendHook`), and events fired at a project or group through the
 * control path, fanned out to the project's hooks and to the hooks of every group above it (§5.1). Each
 * delivery goes through `WebHookService` (log, auto-disabling); test and resend are rate limited.
 */
import { randomUUID } from 'node:crypto';
import { AutoDisabling } from './auto-disabling.ts';
import type { Clock } from './clock.ts';
import type { DeliveryAgents } from './delivery.ts';
import { messageError, recordNotFound } from './errors.ts';
import type { ParamErrors } from './grape-params.ts';
import { byName, type StoredHook } from './hook-model.ts';
import type { HttpAnswer } from './http.ts';
import type { HookStore } from './store.ts';
import {
  branchFilterMatches,
  deliverable,
  type EmittedEvent,
  EventRequestError,
} from './system-hook-events.ts';
import { interpolateUrl } from './url-template.ts';
import {
  declareEventsParams,
  type EventsRequest,
  listWebHookEvents,
  urlHashOf,
  WebHookLogStore,
} from './webhook-log.ts';
import {
  type PayloadGroup,
  type PayloadProject,
  type PayloadUser,
  WEBHOOK_EVENTS,
  type WebHookEventKind,
} from './webhook-payloads.ts';
import { WebHookRateLimiter } from './webhook-rate-limit.ts';
import { type ExecutableHook, WebHookService } from './webhook-service.ts';
import { ProjectRecords, recordKindOf, testDataFor } from './webhook-test-data.ts';
import { type EventFlag, FLAG_TRIGGERS, type WebHookTrigger } from './webhook-triggers.ts';
import type { Container, World } from './world.ts';

export interface WebHookDeliverySettings {
  world: World;
  projectHooks: HookStore;
  groupHooks: HookStore;
  agents: DeliveryAgents;
  timeoutMs: number;
  instanceUrl: () => string;
  gitlabVersion: string;
  /** `auto_disabling_web_hooks`. */
  autoDisabling: boolean;
  clock: Clock;
}

/** An event to fire at a project or group (the control path's body). */
export interface WebHookEventRequest {
  /** A name of `WEBHOOK_EVENTS`, or any name with a `payload` and a `trigger`. */
  eventName: string;
  /** The project or group, by id or full path. */
  project?: string;
  group?: string;
  /** Sent as it is instead of a built payload. */
  payload?: Record<string, unknown>;
  /** With a payload of a name outside the catalogue: the hooks' trigger that selects it (`push_hooks`). */
  trigger?: WebHookTrigger;
  /** The triggering request's `X-Gitlab-Event-UUID`. */
  eventUuid?: string;
}

const CREATED = { message: '201 Created' };

/** A hook an event goes to, and the store to read it from again when the delivery runs. */
interface Receiver {
  hook: StoredHook;
  store: HookStore;
}
const DEFAULT_BRANCH = 'main';

const executable = (hook: StoredHook): ExecutableHook => ({ id: hook.id, ...deliverable(hook) });

/** Ruby's `String#to_i` as ActiveRecord casts an id: the leading digits, else 0. */
const rubyToI = (text: string): number => Number(/^\s*[+-]?\d+/.exec(text)?.[0] ?? '0');

export class WebHookDeliveries {
  readonly log: WebHookLogStore;
  readonly autoDisabling: AutoDisabling;
  readonly #rateLimiter: WebHookRateLimiter;
  readonly #records = new ProjectRecords();
  readonly #service: WebHookService;
  readonly #pending = new Set<Promise<void>>();

  constructor(private readonly settings: WebHookDeliverySettings) {
    this.log = new WebHookLogStore(settings.clock);
    this.autoDisabling = new AutoDisabling(settings.autoDisabling, settings.clock);
    this.#rateLimiter = new WebHookRateLimiter(settings.clock);
    this.#service = new WebHookService({
      log: this.log,
      autoDisabling: this.autoDisabling,
      agents: settings.agents,
      timeoutMs: settings.timeoutMs,
      instanceUrl: settings.instanceUrl,
      gitlabVersion: settings.gitlabVersion,
      allowLocalRequests: () => settings.world.settings.allowLocalRequestsFromWebHooksAndServices,
      clock: settings.clock,
    });
  }

  /** A project as payloads describe it. */
  payloadProject(project: Container): PayloadProject {
    const { world } = this.settings;
    const namespace = world.parent(project);
    return {
      id: project.id,
      name: project.name,
      description: project.description,
      fullPath: world.fullPath(project),
      namespaceName: namespace?.name ?? project.name,
      // GitLab's project namespace has its own id; this server's projects are their own namespace.
      projectNamespaceId: project.id,
      visibility: project.visibility,
      defaultBranch: DEFAULT_BRANCH,
    };
  }

  payloadGroup(group: Container): PayloadGroup {
    const { world } = this.settings;
    const parent = world.parent(group);
    return {
      id: group.id,
      name: group.name,
      path: group.path,
      fullPath: world.fullPath(group),
      parent:
        parent === undefined
          ? null
          : { id: parent.id, name: parent.name, path: parent.path, fullPath: world.fullPath(parent) },
    };
  }

  #payloadUser(userId: number): PayloadUser {
    const user = this.settings.world.user(userId);
    return { id: userId, name: user?.name ?? 'Unknown', username: user?.username ?? 'unknown' };
  }

  #context(userId: number) {
    return {
      user: this.#payloadUser(userId),
      instanceUrl: this.settings.instanceUrl(),
      now: this.settings.clock(),
    };
  }

  /** `hook.parent` as the rate limiter's scope names it. */
  #parentKey(hook: StoredHook, parent: 'project' | 'group'): string {
    return `${parent}:${hook.parentId}`;
  }

  /** The project a test draws its data from: the hook's own, or the group's first project (`TestHooks::GroupService`). */
  #testProject(hook: StoredHook, parent: 'project' | 'group', trigger: EventFlag): Container | string {
    const { world } = this.settings;
    const container = world.parent(hook);
    if (container === undefined) throw recordNotFound();
    if (parent === 'project') return container;
    // No project of this server has vulnerabilities.
    if (trigger === 'vulnerability_events') return 'Ensure the group has a project with vulnerabilities.';
    // Every project of this server has a repository with commits: the first direct project is the one.
    const first = world.containers().find((c) => c.kind === 'project' && c.parentId === container.id);
    return first ?? 'Ensure the group has a project with commits.';
  }

  /**
   * `POST …/hooks/:hook_id/test/:trigger` once the trigger is valid and the hook found: the rate limit, the
   * sample data, then a forced delivery; 201 only when the receiver answered 2xx.
   */
  async test(
    hook: StoredHook,
    parent: 'project' | 'group',
    trigger: EventFlag,
    userId: number,
    eventUuid?: string,
  ): Promise<HttpAnswer> {
    this.#rateLimiter.check('web_hook_test', this.#parentKey(hook, parent), userId);
    const project = this.#testProject(hook, parent, trigger);
    if (typeof project === 'string') throw messageError(422, project);
    const sample = testDataFor(trigger, this.payloadProject(project), this.#records, this.#context(userId));
    if ('error' in sample) throw messageError(422, sample.error);
    const triggerScope = FLAG_TRIGGERS[trigger];
    const result = await this.#track(
      this.#service.execute(executable(hook), sample.data, triggerScope, {
        force: true,
        ...(eventUuid ? { eventUuid } : {}),
      }),
    );
    if (!result.ok) throw messageError(422, result.message);
    if (result.status < 200 || result.status > 299) throw messageError(422, result.body);
    return { status: 201, json: CREATED };
  }

  /** `GET …/hooks/:hook_id/events` for a hook that `find` gives once the parameters are valid. */
  events(findHook: () => StoredHook, request: EventsRequest, errors: ParamErrors): HttpAnswer {
    const declared = declareEventsParams(request, errors);
    return listWebHookEvents(this.log, findHook().id, request, declared);
  }

  /** `POST …/hooks/:hook_id/events/:hook_log_id/resend` for a found hook. */
  async resend(
    hook: StoredHook,
    parent: 'project' | 'group',
    hookLogId: string,
    userId: number,
    eventUuid?: string,
  ): Promise<HttpAnswer> {
    this.#rateLimiter.check('web_hook_event_resend', this.#parentKey(hook, parent), userId);
    const entry = this.log.find(hook.id, rubyToI(hookLogId));
    if (entry === undefined) throw recordNotFound();
    const target = executable(hook);
    const interpolated = interpolateUrl(target.url, target.urlVariables) ?? target.url;
    if (urlHashOf(interpolated) !== entry.urlHash) {
      throw messageError(422, 'The hook URL has changed, and this log entry cannot be retried');
    }
    const data = (entry.requestData ?? {}) as Record<string, unknown>;
    const result = await this.#track(
      this.#service.execute(target, data, entry.trigger, {
        idempotencyKey: entry.idempotencyKey,
        ...(eventUuid ? { eventUuid } : {}),
      }),
    );
    if (!result.ok) throw messageError(422, result.message);
    return { status: 201, json: { response_status: result.status } };
  }

  /** A deleted hook's log and failure state go with it. */
  forget(hookId: number): void {
    this.log.removeHook(hookId);
    this.autoDisabling.forget(hookId);
  }

  /**
   * Plans the deliveries of an event fired at a project or group: the payload, and one delivery per hook that
   * selects it and is executable now, the project's first and then each group's from the nearest up. `start`
   * sends them, each on its own, as `WebHookWorker` jobs run after the request.
   */
  plan(request: WebHookEventRequest, userId: number): { emitted: EmittedEvent; start: () => void } {
    const subject = this.#subject(request);
    const kind = this.#kind(request, subject.kind === 'project' ? 'project' : 'group');
    const context = this.#context(userId);
    const payload =
      request.payload ??
      kind.build({
        ...context,
        subject:
          subject.kind === 'project'
            ? { kind: 'project', project: this.payloadProject(subject) }
            : { kind: 'group', group: this.payloadGroup(subject) },
      });
    const recordKind = subject.kind === 'project' ? recordKindOf(request.eventName) : undefined;
    if (recordKind !== undefined) this.#records.remember(subject.id, recordKind, payload);
    const hooks = this.#receivers(subject, request.eventName, kind.trigger, payload);
    const jobs = hooks.map((receiver) => ({ ...receiver, idempotencyKey: randomUUID() }));
    let start = () => {};
    const started = new Promise<void>((resolve) => {
      start = resolve;
    });
    void this.#track(
      started.then(() =>
        Promise.all(jobs.map((job) => this.#deliverEvent(job, payload, kind.trigger, request))),
      ),
    );
    return {
      emitted: {
        eventName: request.eventName,
        payload,
        deliveries: jobs.map(({ hook, idempotencyKey }) => ({ hookId: hook.id, idempotencyKey })),
      },
      start,
    };
  }

  /** Resolves once every delivery so far has finished. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #deliverEvent(
    job: Receiver & { idempotencyKey: string },
    payload: Record<string, unknown>,
    trigger: WebHookTrigger,
    request: WebHookEventRequest,
  ): Promise<void> {
    // As WebHookWorker does, the hook is read when the delivery runs: a hook deleted meanwhile gets nothing.
    const hook = job.store.get(job.hook.id);
    if (hook === undefined) return;
    await this.#service.execute(executable(hook), payload, trigger, {
      idempotencyKey: job.idempotencyKey,
      eventUuid: request.eventUuid ?? randomUUID(),
    });
  }

  #subject(request: WebHookEventRequest): Container {
    const wanted = request.project ?? request.group ?? '';
    const kind = request.project !== undefined ? 'project' : 'group';
    const found = this.settings.world.find(wanted, kind);
    if (found === undefined) {
      throw new EventRequestError(404, `no ${kind} ${JSON.stringify(wanted)}`);
    }
    return found;
  }

  #kind(request: WebHookEventRequest, subject: 'project' | 'group'): WebHookEventKind {
    const known = Object.hasOwn(WEBHOOK_EVENTS, request.eventName)
      ? WEBHOOK_EVENTS[request.eventName]
      : undefined;
    if (known === undefined) {
      if (request.payload === undefined || request.trigger === undefined) {
        throw new EventRequestError(
          400,
          `event_name ${JSON.stringify(request.eventName)} is not in the catalogue; send a payload and a trigger to deliver it as given`,
        );
      }
      const trigger = request.trigger;
      return { trigger, subject, build: () => request.payload ?? {} };
    }
    if (known.subject !== subject) {
      throw new EventRequestError(
        400,
        `${request.eventName} is fired at a ${known.subject}, not a ${subject}`,
      );
    }
    return known;
  }

  /**
   * `project.execute_hooks` then `GroupHook.where(group_id: group.self_and_ancestors)`: the hooks whose flag for
   * the trigger is set (and, for a push, whose branch filter matches), executable now. A subgroup event goes to
   * the parent's hooks, a group's other events to its own.
   */
  #receivers(
    subject: Container,
    eventName: string,
    trigger: WebHookTrigger,
    payload: Record<string, unknown>,
  ): Receiver[] {
    const { world, projectHooks, groupHooks } = this.settings;
    const selects = (hook: StoredHook, store: HookStore) => {
      const flag = store.scope.attributes.find((attribute) => attribute.trigger === trigger)?.attr;
      if (flag === undefined || byName(hook)[flag] !== true) return false;
      if (trigger === 'push_hooks' && !branchFilterMatches(hook, payload.ref)) return false;
      return this.autoDisabling.executable(hook.id);
    };
    const receivers: Receiver[] = [];
    const of = (store: HookStore, parentId: number) =>
      store
        .list()
        .filter((hook) => hook.parentId === parentId && selects(hook, store))
        .map((hook) => ({ hook, store }));
    if (subject.kind === 'project') receivers.push(...of(projectHooks, subject.id));
    const fromParent = subject.kind === 'project' || eventName.startsWith('subgroup_');
    const groupStart = fromParent ? world.parent(subject) : subject;
    if (groupStart === undefined || groupStart.kind !== 'group') return receivers;
    for (const group of world.selfAndAncestors(groupStart)) {
      if (group.kind !== 'group') continue;
      receivers.push(...of(groupHooks, group.id));
    }
    return receivers;
  }

  async #track<T>(work: Promise<T>): Promise<T> {
    const done = work.then(
      () => undefined,
      (error: unknown) =>
        console.error('embedded GitLab: delivery failed', error instanceof Error ? error.stack : error),
    );
    this.#pending.add(done);
    try {
      return await work;
    } finally {
      await done;
      this.#pending.delete(done);
    }
  }
}
