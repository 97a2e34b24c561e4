import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const QUERY = 'query Count { systemHooks { count } }';

describe('TRUSTED_DOCUMENTS_FILE', () => {
  let dir: string;
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  /** The single configuration problem `env` causes. */
  const problem = (env: NodeJS.ProcessEnv): string => {
    try {
      loadConfig(env);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 1, error.message);
      return error.problems[0] as string;
    }
    assert.fail('no ConfigError');
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trusted-documents-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is off by default', () => {
    assert.equal(loadConfig({}).trustedDocuments, undefined);
  });

  it('loads a manifest keyed by "sha256:<hex>", upper-case hex too', () => {
    const hash = sha256(QUERY);
    const path = file('ok.json', JSON.stringify({ [hash.toUpperCase().replace('SHA256', 'sha256')]: QUERY }));
    const documents = loadConfig({ TRUSTED_DOCUMENTS_FILE: path }).trustedDocuments;
    assert.deepEqual([...(documents ?? [])], [[hash.slice('sha256:'.length), QUERY]]);
  });

  it('names a file that cannot be read', () => {
    assert.match(
      problem({ TRUSTED_DOCUMENTS_FILE: join(dir, 'missing.json') }),
      /^TRUSTED_DOCUMENTS_FILE ".*missing\.json" cannot be read \(ENOENT\)$/,
    );
  });

  it('says what is wrong with a malformed manifest', () => {
    const cases: [string, RegExp][] = [
      ['{"sha256:', /is not JSON/],
      ['[]', /must be a JSON object mapping "sha256:<hash>" to a GraphQL document/],
      ['{}', /it has no documents/],
      [JSON.stringify({ abc: QUERY }), /key "abc" is not "sha256:" followed by 64 hexadecimal characters/],
      [JSON.stringify({ [sha256(QUERY)]: 1 }), /the value of "sha256:[0-9a-f]{64}" is not a string/],
      [
        JSON.stringify({ [sha256('{ other }')]: QUERY }),
        /key "sha256:[0-9a-f]{64}" is not the SHA-256 of its document/,
      ],
      [JSON.stringify({ [sha256('query {')]: 'query {' }), /does not parse: Syntax Error/],
    ];
    for (const [content, expected] of cases) {
      const message = problem({ TRUSTED_DOCUMENTS_FILE: file('bad.json', content) });
      assert.match(message, /^TRUSTED_DOCUMENTS_FILE ".*bad\.json" is not a trusted-documents manifest: /);
      assert.match(message, expected, content);
    }
  });

  it('lists the first five problems of a manifest and counts the rest', () => {
    const manifest = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`key-${i}`, QUERY]));
    const message = problem({ TRUSTED_DOCUMENTS_FILE: file('many.json', JSON.stringify(manifest)) });
    assert.match(message, /key "key-4"/);
    assert.doesNotMatch(message, /key "key-5"/);
    assert.match(message, /; and 3 more$/);
  });

  it('is reported together with the other configuration problems', () => {
    assert.throws(
      () => loadConfig({ PORT: 'x', INTROSPECTION: 'no', TRUSTED_DOCUMENTS_FILE: join(dir, 'missing.json') }),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 3,
    );
  });
});

describe('INTROSPECTION', () => {
  it('is on by default, and takes true or false', () => {
    assert.equal(loadConfig({}).introspection, true);
    assert.equal(loadConfig({ INTROSPECTION: 'false' }).introspection, false);
    assert.equal(loadConfig({ INTROSPECTION: ' TRUE ' }).introspection, true);
  });

  it('refuses anything else', () => {
    assert.throws(
      () => loadConfig({ INTROSPECTION: 'off' }),
      /INTROSPECTION must be true or false, got "off"/,
    );
  });
});
