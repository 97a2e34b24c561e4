import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

/**
 * The events' variables (`WEBHOOK_*`, `MAX_WEBHOOK_BODY_BYTES`, `REDIS_URL`, `EVENT_*`): defaults, accepted
 * values, and every malformed, out-of-range, oversized or hostile value refused with a clear `ConfigError` that
 * names the variable and never quotes a secret.
 */

const SIGNING_SECRET = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
const ROTATED_SECRET = `whsec_${Buffer.alloc(48, 2).toString('base64')}`;
const HUGE = 'x'.repeat(10 * 1024);

/** The problems `env` is refused with; fails if it is accepted or fails otherwise. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail(`accepted ${JSON.stringify(env).slice(0, 200)}`);
}

/** `env` is refused with one problem that names `variable`, is short, and contains none of `secrets`. */
function assertRefused(env: Record<string, string>, variable: string, secrets: string[] = []): string {
  const problems = problemsOf(env);
  assert.equal(problems.length, 1, problems.join('\n'));
  const [problem] = problems as [string];
  assert.ok(problem.startsWith(variable), problem);
  assert.ok(problem.length < 200, `a ${problem.length}-character problem`);
  assert.ok(!problem.includes('\n'), 'one line');
  for (const secret of secrets.filter((text) => text !== ''))
    assert.ok(!problem.includes(secret), `${variable}'s problem quotes a secret`);
  return problem;
}

