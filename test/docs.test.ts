import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadConfig, usesEmbeddedGitLab } from '../src/config/index.ts';
import { loadEmbeddedUpstreamConfig } from '../src/dev/embedded-upstream.ts';
import { GATEWAY_ERROR_CODES } from '../src/graphql/errors.ts';

const root = new URL('../', import.meta.url);
const readDoc = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The backticked names in the first column of the page's tables: `` | `NAME` | ... ``. */
function firstColumnNames(markdown: string): string[] {
  return [...markdown.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1] as string);
}

/**
 * The environment variables `npm start` reads, found by watching it read an environment: `loadConfig`, and
 * without `GITLAB_URL` the embedded GitLab's configuration besides (`src/index.ts` chooses as here).
 */
function variablesRead(base: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const env = new Proxy(base, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return Reflect.get(target, name);
    },
  });
  if (usesEmbeddedGitLab(base)) loadEmbeddedUpstreamConfig(env);
  else loadConfig(env);
  return read;
}

describe('the manual in docs/', () => {
  it('lists in docs/configuration.md exactly the variables the configuration reads', () => {
    // With and without GITLAB_URL: the embedded GitLab's variables are read only when it is used.
    const variables = new Set([
      ...variablesRead({}),
      ...variablesRead({ GITLAB_URL: 'https://gitlab.example.com' }),
    ]);
    const documented = firstColumnNames(readDoc('docs/configuration.md'));
    assert.equal(new Set(documented).size, documented.length, 'a variable is listed twice');
    assert.deepEqual([...documented].sort(), [...variables].sort());
  });

  it('lists in docs/errors.md exactly the error codes of src/graphql/errors.ts', () => {
    const documented = firstColumnNames(readDoc('docs/errors.md'));
    assert.equal(new Set(documented).size, documented.length, 'a code is listed twice');
    assert.deepEqual([...documented].sort(), Object.keys(GATEWAY_ERROR_CODES).sort());
  });

  it('links every page of docs/ from the README', () => {
    const readme = readDoc('README.md');
    const pages = readdirSync(new URL('docs/', root)).filter((name) => name.endsWith('.md'));
    assert.ok(pages.length > 0);
    for (const page of pages)
      assert.ok(readme.includes(`](docs/${page})`), `README.md does not link docs/${page}`);
  });
});
