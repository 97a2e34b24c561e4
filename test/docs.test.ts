import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { GATEWAY_ERROR_CODES } from '../src/errors.ts';

const root = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The backticked names in the first column of the page's tables: `` | `NAME` | ... ``. */
function firstColumnNames(markdown: string): string[] {
  return [...markdown.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1] as string);
}

describe('the manual in docs/', () => {
  it('lists in docs/errors.md exactly the error codes of src/errors.ts', () => {
    const documented = firstColumnNames(read('docs/errors.md'));
    assert.equal(new Set(documented).size, documented.length, 'a code is listed twice');
    assert.deepEqual([...documented].sort(), Object.keys(GATEWAY_ERROR_CODES).sort());
  });

  it('links every page of docs/ from the README', () => {
    const readme = read('README.md');
    const pages = readdirSync(new URL('docs/', root)).filter((name) => name.endsWith('.md'));
    assert.ok(pages.length > 0);
    for (const page of pages)
      assert.ok(readme.includes(`](docs/${page})`), `README.md does not link docs/${page}`);
  });
});
