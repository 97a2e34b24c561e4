/**
 * GitLab's deliveries to the gateway's receiver, as GitLab 19.0 sends them: a `project_create` system hook
 * event, and the POST that carries it.
 *
 * ```ts
 * const { status } = await deliver(stack.url, projectCreate('one'), RECEIVER_TOKEN);
 * ```
 */
import { randomUUID } from 'node:crypto';
import { ROUTES } from '../../src/http/routes.ts';

/** A delivery as GitLab sends it: the body, byte for byte, and its headers without the credential. */
export interface Delivery {
  body: string;
  headers: Record<string, string>;
  /** Its `Idempotency-Key` (GitLab 17.4+ sends the same value in `webhook-id`), which the gateway dedupes on. */
  id: string;
}

/**
 * A `project_create` delivery whose project is named `name`, with GitLab 19.0's headers, padded with a
 * `description` of `padBytes` characters when a test needs large bodies.
 */
export function projectCreate(name: string, options: { id?: string; padBytes?: number } = {}): Delivery {
  const id = options.id ?? randomUUID();
  const payload = {
    event_name: 'project_create',
    created_at: '2026-03-01T10:00:00Z',
    updated_at: '2026-03-01T10:00:00Z',
    name,
    path: name.toLowerCase(),
    path_with_namespace: `platform/${name.toLowerCase()}`,
    project_id: 4242,
    project_namespace_id: 23,
    owner_name: 'Administrator',
    owner_email: 'admin@example.com',
    owners: [{ name: 'Administrator', email: 'admin@example.com' }],
    project_visibility: 'internal',
    ...(options.padBytes ? { description: 'x'.repeat(options.padBytes) } : {}),
  };
  return {
    id,
    body: JSON.stringify(payload),
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitLab/19.0.0',
      'x-gitlab-event': 'System Hook',
      'x-gitlab-instance': 'https://gitlab.example.com',
      'x-gitlab-webhook-uuid': randomUUID(),
      'idempotency-key': id,
      'webhook-id': id,
    },
  };
}

/** POSTs `delivery` to the receiver of the gateway at `origin` with `token`; its status and how long it took. */
export async function deliver(
  origin: string,
  delivery: Delivery,
  token: string,
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${origin}${ROUTES.receiver}`, {
    method: 'POST',
    headers: { ...delivery.headers, 'x-gitlab-token': token },
    body: delivery.body,
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}
