/**
 * `WebHookService#execute` for project and group hooks (gitlab-webhooks-api §5.2, §6): one delivery with the
 * trigger's `X-Gitlab-Event`, refused for a local URL unless the application setting allows it, logged
 * (`LogExecutionService`), and its outcome fed to auto-disabling. Used by the test endpoint (forced), resend and
 * fired events.
 */
import { randomUUID } from 'node:crypto';
import type { AutoDisabling } from './auto-disabling.ts';
import type { DeliverableHook, DeliveryAgents, DeliveryResult } from './delivery.ts';
import { deliverHook } from './delivery.ts';
import { urlBlockedReason } from './url-blocker.ts';
import { interpolateUrl } from './url-template.ts';
import type { WebHookLogEntry, WebHookLogStore } from './webhook-log.ts';
import { eventHeaderOf, type WebHookTrigger } from './webhook-triggers.ts';

/** A project or group hook as a delivery needs it. */
export interface ExecutableHook extends DeliverableHook {
  id: number;
}

export interface WebHookServiceSettings {
  log: WebHookLogStore;
  autoDisabling: AutoDisabling;
  agents: DeliveryAgents;
  timeoutMs: number;
  /** `X-Gitlab-Instance`; read at delivery time (known after listen). */
  instanceUrl: () => string;
  gitlabVersion: string;
  /** `allow_local_requests_from_web_hooks_and_services`, read at delivery time (it can change). */
  allowLocalRequests: () => boolean;
  clock: () => number;
}

export interface ExecuteOptions {
  /** A test: delivered even while the hook is disabled (`force: true`). */
  force?: boolean;
  /** A resend's original key. @default a new UUID */
  idempotencyKey?: string;
  /** The triggering request's `X-Gitlab-Event-UUID`. @default a new UUID */
  eventUuid?: string;
}

/** `ServiceResponse`: a completed HTTP exchange (any status), or an error message. */
export type ExecuteResult =
  | { ok: true; status: number; body: string; entry: WebHookLogEntry }
  | { ok: false; message: string; entry: WebHookLogEntry | null };

function blocked(message: string): DeliveryResult {
  return {
    status: null,
    error: message,
    durationMs: 0,
    requestHeaders: null,
    responseHeaders: {},
    responseBody: '',
  };
}

/** `response_category`: 2xx and 3xx are `:ok`, every other status and every transport error `:error`. */
const outcomeOf = (status: number | null): 'ok' | 'error' =>
  status !== null && status >= 200 && status < 400 ? 'ok' : 'error';

export class WebHookService {
  constructor(private readonly settings: WebHookServiceSettings) {}

  async execute(
    hook: ExecutableHook,
    data: Record<string, unknown>,
    trigger: WebHookTrigger,
    options: ExecuteOptions = {},
  ): Promise<ExecuteResult> {
    const { settings } = this;
    if (!options.force && !settings.autoDisabling.executable(hook.id)) {
      return { ok: false, message: 'Hook disabled', entry: null };
    }
    const idempotencyKey = options.idempotencyKey ?? randomUUID();
    const interpolatedUrl = interpolateUrl(hook.url, hook.urlVariables) ?? hook.url;
    const reason = urlBlockedReason(interpolatedUrl, { allowLocal: settings.allowLocalRequests() });
    const result =
      reason === null
        ? await deliverHook(hook, data, {
            agents: settings.agents,
            timeoutMs: settings.timeoutMs,
            instanceUrl: settings.instanceUrl(),
            gitlabVersion: settings.gitlabVersion,
            idempotencyKey,
            eventUuid: options.eventUuid ?? randomUUID(),
            eventHeader: eventHeaderOf(trigger),
            now: settings.clock,
          })
        : blocked(`URL is blocked: ${reason}`);
    const entry = settings.log.append({
      hookId: hook.id,
      trigger,
      url: hook.url,
      interpolatedUrl,
      urlVariables: hook.urlVariables,
      data,
      idempotencyKey,
      result,
    });
    settings.autoDisabling.record(hook.id, outcomeOf(result.status));
    if (result.status === null) return { ok: false, message: result.error ?? 'Delivery failed', entry };
    return { ok: true, status: result.status, body: result.responseBody, entry };
  }
}
