/**
 * Attribute names the OpenTelemetry semantic conventions mark as still in development, copied here as the
 * `@opentelemetry/semantic-conventions` README advises instead of importing its `/incubating` entry (which may
 * change in a minor release), and the gateway's own `gateway.*` attributes.
 */

/** The low-cardinality template of the path, such as `/api/v4/hooks/:hook_id`. */
export const ATTR_URL_TEMPLATE = 'url.template';
/** `query`, `mutation` or `subscription`. */
export const ATTR_GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';
/** The operation's name, as the client chose it. */
export const ATTR_GRAPHQL_OPERATION_NAME = 'graphql.operation.name';

/** The request's id, made by the gateway, echoed in `x-request-id` and sent to GitLab. */
export const ATTR_REQUEST_ID = 'gateway.request_id';
/** The `x-request-id` the client sent, when well formed. */
export const ATTR_CLIENT_REQUEST_ID = 'gateway.client_request_id';
/** How many errors the operation's result has, and their codes. */
export const ATTR_GRAPHQL_ERROR_COUNT = 'gateway.graphql.error_count';
export const ATTR_GRAPHQL_ERROR_CODES = 'gateway.graphql.error_codes';
/** A logical GitLab call: how many attempts it made, how it ended, and the breaker's state at its end. */
export const ATTR_UPSTREAM_ATTEMPTS = 'gateway.upstream.attempts';
export const ATTR_UPSTREAM_OUTCOME = 'gateway.upstream.outcome';
export const ATTR_CIRCUIT_STATE = 'gateway.circuit.state';
/** GitLab's correlation id for one attempt (its `x-request-id` response header). */
export const ATTR_GITLAB_CORRELATION_ID = 'gateway.gitlab.correlation_id';
/** A system hook delivery: how the receiver answered it, and the event's name when it is a known one. */
export const ATTR_WEBHOOK_OUTCOME = 'gateway.webhook.outcome';
export const ATTR_WEBHOOK_EVENT_NAME = 'gateway.webhook.event_name';
