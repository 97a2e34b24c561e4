import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOriginPolicy, parseCorsOrigins } from '../../src/http/origin-policy.ts';

const APP = 'https://app.example.com';
/** A page of the gateway's own (GraphiQL), as `allowed-hosts.ts` would judge it from the connection. */
const OWN = 'http://127.0.0.1:4000';
const OTHER = 'https://evil.example.net';
const isOwn = (origin: string) => origin === OWN;

/** One list, both ways a page reaches the gateway: CORS over HTTP, the Origin check of a WebSocket upgrade. */
const TABLE: [what: string, listed: string[], origin: string | undefined, cors: boolean, upgrade: boolean][] =
  [
    ['a listed origin', [APP], APP, true, true],
    ['an origin not listed', [APP], OTHER, false, false],
    ['any origin, with an empty list', [], APP, false, false],
    ["the gateway's own page, not listed (same-origin: no CORS needed)", [APP], OWN, false, true],
    ["the gateway's own page, with an empty list", [], OWN, false, true],
    ['no Origin at all (no browser page)', [APP], undefined, false, true],
    ['the null origin of a sandboxed page', [APP], 'null', false, false],
    ['a listed origin with a trailing slash', [APP], `${APP}/`, false, false],
  ];

describe('the origin policy (CORS_ORIGINS)', () => {
  for (const [what, listed, origin, cors, upgrade] of TABLE) {
    it(`${what}: CORS ${cors ? 'allowed' : 'refused'}, upgrade ${upgrade ? 'allowed' : 'refused'}`, async () => {
      const policy = createOriginPolicy(listed);
      assert.equal(policy.allowsCors(origin ?? null), cors);
      assert.equal(policy.allowsUpgrade(origin, isOwn), upgrade);
      // Yoga's `cors` option agrees with `allowsCors`.
      const headers: Record<string, string> = origin === undefined ? {} : { origin };
      const option = policy.cors;
      const answer =
        typeof option === 'function'
          ? await option(new Request('http://gateway/graphql', { headers }))
          : option;
      assert.equal(answer !== false && answer !== undefined, cors);
    });
  }

  it('reads only exact http and https origins, refusing "*" and the rest each with a problem', () => {
    assert.deepEqual(parseCorsOrigins([APP, 'http://localhost:5173']), {
      value: [APP, 'http://localhost:5173'],
      problems: [],
    });
    const { value, problems } = parseCorsOrigins(['*', `${APP}/`, `${APP}/path`, 'ftp://files.example.com']);
    assert.deepEqual(value, []);
    assert.equal(problems.length, 4);
    assert.match(problems[0] ?? '', /^CORS_ORIGINS must list origins, not "\*"/);
  });
});
