/**
 * The one reading of a GitLab base URL (`GITLAB_URL`, the client's `baseUrl`): http or https, no user info,
 * no query, no fragment, an optional relative root (`https://x.example/gitlab`).
 */

export interface BaseUrl {
  /** Where connections go and credentials are sent: `https://x.example`. */
  origin: string;
  /** What every REST path starts with: `/gitlab/api/v4`. */
  prefix: string;
  /** The base itself, normalized: `https://x.example/gitlab`, without trailing slashes. */
  href: string;
}

/**
 * A base URL that cannot be used. `reason` reads after a subject (`GITLAB_URL ${reason}`) and never quotes
 * the value, which may hold a password.
 */
export class BaseUrlError extends TypeError {
  override readonly name = 'BaseUrlError';
  readonly reason: string;

  constructor(reason: string, message = `The GitLab base URL ${reason}`) {
    super(message);
    this.reason = reason;
  }
}

const NOT_A_URL = 'must be an absolute http(s) URL such as https://gitlab.example.com';

/** `raw` as a base URL; throws a `BaseUrlError` for one the gateway will not use. */
export function parseBaseUrl(raw: string): BaseUrl {
  if (typeof raw !== 'string' || raw.trim() === '') throw new BaseUrlError(NOT_A_URL);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new BaseUrlError(NOT_A_URL);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BaseUrlError('must use http or https');
  if (url.username !== '' || url.password !== '') {
    // The message does not spell out "password": a search of errors for the URL's password would match it.
    throw new BaseUrlError(
      'must not carry a user or password',
      'The GitLab base URL must not carry user info',
    );
  }
  // `URL` drops a bare "?" or "#", so the text is checked too.
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(raw)) {
    throw new BaseUrlError('must not have a query or fragment');
  }
  const root = url.pathname.replace(/\/{2,}/g, '/').replace(/\/+$/, '');
  return { origin: url.origin, prefix: `${root}/api/v4`, href: `${url.origin}${root}` };
}
