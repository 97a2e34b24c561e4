import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, print } from 'graphql';
import type { Page, Request } from 'playwright-core';
import { type Browser, chromiumSkipReason, launchChromium } from '../helpers/chromium.ts';
import { printedAdminToken, type StartedProgram, startProgram } from '../helpers/npm-start.ts';

const OUTPUT = fileURLToPath(new URL('../../test-output/browser/', import.meta.url));
/** With the admin token generated (and printed), as GraphiQL's headers pane is filled in only with such a one. */
const EMBEDDED_MODE = { PORT: '0', EMBEDDED_GITLAB_PORT: '0' };

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: `${OUTPUT}${name}.png` });
}

/** Text of a Monaco editor as a user reads it (Monaco draws spaces as no-break spaces). */
async function paneText(page: Page, editor: string): Promise<string> {
  return (await page.locator(`${editor} .view-lines`).innerText()).replaceAll('\u00a0', ' ');
}

/** Whitespace collapsed, so that a check does not depend on where Monaco wraps a long line. */
const collapse = (text: string) => text.replace(/\s+/g, ' ');

/**
 * Waits until the result pane shows every one of `texts`, and returns what it shows. On a timeout it saves a
 * screenshot and says what the pane showed instead.
 */
async function waitForResult(page: Page, texts: string[]): Promise<string> {
  try {
    await page.waitForFunction(
      (expected) => {
        const pane = document.querySelector<HTMLElement>('.graphiql-response .view-lines');
        const shown = (pane?.innerText ?? '').replace(/\s+/g, ' ');
        return expected.every((part) => shown.includes(part));
      },
      texts.map(collapse),
      { timeout: 15_000 },
    );
  } catch (error) {
    await screenshot(page, `failed-waiting-for-result-${Date.now()}`);
    throw new Error(
      `the result pane did not show ${JSON.stringify(texts)}; it shows:\n${await paneText(page, '.graphiql-response')}`,
      { cause: error },
    );
  }
  return collapse(await paneText(page, '.graphiql-response'));
}

/**
 * Types `document` into the operation editor as a user would (select all, type over it), waits until GraphiQL
 * has taken it in (the tab is renamed after the operation, and the document stored), runs it with the run
 * button, and returns the body the browser sent, so the test knows the typing arrived intact.
 */
/** The operation name a GraphQL POST carries; undefined for a body that is not GraphQL's JSON. */
function operationNameOf(request: Request): unknown {
  try {
    return request.postDataJSON()?.operationName;
  } catch {
    return undefined;
  }
}

async function typeAndRun(page: Page, operationName: string, document: string): Promise<string> {
  const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(document);
  // Closes the completion list, so that nothing typed later is taken as a choice from it.
  await page.keyboard.press('Escape');
  await page.locator('.graphiql-tab-active').getByText(operationName, { exact: true }).waitFor();
  // Then until GraphiQL has stored the document too (after a debounce), so that the click finds it fully taken
  // in: once, in CI on a loaded machine, the click after a renamed tab sent no request of that name in 15 s.
  await page.waitForFunction(
    (name) => (localStorage.getItem('graphiql:query') ?? '').includes(name),
    operationName,
  );
  // The operations the page posts meanwhile, to say what it sent instead if it never sends this one.
  const posted: unknown[] = [];
  const onRequest = (request: Request) => {
    if (request.method() === 'POST') posted.push(operationNameOf(request));
  };
  page.on('request', onRequest);
  let body: { query: string };
  try {
    const sent = page.waitForRequest(
      (request) => request.method() === 'POST' && operationNameOf(request) === operationName,
    );
    await page.getByRole('button', { name: /Execute query/ }).click();
    body = (
      await sent.catch((error: Error) => {
        throw new Error(`${error.message}; the page posted meanwhile: ${JSON.stringify(posted)}`);
      })
    ).postDataJSON() as { query: string };
  } finally {
    page.off('request', onRequest);
  }
  assert.equal(print(parse(body.query)), print(parse(document)), 'GraphiQL sent the document as typed');
  return body.query;
}

