/**
 * The embedded GitLab's own control path, which GitLab does not have: `POST /-/embedded-gitlab/system-hook-events`
 * makes the server emit a system hook event to the hooks whose settings select it, or send an earlier delivery
 * again. It answers 202 at once and delivers after the answer, as GitLab's Sidekiq jobs run after the request
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

/** Everything under this prefix is the control path, never GitLab's. */
const CONTROL_PREFIX = '/-/embedded-gitlab/';
export const SYSTEM_HOOK_EVENTS_PATH = `${CONTROL_PREFIX}system-hook-events`;

const FIELDS = ['event_name', 'payload', 'ref', 'resend'];

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
function fieldsOf(body: ParsedBody): Record<string, unknown> {
  if (body.json === null || body.form !== null) throw badRequest('the body must be a JSON object');
  const unknown = Object.keys(body.json).find((field) => !FIELDS.includes(field));
  if (unknown !== undefined) {
    throw badRequest(`unknown field ${JSON.stringify(unknown)}; expected ${FIELDS.join(', ')}`);
  }
  return body.json;
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
  if (request.pathname !== SYSTEM_HOOK_EVENTS_PATH) throw routeNotFound();
  if (request.method !== 'POST') {
    return { status: 405, headers: { allow: 'POST' }, json: { error: '405 Method Not Allowed' } };
  }
  context.auth.requireAdmin(findCredential(request.headers, request.query));
  const body = fieldsOf(request.body);
  try {
    const { emitted, start } = plan(body, context.emitter, triggeringEventUuid(request.headers));
    return accepted(emitted, start);
  } catch (error) {
    throw error instanceof EventRequestError ? grapeError(error.status, error.message) : error;
  }
}