describe('the events configuration', () => {
  it('defaults to no receiver secret, one process, and the documented bounds', () => {
    assert.deepEqual(loadConfig({}).events, {
      receiver: {
        secretTokens: [],
        signingSecrets: [],
        signatureToleranceSeconds: 300,
        maxBodyBytes: 1024 * 1024,
        readTimeoutMs: 15_000,
        maxConcurrentBodies: 32,
      },
      store: { redisUrl: undefined, retention: 1000, dedupeWindowSeconds: 86_400 },
      subscriptions: {
        authRecheckMs: 300 * 1000,
        authMaxStalenessMs: 600 * 1000,
        maxSubscriptions: 1000,
        maxSubscriptionsPerCredential: 100,
      },
    });
  });

  it('reads every variable, trimming entries and dropping empty and repeated ones', () => {
    const { events } = loadConfig({
      WEBHOOK_SECRET_TOKENS: ' first-token , ,second token,first-token ',
      WEBHOOK_SIGNING_SECRETS: `${SIGNING_SECRET},${ROTATED_SECRET.replace(/=+$/, '')}`,
      WEBHOOK_SIGNATURE_TOLERANCE_SECONDS: '60',
      MAX_WEBHOOK_BODY_BYTES: '2048',
      WEBHOOK_READ_TIMEOUT_MS: '1000',
      MAX_CONCURRENT_WEBHOOK_BODIES: '4',
      REDIS_URL: 'rediss://default:s3cret@redis.example.com:6380/2',
      EVENT_RETENTION: ' 5 ',
      EVENT_AUTH_RECHECK_SECONDS: '1',
      EVENT_AUTH_MAX_STALENESS_SECONDS: '5',
      MAX_SUBSCRIPTIONS: '20',
      MAX_SUBSCRIPTIONS_PER_CREDENTIAL: '30',
      EVENT_DEDUPE_WINDOW_SECONDS: '3600',
    });
    assert.deepEqual(events, {
      receiver: {
        secretTokens: ['first-token', 'second token'],
        signingSecrets: [SIGNING_SECRET, ROTATED_SECRET.replace(/=+$/, '')],
        signatureToleranceSeconds: 60,
        maxBodyBytes: 2048,
        readTimeoutMs: 1000,
        maxConcurrentBodies: 4,
      },
      store: {
        redisUrl: 'rediss://default:s3cret@redis.example.com:6380/2',
        retention: 5,
        dedupeWindowSeconds: 3600,
      },
      subscriptions: {
        authRecheckMs: 1 * 1000,
        authMaxStalenessMs: 5 * 1000,
        maxSubscriptions: 20,
        maxSubscriptionsPerCredential: 30,
      },
    });
  });

  it('defaults EVENT_AUTH_MAX_STALENESS_SECONDS to two rechecks, and refuses one that no recheck could meet', () => {
    const stalenessMs = (env: Record<string, string>) =>
      loadConfig(env).events.subscriptions.authMaxStalenessMs;
    assert.equal(stalenessMs({ EVENT_AUTH_RECHECK_SECONDS: '45' }), 90 * 1000);
    assert.equal(stalenessMs({ EVENT_AUTH_RECHECK_SECONDS: '86400' }), 172_800 * 1000);
    for (const [recheck, staleness] of [
      ['300', '300'],
      ['300', '120'],
      ['2', '2'],
    ]) {
      const problem = assertRefused(
        {
          EVENT_AUTH_RECHECK_SECONDS: recheck as string,
          EVENT_AUTH_MAX_STALENESS_SECONDS: staleness as string,
        },
        'EVENT_AUTH_MAX_STALENESS_SECONDS',
      );
      assert.match(problem, /must exceed EVENT_AUTH_RECHECK_SECONDS/);
    }
    for (const staleness of ['2', '172800']) {
      const { events } = loadConfig({
        EVENT_AUTH_RECHECK_SECONDS: '1',
        EVENT_AUTH_MAX_STALENESS_SECONDS: staleness,
      });
      assert.equal(events.subscriptions.authMaxStalenessMs, Number(staleness) * 1000);
    }
    for (const bad of ['1', '172801', '-5', '1.5', 'ten', HUGE]) {
      const problem = assertRefused(
        { EVENT_AUTH_RECHECK_SECONDS: '1', EVENT_AUTH_MAX_STALENESS_SECONDS: bad },
        'EVENT_AUTH_MAX_STALENESS_SECONDS',
      );
      assert.match(problem, /must be an integer from 2 to 172800/);
    }
  });

  describe('integers', () => {
    // The tolerance's upper end needs a window twice as long; the window's lower end, a tolerance half as long.
    const ranges: [variable: string, min: number, max: number, beside?: Record<string, string>][] = [
      ['WEBHOOK_SIGNATURE_TOLERANCE_SECONDS', 1, 86_400, { EVENT_DEDUPE_WINDOW_SECONDS: '172800' }],
      ['MAX_WEBHOOK_BODY_BYTES', 1024, 26_214_400],
      ['WEBHOOK_READ_TIMEOUT_MS', 1000, 300_000],
      ['MAX_CONCURRENT_WEBHOOK_BODIES', 1, 10_000],
      ['EVENT_RETENTION', 1, 100_000],
      ['EVENT_AUTH_RECHECK_SECONDS', 1, 86_400],
      ['MAX_SUBSCRIPTIONS', 1, 1_000_000],
      ['MAX_SUBSCRIPTIONS_PER_CREDENTIAL', 1, 1_000_000],
      ['EVENT_DEDUPE_WINDOW_SECONDS', 600, 604_800],
    ];
    for (const [variable, min, max, beside = {}] of ranges) {
      it(`accepts ${variable} from ${min} to ${max}`, () => {
        for (const value of [min, max]) loadConfig({ ...beside, [variable]: String(value) });
      });

      const bad = [
        String(min - 1),
        String(max + 1),
        '-5',
        '1.5',
        '1e3',
        '0x10',
        'ten',
        '*',
        '12\n34',
        '9'.repeat(400),
        HUGE,
      ];
      it(`refuses ${variable} out of range, malformed, hostile or oversized, naming the range`, () => {
        for (const value of bad) {
          const problem = assertRefused({ ...beside, [variable]: value }, variable);
          assert.match(problem, new RegExp(`must be an integer from ${min} to ${max}`));
        }
      });
    }
  });

  describe('the signature tolerance against the dedupe window', () => {
    it('accepts a tolerance of half the window, so that a replay within the tolerance is still recognised', () => {
      assert.equal(
        loadConfig({ WEBHOOK_SIGNATURE_TOLERANCE_SECONDS: '43200' }).events.receiver
          .signatureToleranceSeconds,
        43_200,
      );
      const { events } = loadConfig({
        WEBHOOK_SIGNATURE_TOLERANCE_SECONDS: '1800',
        EVENT_DEDUPE_WINDOW_SECONDS: '3600',
      });
      assert.deepEqual(
        [events.receiver.signatureToleranceSeconds, events.store.dedupeWindowSeconds],
        [1800, 3600],
      );
    });

    for (const [tolerance, window] of [
      ['43201', undefined],
      ['86400', undefined],
      ['1801', '3600'],
      ['301', '600'],
    ] as const) {
      it(`refuses a tolerance of ${tolerance} s with a window of ${window ?? 'the default 86400'} s`, () => {
        const env: Record<string, string> = { WEBHOOK_SIGNATURE_TOLERANCE_SECONDS: tolerance };
        if (window) env.EVENT_DEDUPE_WINDOW_SECONDS = window;
        const problem = assertRefused(env, 'WEBHOOK_SIGNATURE_TOLERANCE_SECONDS');
        assert.match(problem, /at most half of EVENT_DEDUPE_WINDOW_SECONDS/);
        assert.match(problem, new RegExp(`\\(${Math.floor(Number(window ?? 86_400) / 2)}\\)`));
      });
    }
  });

  describe('WEBHOOK_SECRET_TOKENS', () => {
    const hostile: [what: string, entry: string, reason: RegExp][] = [
      ['a line break', 'good-token-one\nsecond-line', /character other than printable ASCII/],
      ['a carriage return', 'good-token-one\rinjected: header', /character other than printable ASCII/],
      ['a NUL byte', 'nul\u0000token', /character other than printable ASCII/],
      ['a non-ASCII character', 'tökën-secret', /character other than printable ASCII/],
      ['10 KB', HUGE, /longer than 1024 characters/],
    ];
    for (const [what, entry, reason] of hostile) {
      it(`refuses a token with ${what}, by its position and without quoting it`, () => {
        const problem = assertRefused(
          { WEBHOOK_SECRET_TOKENS: `accepted-token,${entry}` },
          'WEBHOOK_SECRET_TOKENS',
          [entry, entry.slice(0, 8), 'accepted-token'],
        );
        assert.match(problem, /entry 2/);
        assert.match(problem, reason);
      });
    }

    it('takes "*" as a literal token, not a wildcard', () => {
      // Fails closed: a delivery must then send the token "*" itself.
      assert.deepEqual(loadConfig({ WEBHOOK_SECRET_TOKENS: '*' }).events.receiver.secretTokens, ['*']);
    });
  });

  describe('WEBHOOK_SIGNING_SECRETS', () => {
    const bad: [what: string, entry: string, reason: RegExp][] = [
      ['without the whsec_ prefix', Buffer.alloc(32, 3).toString('base64'), /does not start with whsec_/],
      ['"*"', '*', /does not start with whsec_/],
      ['with base64url characters', `whsec_${'-_'.repeat(22)}`, /is not standard base64/],
      [
        'with a line break',
        `${SIGNING_SECRET.slice(0, 20)}\n${SIGNING_SECRET.slice(20)}`,
        /is not standard base64/,
      ],
      ['too short a key', `whsec_${Buffer.alloc(16, 4).toString('base64')}`, /decodes to 16 bytes/],
      ['too long a key', `whsec_${Buffer.alloc(65, 5).toString('base64')}`, /decodes to 65 bytes/],
      ['10 KB', `whsec_${HUGE}`, /decodes to|base64/],
    ];
    for (const [what, entry, reason] of bad) {
      it(`refuses a secret ${what}, without quoting it`, () => {
        const problem = assertRefused(
          { WEBHOOK_SIGNING_SECRETS: `${SIGNING_SECRET},${entry}` },
          'WEBHOOK_SIGNING_SECRETS',
          [entry.slice(6, 20), SIGNING_SECRET.slice(6, 20)],
        );
        assert.match(problem, /entry 2/);
        assert.match(problem, reason);
      });
    }
  });

  describe('REDIS_URL', () => {
    const password = 'hunter2-redis-password';
    const bad: [what: string, url: string][] = [
      ['another scheme', `http://default:${password}@redis.example.com:6379`],
      ['no host', `redis://:${password}@`],
      ['a port out of range', `redis://default:${password}@redis.example.com:99999`],
      ['a space', `redis://default:${password}@redis example.com:6379`],
      [
        'a line break (which URL parsing would drop)',
        `redis://default:${password}@redis.example.com:6379/0\nFLUSHALL`,
      ],
      ['a tab', `redis://default:${password}@redis.example.com\t:6379`],
      ['"*"', '*'],
      ['no scheme', `default:${password}@redis.example.com:6379`],
    ];
    for (const [what, url] of bad) {
      it(`refuses a URL with ${what}, never quoting it or its password`, () => {
        const problem = assertRefused({ REDIS_URL: url }, 'REDIS_URL', [
          password,
          'redis.example.com',
          HUGE.slice(0, 50),
        ]);
        assert.equal(problem, 'REDIS_URL must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379');
      });
    }
  });

  it('reports every events problem at once, together with the others, quoting no secret', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      WEBHOOK_SECRET_TOKENS: 'bad\ntoken-value',
      WEBHOOK_SIGNING_SECRETS: 'not-a-secret-value',
      WEBHOOK_SIGNATURE_TOLERANCE_SECONDS: '0',
      MAX_WEBHOOK_BODY_BYTES: HUGE,
      REDIS_URL: 'redis://:pw-in-url@',
      EVENT_RETENTION: '-1',
      EVENT_AUTH_RECHECK_SECONDS: '*',
    });
    assert.deepEqual(problems.map((problem) => problem.split(/[ :]/)[0]).sort(), [
      'EVENT_AUTH_RECHECK_SECONDS',
      'EVENT_RETENTION',
      'MAX_WEBHOOK_BODY_BYTES',
      'PORT',
      'REDIS_URL',
      'WEBHOOK_SECRET_TOKENS',
      'WEBHOOK_SIGNATURE_TOLERANCE_SECONDS',
      'WEBHOOK_SIGNING_SECRETS',
    ]);
    const message = problems.join('\n');
    for (const secret of ['token-value', 'not-a-secret-value', 'pw-in-url'])
      assert.ok(!message.includes(secret), secret);
  });
});
