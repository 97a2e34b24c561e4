import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BaseUrlError, parseBaseUrl } from '../../src/upstream/base-url.ts';

describe('parseBaseUrl', () => {
  const good: [string, { origin: string; prefix: string; href: string }][] = [
    [
      'https://gitlab.example.com',
      { origin: 'https://gitlab.example.com', prefix: '/api/v4', href: 'https://gitlab.example.com' },
    ],
    [
      'http://127.0.0.1:8080/',
      { origin: 'http://127.0.0.1:8080', prefix: '/api/v4', href: 'http://127.0.0.1:8080' },
    ],
    [
      ' https://x.example/gitlab// ',
      { origin: 'https://x.example', prefix: '/gitlab/api/v4', href: 'https://x.example/gitlab' },
    ],
    [
      'https://x.example//a//b/',
      { origin: 'https://x.example', prefix: '/a/b/api/v4', href: 'https://x.example/a/b' },
    ],
    [
      'HTTPS://GitLab.Example.com:443/Root',
      {
        origin: 'https://gitlab.example.com',
        prefix: '/Root/api/v4',
        href: 'https://gitlab.example.com/Root',
      },
    ],
  ];
  for (const [raw, expected] of good) {
    it(`reads ${JSON.stringify(raw)}`, () => {
      assert.deepEqual(parseBaseUrl(raw), expected);
    });
  }

  const bad: [string, string][] = [
    ['', 'must be an absolute http(s) URL such as https://gitlab.example.com'],
    ['   ', 'must be an absolute http(s) URL such as https://gitlab.example.com'],
    ['gitlab.example.com', 'must be an absolute http(s) URL such as https://gitlab.example.com'],
    ['/gitlab', 'must be an absolute http(s) URL such as https://gitlab.example.com'],
    ['ftp://gitlab.example.com', 'must use http or https'],
    ['javascript:alert(1)', 'must use http or https'],
    ['https://user:s3cr3t@gitlab.example.com', 'must not carry a user or password'],
    ['https://s3cr3t@gitlab.example.com', 'must not carry a user or password'],
    ['https://gitlab.example.com/?s3cr3t=1', 'must not have a query or fragment'],
    ['https://gitlab.example.com?', 'must not have a query or fragment'],
    ['https://gitlab.example.com/#s3cr3t', 'must not have a query or fragment'],
    ['https://gitlab.example.com#', 'must not have a query or fragment'],
  ];
  for (const [raw, reason] of bad) {
    it(`refuses ${JSON.stringify(raw)}: ${reason}`, () => {
      assert.throws(
        () => parseBaseUrl(raw),
        (error: unknown) => {
          assert.ok(error instanceof BaseUrlError);
          assert.ok(error instanceof TypeError, 'callers that catch a TypeError keep working');
          assert.equal(error.reason, reason);
          assert.match(error.message, /^The GitLab base URL must/);
          assert.ok(!error.message.includes('s3cr3t') && !error.message.includes('pass'));
          return true;
        },
      );
    });
  }

  it('gives a reason that reads after any subject', () => {
    const error = (() => {
      try {
        parseBaseUrl('ftp://x');
      } catch (thrown) {
        return thrown;
      }
    })();
    assert.ok(error instanceof BaseUrlError);
    assert.equal(`GITLAB_URL ${error.reason}`, 'GITLAB_URL must use http or https');
  });
});
