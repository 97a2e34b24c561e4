import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import {
  createGitLabClient,
  type GitLabClient,
  type GitLabClientOptions,
} from '../../src/upstream/client.ts';
import { UpstreamError, type UpstreamErrorCode } from '../../src/upstream/errors.ts';
import type { Credential } from '../../src/upstream/types.ts';

export const TOKEN = 'glpat-SeCrEt-7f3a9c2e1b';
export const privateToken: Credential = { scheme: 'private-token', token: TOKEN };
export const bearer: Credential = { scheme: 'bearer', token: TOKEN };

/** A hook as the newest GitLab renders it. */
export function hookJson(id: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    url: `https://example.com/hook/${id}/{token}`,
    name: `Hook ${id}`,
    description: null,
    created_at: '2025-01-01T12:00:00.000Z',
    push_events: false,
    tag_push_events: false,
    merge_requests_events: false,
    repository_update_events: true,
    enable_ssl_verification: true,
    organization_id: 1,
    alert_status: 'executable',
    disabled_until: null,
    url_variables: [{ key: 'token' }],
    push_events_branch_filter: null,
    branch_filter_strategy: 'wildcard',
    custom_webhook_template: null,
    custom_headers: [],
    ...extra,
  };
}

export function clientFor(url: string, options: Partial<GitLabClientOptions> = {}): GitLabClient {
  return createGitLabClient({ baseUrl: url, timeoutMs: 2_000, ...options });
}

/** Everything an error would show in a log: message, stack, cause chain, own properties. */
export function serialized(error: unknown): string {
  const parts = [inspect(error, { depth: 10, showHidden: true })];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(current.message, current.stack ?? '');
    current = current.cause;
  }
  return parts.join('\n');
}

/** Awaits `promise`, expects an `UpstreamError` with `code`, checks it holds no token, and returns it. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: UpstreamErrorCode,
): Promise<UpstreamError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof UpstreamError, `expected an UpstreamError, got ${inspect(caught)}`);
  assert.equal(caught.code, code, `message: ${caught.message}`);
  assert.ok(!serialized(caught).includes(TOKEN), 'the token leaked into the error');
  return caught;
}

/**
 * A stand-in for a caller's signal that only supports being listened to, as Yoga's lazy request signal is
 * meant to be used: `AbortSignal.any` or undici would refuse it. It counts its listeners.
 */
export function listenOnlySignal() {
  /** Each listener, and whether it was added with `once`. */
  const listeners = new Map<() => void, boolean>();
  let aborted = false;
  let reason: unknown;
  const signal = {
    get aborted() {
      return aborted;
    },
    get reason() {
      return reason;
    },
    addEventListener(type: string, listener: () => void, options?: { once?: boolean }) {
      assert.equal(type, 'abort');
      listeners.set(listener, options?.once === true);
    },
    removeEventListener(type: string, listener: () => void) {
      assert.equal(type, 'abort');
      listeners.delete(listener);
    },
  };
  return {
    signal: signal as unknown as AbortSignal,
    get listeners() {
      return listeners.size;
    },
    abort(why: unknown = new DOMException('The caller went away', 'AbortError')) {
      if (aborted) return;
      aborted = true;
      reason = why;
      for (const [listener, once] of [...listeners]) {
        // A `once` listener goes after firing, as on a real signal; any other stays until removed.
        if (once) listeners.delete(listener);
        listener();
      }
    },
  };
}
