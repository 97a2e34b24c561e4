/**
 * Whether a system hook delivery comes from GitLab: its `X-Gitlab-Token` equals one of the configured secret
 * tokens, or its Standard Webhooks signature (GitLab 19.0) verifies with one of the configured signing secrets.
 * Several of each are accepted so that a secret can be rotated without losing deliveries.
 *
 * A delivery that carries `webhook-signature` is judged by it alone and never falls back to the token: otherwise
 * a stolen token would defeat a signature that was meant to replace it. Everything that the headers decide (the
 * token; the signature's id, timestamp and window) is decided before the body is read; only the HMAC needs it.
 *
 * Nothing here logs, and no result or problem sentence contains a secret.
 */
import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { HeaderReader } from '../http/request-headers.ts';
import type { WebhookVerification } from './types.ts';

/** How far `webhook-timestamp` may be from now, either way, in seconds (Standard Webhooks' recommendation). */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

const SIGNING_SECRET_PREFIX = 'whsec_';
/** The Standard Webhooks bounds for a symmetric secret: at least 192 bits, at most 512. */
const MIN_SIGNING_SECRET_BYTES = 24;
const MAX_SIGNING_SECRET_BYTES = 64;
/** Standard base64 (RFC 4648 §4), with or without its `=` padding. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
/** Printable ASCII (spaces inside allowed): what an HTTP header carries unchanged. */
const TOKEN_CHARACTERS = /^[\x20-\x7e]+$/;
const MAX_TOKEN_LENGTH = 1024;
/** Only this many entries of `webhook-signature` are looked at; GitLab sends one, rotation a few. */
const MAX_SIGNATURES = 16;
const TIMESTAMP = /^[0-9]{1,15}$/;

/** A configuration variable's accepted values and, separately, what was wrong with the others. */
export interface ParsedSecrets {
  values: string[];
  /** Sentences naming the variable and the entry's position, never its value. */
  problems: string[];
}

