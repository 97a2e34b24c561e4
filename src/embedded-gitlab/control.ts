/**
 * The embedded GitLab's own control path, which GitLab does not have: `POST /-/embedded-gitlab/system-hook-events`
 * makes the server emit a system hook event to the hooks whose settings select it, or send an earlier delivery
 * again; `POST /-/embedded-gitlab/webhook-events` fires a project or group event at the project's hooks and those
 * of every group above it. It answers 202 at once and delivers after the answer, as GitLab's Sidekiq jobs run after the request
 * that caused the event. Administrator token required, as for the API.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type Authenticator, findCredential } from './auth.ts';
import { type ApiError, grapeError, routeNotFound } from './errors.ts';
import type { HttpAnswer, ParsedBody } from './http.ts';
import type { ParamHash } from './rack-params.ts';
import {
  type EmittedEvent,
  EventRequestError,
  type SystemHookEmitter,
  type SystemHookEventRequest,
  triggeringEventUuid,
} from './system-hook-events.ts';
import type { WebHookDeliveries, WebHookEventRequest } from './webhook-deliveries.ts';
import { FLAG_TRIGGERS, type WebHookTrigger } from './webhook-triggers.ts';

/** Everything under this prefix is the control path, never GitLab's. */
const CONTROL_PREFIX = '/-/embedded-gitlab/';
export const SYSTEM_HOOK_EVENTS_PATH = `${CONTROL_PREFIX}system-hook-events`;
export const WEBHOOK_EVENTS_PATH = `${CONTROL_PREFIX}webhook-events`;

const FIELDS = ['event_name', 'payload', 'ref', 'resend'];
const WEBHOOK_FIELDS = ['event_name', 'project', 'group', 'payload', 'trigger'];

export interface ControlRequest {
  method: string;
  pathname: string;
  headers: IncomingHttpHeaders;
  query: ParamHash;
  body: ParsedBody;
}

export interface ControlContext {
  auth: Authenticator;
  emitter: SystemHookEmitter;
  webhooks: WebHookDeliveries;
}

export function isControlPath(pathname: string): boolean {
  return pathname.startsWith(CONTROL_PREFIX);
}

const badRequest = (message: string): ApiError => grapeError(400, message);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function nonEmptyString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw badRequest(`${field} must be a non-empty string`);
  return value;
}

/** The event a body asks for; every problem is a 400 that names the field. */
function eventRequest(body: Record<string, unknown>): Omit<SystemHookEventRequest, 'eventUuid'> {
  const eventName = nonEmptyString(body, 'event_name');
  if (eventName === undefined) throw badRequest('event_name is missing');
  const ref = nonEmptyString(body, 'ref');
  const { payload } = body;
  if (payload === undefined) return ref === undefined ? { eventName } : { eventName, ref };
  if (!isObject(payload)) throw badRequest('payload must be a JSON object');
  if (ref !== undefined)
    throw badRequest('ref shapes a generated payload; with a payload, put the ref in it');
  return { eventName, payload };
}

/** The body's fields, when it is a JSON object of known fields. */
function fieldsOf(body: ParsedBody, fields: readonly string[]): Record<string, unknown> {
  if (body.json === null || body.form !== null) throw badRequest('the body must be a JSON object');
  const unknown = Object.keys(body.json).find((field) => !fields.includes(field));
  if (unknown !== undefined) {
    throw badRequest(`unknown field ${JSON.stringify(unknown)}; expected ${fields.join(', ')}`);
  }
  return body.json;
}

/** A project or group named by id (a JSON number or digits) or full path. */
function containerRef(body: Record<string, unknown>, field: 'project' | 'group'): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === 'string' && value !== '' && value.length <= 1024) return value;
  throw badRequest(`${field} must be an id or a full path`);
}

const TRIGGER_NAMES: readonly string[] = Object.values(FLAG_TRIGGERS);

/** The webhook event a body asks for; every problem is a 400 that names the field. */
function webhookEventRequest(body: Record<string, unknown>): WebHookEventRequest {
  const eventName = nonEmptyString(body, 'event_name');
  if (eventName === undefined) throw badRequest('event_name is missing');
  const project = containerRef(body, 'project');
  const group = containerRef(body, 'group');
  if ((project === undefined) === (group === undefined))
    throw badRequest('give exactly one of project and group');
  const request: WebHookEventRequest = {
    eventName,
    ...(project ? { project } : {}),
    ...(group ? { group } : {}),
  };
  const { payload } = body;
  if (payload !== undefined) {
    if (!isObject(payload)) throw badRequest('payload must be a JSON object');
    request.payload = payload;
  }
  const trigger = nonEmptyString(body, 'trigger');
  if (trigger !== undefined) {
    if (!TRIGGER_NAMES.includes(trigger)) {
      throw badRequest(`trigger must be one of ${TRIGGER_NAMES.join(', ')}`);
    }
    request.trigger = trigger as WebHookTrigger;
  }
  return request;
}

/** An emit, or a resend when the body names one. */
function plan(body: Record<string, unknown>, emitter: SystemHookEmitter, eventUuid: string | undefined) {
  const resend = nonEmptyString(body, 'resend');
  if (resend === undefined)
    return emitter.plan({ ...eventRequest(body), ...(eventUuid ? { eventUuid } : {}) });
  if (Object.keys(body).length > 1)
    throw badRequest('resend cannot be combined with event_name, payload or ref');
  return emitter.planResend(resend, eventUuid);
}

function accepted(emitted: EmittedEvent, start: () => void): HttpAnswer {
  return {
    status: 202,
    json: {
      event_name: emitted.eventName,
      payload: emitted.payload,
      deliveries: emitted.deliveries.map(({ hookId, idempotencyKey }) => ({
        hook_id: hookId,
        idempotency_key: idempotencyKey,
      })),
    },
    afterAnswer: start,
  };
}

/**
 * `POST /-/embedded-gitlab/system-hook-events` with a JSON object: `{"event_name", "payload"?, "ref"?}` to emit,
 * or `{"resend": "<idempotency_key>"}` to send an earlier delivery again. Answers 202 with the event name, the
 * payload and the planned deliveries (`hook_id`, `idempotency_key`); errors are `{"error": "..."}`.
 */
export function handleControlRequest(request: ControlRequest, context: ControlContext): HttpAnswer {
  if (request.pathname !== SYSTEM_HOOK_EVENTS_PATH && request.pathname !== WEBHOOK_EVENTS_PATH) {
    throw routeNotFound();
  }
  if (request.method !== 'POST') {
    return { status: 405, headers: { allow: 'POST' }, json: { error: '405 Method Not Allowed' } };
  }
  const { userId } = context.auth.requireAdmin(findCredential(request.headers, request.query));
  const eventUuid = triggeringEventUuid(request.headers);
  try {
    if (request.pathname === WEBHOOK_EVENTS_PATH) {
      const event = webhookEventRequest(fieldsOf(request.body, WEBHOOK_FIELDS));
      const { emitted, start } = context.webhooks.plan(
        { ...event, ...(eventUuid ? { eventUuid } : {}) },
        userId,
      );
      return accepted(emitted, start);
    }
    const { emitted, start } = plan(fieldsOf(request.body, FIELDS), context.emitter, eventUuid);
    return accepted(emitted, start);
  } catch (error) {
    throw error instanceof EventRequestError ? grapeError(error.status, error.message) : error;
  }
}