describe('GraphiQL in Chromium, served by npm start in embedded mode', {
  skip: chromiumSkipReason,
  timeout: 120_000,
}, () => {
  let program: StartedProgram;
  let browser: Browser;
  let page: Page;

  before(async () => {
    program = await startProgram(EMBEDDED_MODE);
    browser = await launchChromium(program.url);
    page = browser.page;
    await page.goto(`${program.url}/graphql`);
    await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor();
  });
  after(async () => {
    await browser?.close();
    await program?.stop();
  });

  it('loads without reaching any other host, with the admin token in the headers pane', async () => {
    const headers = await paneText(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)');
    assert.ok(headers.includes(`"PRIVATE-TOKEN": "${printedAdminToken(program)}"`), headers);
    await screenshot(page, '1-loaded');
    assert.deepEqual(browser.foreignRequests, []);
  });

  it("runs the starting tab's project and group webhooks example, chosen from the run button's list", async () => {
    const document = await paneText(page, '.graphiql-query-editor');
    assert.match(document, /project\(fullPath: "example-group\/example-project"\)/);
    // The starting document holds several operations: the run button offers them by name.
    await page.getByRole('button', { name: /Execute query/ }).click();
    await page.getByRole('menuitem', { name: 'ProjectAndGroupWebhooks' }).click();
    const result = await waitForResult(page, ['"fullPath": "example-group/example-project"', '"Team chat"']);
    for (const name of ['CI trigger', 'Example receiver', 'Team chat'])
      assert.ok(result.includes(`"name": "${name}"`), `${name} in:\n${result}`);
    assert.ok(!result.includes('"errors"'), result);
    await screenshot(page, '1b-project-and-group-webhooks');

    await page.getByRole('button', { name: /Execute query/ }).click();
    await page.getByRole('menuitem', { name: 'TestProjectHook' }).click();
    const tested = await waitForResult(page, ['"testProjectHook"', '"Example receiver"']);
    assert.ok(tested.includes('"errors": []'), tested);
  });

  it('runs a typed systemHooks query and shows the embedded GitLab hooks in the result pane', async () => {
    await typeAndRun(
      page,
      'ListHooks',
      'query ListHooks { systemHooks(first: 10) { count nodes { id name } } }',
    );
    // The three example hooks, and the one that delivers to the gateway's own receiver.
    const result = await waitForResult(page, ['"count": 4', '"Release notifications"']);
    for (const name of ['CI provisioning', 'Audit trail', 'Release notifications', 'This gateway'])
      assert.ok(result.includes(`"name": "${name}"`), `${name} in:\n${result}`);
    assert.ok(!result.includes('"errors"'), result);
    await screenshot(page, '2-system-hooks');
  });

  it('creates a hook with createSystemHook and then lists it', async () => {
    await typeAndRun(
      page,
      'CreateHook',
      'mutation CreateHook { createSystemHook(input: { url: "https://browser.example.com/events", ' +
        'name: "Typed in GraphiQL", pushEvents: true }) { errors systemHook { id name pushEvents } } }',
    );
    const created = await waitForResult(page, ['"Typed in GraphiQL"']);
    assert.ok(created.includes('"errors": []'), created);
    // Hooks of every kind share one id sequence: three example system hooks, the example project and group
    // hooks, the project hook of the example receiver, the gateway receiver's hook, then this one.
    assert.ok(created.includes('"id": "gid://gitlab/SystemHook/8"'), created);
    await screenshot(page, '3-create-system-hook');

    await typeAndRun(
      page,
      'ListAgain',
      'query ListAgain { systemHooks(first: 10) { count nodes { id name } } }',
    );
    const listed = await waitForResult(page, ['"count": 5']);
    assert.ok(listed.includes('"name": "Typed in GraphiQL"'), listed);
    assert.ok(listed.includes('"name": "CI provisioning"'), listed);
    await screenshot(page, '4-list-after-create');
  });

  it('shows the schema docs, whose root fields name the REST call behind them', async () => {
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByRole('link', { name: 'Query', exact: true }).first().click();
    await docs.getByText('REST: GET /api/v4/hooks', { exact: false }).first().waitFor();
    await docs.getByRole('link', { name: 'systemHooks', exact: true }).first().click();
    await docs
      .getByText(/REST: GET \/api\/v4\/hooks$/)
      .first()
      .waitFor();
    await screenshot(page, '5-docs-system-hooks');
    assert.deepEqual(browser.foreignRequests, [], 'nothing but the gateway was asked for anything');
  });
});

describe('GraphiQL in Chromium with INTROSPECTION=false', {
  skip: chromiumSkipReason,
  timeout: 60_000,
}, () => {
  let program: StartedProgram;
  let browser: Browser;

  before(async () => {
    program = await startProgram({ ...EMBEDDED_MODE, INTROSPECTION: 'false' });
    browser = await launchChromium(program.url);
  });
  after(async () => {
    await browser?.close();
    await program?.stop();
  });

  it('says that the operator disabled introspection, instead of a schema', async () => {
    await browser.page.goto(`${program.url}/graphql`);
    const shown = await waitForResult(browser.page, [
      'Introspection is disabled by the operator of this gateway',
    ]);
    assert.ok(shown.includes('"code": "INTROSPECTION_DISABLED"'), shown);
    await screenshot(browser.page, '6-introspection-disabled');
    assert.deepEqual(browser.foreignRequests, []);
  });
});
