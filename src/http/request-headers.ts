import type { IncomingHttpHeaders } from 'node:http';

/**
 * What the receiver and the request's record read of a request's headers, by lower-case name: a fetch
 * `Headers`, or `incomingHeaders` over a `node:http` request, which the edge serves without making one.
 */
export type HeaderReader = Pick<Headers, 'get' | 'has'>;

/**
 * A `node:http` request's headers as a `HeaderReader`, without copying them. Node has joined repeated
 * headers as `Headers` would (`, `), and kept the first of those that may not repeat (`content-type`, `host`).
 * Names must be lower case, as Node's own are.
 */
export function incomingHeaders(headers: IncomingHttpHeaders): HeaderReader {
  return {
    get(name) {
      const value = headers[name];
      if (value === undefined) return null;
      return typeof value === 'string' ? value : value.join(', ');
    },
    has: (name) => headers[name] !== undefined,
  };
}
