import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { printedAdminToken, type StartedProgram, startProgram } from '../helpers/npm-start.ts';
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

async function graphiqlPage(origin: string): Promise<string> {
  const response = await fetch(`${origin}/graphql`, { headers: { accept: 'text/html' } });
  assert.equal(response.status, 200);
  return response.text();
}

describe("the GraphiQL page under npm start: the embedded GitLab's admin token", () => {
  const EMBEDDED = { PORT: '0', EMBEDDED_GITLAB_PORT: '0' };
  let program: StartedProgram | undefined;
  after(() => program?.stop());

  it('is filled in when the token was generated and the gateway listens on loopback', async () => {
    program = await startProgram(EMBEDDED);
    const html = await graphiqlPage(program.url);
    assert.ok(html.includes(printedAdminToken(program)), 'the headers pane holds it');
    assert.doesNotMatch(program.output(), /GraphiQL starts without/);
    await program.stop();
  });

  it('is left out, with a warning that says why and how to paste it, under HOST=0.0.0.0', async () => {
    program = await startProgram({ ...EMBEDDED, HOST: '0.0.0.0' });
    // Listening on every interface; reached here over loopback, as from any other machine by its address.
    const html = await graphiqlPage(program.url.replace('//0.0.0.0:', '//127.0.0.1:'));
    const token = printedAdminToken(program);
    assert.ok(!html.includes(token), 'the page holds no token');
    assert.match(html, /GitLab System Hooks/);
    assert.match(
      program.output(),
      /"level":"WARN".*GraphiQL starts without the embedded GitLab's admin token: HOST=0\.0\.0\.0 is not a loopback address.*into GraphiQL's headers pane/,
    );
    await program.stop();
  });
});
