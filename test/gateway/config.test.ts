import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, usesEmbeddedGitLab } from '../../src/config/index.ts';
import { loadEmbeddedUpstreamConfig } from '../../src/dev/embedded-upstream.ts';

describe('loadConfig', () => {
  it('defaults to port 4000 on loopback and the embedded GitLab when GITLAB_URL is unset', () => {
    const config = loadConfig({});
    assert.equal(config.server.port, 4000);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.gitlabUrl, undefined);
    assert.equal(config.gitlabToken, undefined);
    assert.equal(config.upstream.timeoutMs, 10_000);
    // npm start then adds the embedded GitLab (src/dev/), configured from its own variables.
    assert.ok(usesEmbeddedGitLab({}));
    assert.ok(loadEmbeddedUpstreamConfig({}).embedded, 'the embedded GitLab is configured');
  });

  it('uses GITLAB_URL without a trailing slash, and then no embedded GitLab', () => {
    const env = { GITLAB_URL: 'https://gitlab.example.com/', GITLAB_TOKEN: 'glpat-abc' };
    const config = loadConfig(env);
    assert.equal(config.gitlabUrl, 'https://gitlab.example.com');
    assert.deepEqual(config.gitlabToken, { scheme: 'private-token', token: 'glpat-abc' });
    assert.equal(usesEmbeddedGitLab(env), false);
  });

  it('keeps a relative URL root such as /gitlab', () => {
    assert.equal(
      loadConfig({ GITLAB_URL: 'https://example.com/gitlab/' }).gitlabUrl,
      'https://example.com/gitlab',
    );
  });

  it('reports every problem at once', () => {
    const env = {
      PORT: 'eighty',
      GITLAB_URL: 'ftp://gitlab.example.com',
      GITLAB_TOKEN: 'has a space',
      UPSTREAM_TIMEOUT_MS: '-5',
      UPSTREAM_CONNECTIONS: '99999',
    };
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 5, error.message);
        assert.match(error.message, /PORT must be an integer from 0 to 65535, got "eighty"/);
        assert.match(error.message, /GITLAB_URL must use http or https/);
        assert.match(error.message, /GITLAB_TOKEN must be/);
        assert.match(error.message, /UPSTREAM_TIMEOUT_MS/);
        assert.match(error.message, /UPSTREAM_CONNECTIONS/);
        return true;
      },
    );
  });

  it('never quotes a token back in an error', () => {
    assert.throws(
      () => loadConfig({ GITLAB_TOKEN: 'glpat-secret value' }),
      (error: Error) => !error.message.includes('glpat-secret'),
    );
  });

  it('rejects a GITLAB_URL with credentials, a query, or no scheme', () => {
    for (const url of [
      'https://user:pw@gitlab.example.com',
      'https://gitlab.example.com/?x=1',
      'gitlab.example.com',
    ]) {
      assert.throws(() => loadConfig({ GITLAB_URL: url }), ConfigError, url);
    }
  });

  it('refuses COMPILED_QUERIES=true, which asked for graphql-jit, and accepts false, which every gateway does', () => {
    for (const value of ['true', ' TRUE ']) {
      assert.throws(
        () => loadConfig({ COMPILED_QUERIES: value }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.problems.length === 1 &&
          /COMPILED_QUERIES is no longer supported: queries always run with graphql-js/.test(error.message),
      );
    }
    assert.doesNotThrow(() => loadConfig({ COMPILED_QUERIES: 'false' }));
    assert.doesNotThrow(() => loadConfig({ COMPILED_QUERIES: '' }));
    assert.throws(
      () => loadConfig({ COMPILED_QUERIES: 'sometimes' }),
      /COMPILED_QUERIES must be true or false, got "sometimes"/,
    );
  });

  it('reports problems with the embedded GitLab variables together with the others', () => {
    assert.throws(
      () => loadEmbeddedUpstreamConfig({ PORT: 'x', EMBEDDED_GITLAB_PORT: 'y' }),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 2,
    );
  });

  it('sets the HTTP edge explicitly by default: timeouts, a connection cap, no names beyond the loopback ones', () => {
    assert.deepEqual(loadConfig({}).server, {
      host: '127.0.0.1',
      port: 4000,
      allowedHosts: [],
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 4096,
    });
  });

  it('reads ALLOWED_HOSTS as names and .names, in lower case', () => {
    const { server } = loadConfig({
      ALLOWED_HOSTS: ' Gateway.Example.com , .corp.example,gateway_1 ',
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
      HTTP_MAX_CONNECTIONS: '100',
    });
    assert.deepEqual(server, {
      host: '127.0.0.1',
      port: 4000,
      allowedHosts: ['gateway.example.com', '.corp.example', 'gateway_1'],
      headersTimeoutMs: 2000,
      requestTimeoutMs: 2000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 100,
    });
  });

  it('refuses "*", URLs, ports and paths in ALLOWED_HOSTS, each with a message that names the variable', () => {
    const entries = [
      '*',
      'https://gateway.example.com',
      'gateway.example.com:443',
      'gateway.example.com/x',
      'a..b',
    ];
    assert.throws(
      () => loadConfig({ ALLOWED_HOSTS: entries.join(',') }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, entries.length, error.message);
        assert.match(
          error.problems[0] ?? '',
          /ALLOWED_HOSTS must list host names, not "\*": .*DNS rebinding/,
        );
        for (const problem of error.problems.slice(1)) {
          assert.match(problem, /^ALLOWED_HOSTS entries must be host names such as gateway\.example\.com/);
        }
        return true;
      },
    );
  });

  it('refuses HTTP timeouts out of range, headers that may outlast the request, and a cap of 0', () => {
    assert.throws(
      () =>
        loadConfig({
          HTTP_HEADERS_TIMEOUT_MS: '20000',
          HTTP_REQUEST_TIMEOUT_MS: '10000',
          HTTP_KEEP_ALIVE_TIMEOUT_MS: '0',
          HTTP_MAX_CONNECTIONS: '0',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          'HTTP_KEEP_ALIVE_TIMEOUT_MS must be an integer from 100 to 3600000, got "0"',
          'HTTP_MAX_CONNECTIONS must be an integer from 1 to 1000000, got "0"',
          'HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS',
        ]);
        return true;
      },
    );
  });
});
