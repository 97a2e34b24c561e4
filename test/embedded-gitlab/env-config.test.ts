import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddedGitLabConfigError, loadEmbeddedGitLabConfig } from '../../src/embedded-gitlab/config.ts';

const GENERATED = /^glpat-[0-9A-Za-z]{20}$/;

describe('loadEmbeddedGitLabConfig', () => {
  it('defaults to any free port and generated tokens', () => {
    const config = loadEmbeddedGitLabConfig({});
    assert.equal(config.port, 0);
    assert.match(config.adminToken, GENERATED);
    assert.match(config.userToken, GENERATED);
    assert.notEqual(config.adminToken, config.userToken);
    assert.equal(config.adminTokenFrom, undefined);
    assert.equal(config.userTokenFrom, undefined);
  });

  it('generates a different token each time', () => {
    assert.notEqual(loadEmbeddedGitLabConfig({}).adminToken, loadEmbeddedGitLabConfig({}).adminToken);
  });

  it('reads the port and the tokens, and names the variables they came from', () => {
    const config = loadEmbeddedGitLabConfig({
      EMBEDDED_GITLAB_PORT: '8081',
      EMBEDDED_GITLAB_ADMIN_TOKEN: 'admin-secret',
      EMBEDDED_GITLAB_USER_TOKEN: 'user-secret',
    });
    assert.deepEqual(config, {
      port: 8081,
      adminToken: 'admin-secret',
      userToken: 'user-secret',
      adminTokenFrom: 'EMBEDDED_GITLAB_ADMIN_TOKEN',
      userTokenFrom: 'EMBEDDED_GITLAB_USER_TOKEN',
      autoDisableWebHooks: true,
    });
  });

  it('reads EMBEDDED_GITLAB_AUTO_DISABLE_WEBHOOKS, on unless set to false', () => {
    const read = (value: string | undefined) =>
      loadEmbeddedGitLabConfig(value === undefined ? {} : { EMBEDDED_GITLAB_AUTO_DISABLE_WEBHOOKS: value })
        .autoDisableWebHooks;
    assert.deepEqual([undefined, '', 'true', 'TRUE', 'false', ' False '].map(read), [
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    for (const value of ['yes', '0', 'off']) {
      assert.throws(
        () => loadEmbeddedGitLabConfig({ EMBEDDED_GITLAB_AUTO_DISABLE_WEBHOOKS: value }),
        (error: unknown) =>
          error instanceof EmbeddedGitLabConfigError &&
          error.problems.includes(
            `EMBEDDED_GITLAB_AUTO_DISABLE_WEBHOOKS must be true or false, got "${value}"`,
          ),
        value,
      );
    }
  });

  it('treats port 0 and an empty port as any free port', () => {
    assert.equal(loadEmbeddedGitLabConfig({ EMBEDDED_GITLAB_PORT: '0' }).port, 0);
    assert.equal(loadEmbeddedGitLabConfig({ EMBEDDED_GITLAB_PORT: '' }).port, 0);
    assert.equal(loadEmbeddedGitLabConfig({ EMBEDDED_GITLAB_PORT: '65535' }).port, 65_535);
  });

  it('rejects ports that are not integers from 0 to 65535', () => {
    for (const port of ['-1', '65536', '80.5', 'http', '1e3', '0x50']) {
      assert.throws(
        () => loadEmbeddedGitLabConfig({ EMBEDDED_GITLAB_PORT: port }),
        /EMBEDDED_GITLAB_PORT/,
        port,
      );
    }
  });

  it('reports every problem at once without quoting a token', () => {
    const secret = 'bad token\twith-secret';
    let caught: unknown;
    try {
      loadEmbeddedGitLabConfig({
        EMBEDDED_GITLAB_PORT: 'eighty',
        EMBEDDED_GITLAB_ADMIN_TOKEN: secret,
        EMBEDDED_GITLAB_USER_TOKEN: 'x'.repeat(256),
      });
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof EmbeddedGitLabConfigError);
    assert.equal(caught.code, 'EMBEDDED_GITLAB_CONFIG_INVALID');
    assert.equal(caught.problems.length, 3);
    assert.match(caught.problems[0] ?? '', /EMBEDDED_GITLAB_PORT/);
    assert.match(
      caught.problems[1] ?? '',
      /EMBEDDED_GITLAB_ADMIN_TOKEN must not contain whitespace or control/,
    );
    assert.match(caught.problems[2] ?? '', /EMBEDDED_GITLAB_USER_TOKEN must be at most 255 characters/);
    assert.equal(caught.message, caught.problems.join('\n'));
    assert.doesNotMatch(caught.message, /with-secret|xxxx/);
  });

  it('rejects an empty token, a control character and equal tokens', () => {
    assert.throws(
      () =>
        loadEmbeddedGitLabConfig({ EMBEDDED_GITLAB_ADMIN_TOKEN: '', EMBEDDED_GITLAB_USER_TOKEN: 'a\u0007b' }),
      (error: unknown) =>
        error instanceof EmbeddedGitLabConfigError &&
        error.problems.length === 2 &&
        /ADMIN_TOKEN must not be empty/.test(error.problems[0] ?? '') &&
        /USER_TOKEN must not contain/.test(error.problems[1] ?? ''),
    );
    assert.throws(
      () =>
        loadEmbeddedGitLabConfig({ EMBEDDED_GITLAB_ADMIN_TOKEN: 'same', EMBEDDED_GITLAB_USER_TOKEN: 'same' }),
      /must differ/,
    );
  });
});
