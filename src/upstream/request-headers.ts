import { type CallOptions, isWellFormedToken } from './types.ts';

const USER_AGENT = 'gitlab-system-hooks-gateway';

/** Extra header names a caller may add: `x-` names in lower case, which no header the client sets can have. */
const EXTRA_HEADER_NAME = /^x-[a-z0-9-]+$/;
/** Visible ASCII, which every header writer accepts and no CR or LF can hide in. */
const EXTRA_HEADER_VALUE = /^[\x21-\x7e]{1,256}$/;

/**
 * The headers of every attempt of one call: what the client always sends, the credential, and the caller's
 * extra `x-` headers. Throws a `TypeError`, before any request exists, for a credential or an extra header a
 * header writer would refuse or that could pass for another header; it never repeats the value.
 */
export function requestHeaders(
  options: CallOptions,
  contentType: string | undefined,
): Record<string, string> {
  const headers = extraHeaders(options.headers);
  headers.accept = 'application/json';
  headers['user-agent'] = USER_AGENT;
  if (contentType !== undefined) headers['content-type'] = contentType;
  const credential = options.credential;
  if (credential) {
    // Anything else would be rejected by the header writer with an error better raised before the request exists.
    if (!isWellFormedToken(credential.token)) {
      throw new TypeError('The credential token must be visible ASCII characters');
    }
    if (credential.scheme === 'bearer') headers.authorization = `Bearer ${credential.token}`;
    else if (credential.scheme === 'private-token') headers['private-token'] = credential.token;
    else throw new TypeError('The credential scheme must be "bearer" or "private-token"');
  }
  return headers;
}

function extraHeaders(extra: CallOptions['headers']): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(extra ?? {})) {
    if (!EXTRA_HEADER_NAME.test(name)) {
      throw new TypeError('An extra request header name must be lower-case x-[a-z0-9-]+');
    }
    if (typeof value !== 'string' || !EXTRA_HEADER_VALUE.test(value)) {
      throw new TypeError(`The value of request header ${name} must be 1 to 256 visible ASCII characters`);
    }
    headers[name] = value;
  }
  return headers;
}
