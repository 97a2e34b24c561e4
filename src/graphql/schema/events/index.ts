/**
 * System hook deliveries as typed subscription events. Every typed field reads the payload defensively: a field
 * an older GitLab does not send, or one of an unexpected JSON type, is null and never an error, so that one odd
 * delivery cannot break a subscriber's stream. `payload` keeps the whole body as GitLab sent it.
 *
 * - `payload-readers.ts`: JSON values as GraphQL may return them;
 * - `payload-fields.ts`: the field description (`payload.text(...)`) and the Pothos fields it makes;
 * - `nested-types.ts`, `event-interface.ts`, `event-families.ts`: the types, as data;
 * - `subscription.ts`: the subscription field;
 * - `history.ts`: the query of the retained events.
 */
import './event-families.ts';
import './history.ts';
import './subscription.ts';