function entriesOf(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function collect(
  raw: string | undefined,
  variable: string,
  problemOf: (entry: string) => string | null,
): ParsedSecrets {
  const values: string[] = [];
  const problems: string[] = [];
  entriesOf(raw).forEach((entry, index) => {
    const problem = problemOf(entry);
    if (problem !== null) problems.push(`${variable}: entry ${index + 1} ${problem}`);
    else if (!values.includes(entry)) values.push(entry);
  });
  return { values, problems };
}

/**
 * `WEBHOOK_SECRET_TOKENS`: comma-separated `X-Gitlab-Token` values. Entries are trimmed and empty ones ignored;
 * each must be 1 to 1024 printable ASCII characters (spaces inside are allowed; GitLab strips line breaks), so
 * a token cannot contain a comma.
 */
export function parseSecretTokens(
  raw: string | undefined,
  variable = 'WEBHOOK_SECRET_TOKENS',
): ParsedSecrets {
  return collect(raw, variable, (entry) => {
    if (entry.length > MAX_TOKEN_LENGTH) return `is longer than ${MAX_TOKEN_LENGTH} characters`;
    if (!TOKEN_CHARACTERS.test(entry))
      return 'contains a character other than printable ASCII, which an HTTP header cannot carry as is';
    return null;
  });
}

/**
 * `WEBHOOK_SIGNING_SECRETS`: comma-separated Standard Webhooks secrets. Entries are trimmed and empty ones
 * ignored; each must be `whsec_` followed by standard base64 (A-Z, a-z, 0-9, `+`, `/`; the `=` padding may be
 * left out) of 24 to 64 bytes, as GitLab generates them (`whsec_` and 32 random bytes).
 */
export function parseSigningSecrets(
  raw: string | undefined,
  variable = 'WEBHOOK_SIGNING_SECRETS',
): ParsedSecrets {
  return collect(raw, variable, (entry) => {
    if (!entry.startsWith(SIGNING_SECRET_PREFIX)) return `does not start with ${SIGNING_SECRET_PREFIX}`;
    const encoded = entry.slice(SIGNING_SECRET_PREFIX.length);
    if (!BASE64.test(encoded)) return `is not standard base64 after ${SIGNING_SECRET_PREFIX}`;
    const bytes = Buffer.from(encoded, 'base64').byteLength;
    if (bytes < MIN_SIGNING_SECRET_BYTES || bytes > MAX_SIGNING_SECRET_BYTES)
      return `decodes to ${bytes} bytes; a signing secret is ${MIN_SIGNING_SECRET_BYTES} to ${MAX_SIGNING_SECRET_BYTES} bytes`;
    return null;
  });
}

function signingKey(secret: string): Buffer {
  return Buffer.from(
    secret.startsWith(SIGNING_SECRET_PREFIX) ? secret.slice(SIGNING_SECRET_PREFIX.length) : secret,
    'base64',
  );
}

function signWithKey(key: Buffer, id: string, timestamp: string, body: Uint8Array | string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')}`;
}

/**
 * The `webhook-signature` entry GitLab sends for `body` under `secret` (`whsec_...`): `v1,` and the base64
 * HMAC-SHA256 of `id.timestamp.body`.
 */
export function signStandardWebhook(
  secret: string,
  id: string,
  timestamp: string,
  body: Uint8Array | string,
): string {
  return signWithKey(signingKey(secret), id, timestamp, body);
}

export interface WebhookVerifierOptions {
  /**
   * Accepted `X-Gitlab-Token` values, as `parseSecretTokens` returns them.
   * @default []
   */
  secretTokens?: readonly string[] | undefined;
  /**
   * Accepted Standard Webhooks secrets (`whsec_...`), as `parseSigningSecrets` returns them.
   * @default []
   */
  signingSecrets?: readonly string[] | undefined;
  /**
   * How far `webhook-timestamp` may be from now, in the past or the future, in seconds.
   * @default DEFAULT_SIGNATURE_TOLERANCE_SECONDS (300)
   */
  toleranceSeconds?: number | undefined;
  /**
   * The clock, in milliseconds since the epoch.
   * @default Date.now
   */
  now?: (() => number) | undefined;
}

/** What the headers alone decide: accepted by token, refused, or a signature that needs the body. */
export type HeaderVerdict = 'TOKEN' | 'needs-body' | 'refused';

export interface WebhookVerifier {
  /** Judges a delivery by its headers, before its body is read. */
  checkHeaders(headers: HeaderReader): HeaderVerdict;
  /** Checks the signature over the raw body, after `checkHeaders` answered `'needs-body'` for these headers. */
  checkSignature(headers: HeaderReader, body: Uint8Array): 'SIGNATURE' | 'refused';
  /** Both steps, for a caller that already holds the body: how the delivery was verified, or `null`. */
  verify(headers: HeaderReader, body: Uint8Array): WebhookVerification | null;
}

export function createWebhookVerifier(options: WebhookVerifierOptions = {}): WebhookVerifier {
  const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
  const now = options.now ?? Date.now;
  // Tokens are compared as SHA-256 digests salted with a secret of this process: equal lengths whatever the
  // token, so neither a token's length nor the position of a first differing character shows in the timing,
  // and nobody can compute a digest in advance. `hash` is one call, without the two objects and the key setup
  // an HMAC costs on every delivery; the salt is all the key these digests need, since none ever leaves here.
  const salt = randomBytes(32).toString('base64');
  const digestOf = (value: string) => hash('sha256', `${salt}${value}`, 'buffer');
  const tokenDigests = (options.secretTokens ?? []).map(digestOf);
  const keys = (options.signingSecrets ?? []).map(signingKey);

  function tokenMatches(token: string | null): boolean {
    if (token === null || tokenDigests.length === 0) return false;
    const digest = digestOf(token);
    let matched = false;
    // Every configured token is compared, so the time taken does not say which one matched.
    for (const expected of tokenDigests) matched = timingSafeEqual(expected, digest) || matched;
    return matched;
  }

  function signatureHeadersAcceptable(headers: HeaderReader): boolean {
    const id = headers.get('webhook-id');
    const timestamp = headers.get('webhook-timestamp');
    if (keys.length === 0 || !id || timestamp === null || !TIMESTAMP.test(timestamp)) return false;
    return Math.abs(now() / 1000 - Number(timestamp)) <= toleranceSeconds;
  }

  function checkHeaders(headers: HeaderReader): HeaderVerdict {
    if (headers.has('webhook-signature'))
      return signatureHeadersAcceptable(headers) ? 'needs-body' : 'refused';
    return tokenMatches(headers.get('x-gitlab-token')) ? 'TOKEN' : 'refused';
  }

  function checkSignature(headers: HeaderReader, body: Uint8Array): 'SIGNATURE' | 'refused' {
    const id = headers.get('webhook-id');
    const timestamp = headers.get('webhook-timestamp');
    const signature = headers.get('webhook-signature');
    if (id === null || timestamp === null || signature === null || !signatureHeadersAcceptable(headers))
      return 'refused';
    const received = signature
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .slice(0, MAX_SIGNATURES)
      .map((entry) => Buffer.from(entry));
    let matched = false;
    for (const key of keys) {
      const expected = Buffer.from(signWithKey(key, id, timestamp, body));
      for (const entry of received)
        matched = (entry.byteLength === expected.byteLength && timingSafeEqual(entry, expected)) || matched;
    }
    return matched ? 'SIGNATURE' : 'refused';
  }

  return {
    checkHeaders,
    checkSignature,
    verify(headers, body) {
      const verdict = checkHeaders(headers);
      if (verdict === 'needs-body') return checkSignature(headers, body) === 'SIGNATURE' ? 'SIGNATURE' : null;
      return verdict === 'TOKEN' ? 'TOKEN' : null;
    },
  };
}
