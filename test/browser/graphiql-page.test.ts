import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

/** Hosts that serve GraphiQL's assets to pages that do not bring their own, Yoga's default among them. */
const CDN_HOSTS = [
  'unpkg.com',
  'cdn.jsdelivr.net',
  'esm.sh',
  'raw.githubusercontent.com',
  'cdnjs.cloudflare.com',
];

/**
 * Every address the page's markup and styles make the browser load: `src` and `href` attributes (quoted or
 * not) outside scripts and styles, and `url(...)` and `@import` inside styles. What the scripts load when they
 * run is watched by the Chromium test.
 */
function referencedUrls(html: string): string[] {
  const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)].map((match) => match[1] ?? '');
  const markup = html
    .replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '<script>')
    .replace(/<style\b[^>]*>[\s\S]*?<\/style>/gi, '<style>');
  const attributes = [...markup.matchAll(/\s(?:src|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)].map(
    (match) => match[1] ?? match[2] ?? match[3] ?? '',
  );
  const fromStyles = styles.flatMap((css) => [
    ...[...css.matchAll(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*))\s*\)/gi)].map(
      (match) => match[1] ?? match[2] ?? match[3] ?? '',
    ),
    ...[...css.matchAll(/@import\s+(?:"([^"]*)"|'([^']*)')/gi)].map((match) => match[1] ?? match[2] ?? ''),
  ]);
  return [...attributes, ...fromStyles];
}

describe('the GraphiQL page', () => {
  let stack: Stack;
  let html: string;
  let response: Response;

  before(async () => {
    stack = await startStack({ gateway: { graphiqlHeaders: { 'PRIVATE-TOKEN': ADMIN_TOKEN } } });
    response = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
    html = await response.text();
  });
  after(() => stack.close());

  it("carries GraphiQL's code itself, from the installed @graphql-yoga/render-graphiql", () => {
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(html, /YogaGraphiQL\.renderYogaGraphiQL\(/);
    assert.ok(html.length > 1_000_000, `the page is ${html.length} characters: the bundle is inlined`);
    assert.ok(html.includes('"title":"GitLab System Hooks"'));
    assert.ok(html.includes(ADMIN_TOKEN), 'the headers pane is filled in');
  });

  it('references no other host: every asset address is inline (data:) or the gateway itself', async () => {
    const urls = referencedUrls(html);
    assert.ok(urls.length > 0, 'the page references its favicon and fonts');
    const external = urls.filter(
      (url) => /^(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(url) && !url.startsWith(stack.url),
    );
    assert.deepEqual(external, []);
    for (const host of CDN_HOSTS) assert.ok(!html.includes(`//${host}/`), `no reference to ${host}`);
    const own = urls.filter((url) => !/^(?:data|blob):/i.test(url));
    for (const url of own) {
      const asset = await fetch(new URL(url, `${stack.url}/graphql`), { headers: { accept: '*/*' } });
      await asset.body?.cancel();
      assert.equal(asset.status, 200, url);
    }
  });
});
