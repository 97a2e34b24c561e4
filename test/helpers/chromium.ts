import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * Debian's Chromium (package `chromium`, which `npm test` installs as root when it is missing), or the binary
 * `CHROMIUM` names.
 */
export const CHROMIUM = process.env.CHROMIUM?.trim() || '/usr/bin/chromium';

/**
 * Why browser tests cannot run here, or `false` when they can. In CI (`CI=true`) a missing Chromium is not a
 * reason to skip: the launch fails and says so.
 */
export const chromiumSkipReason: string | false =
  existsSync(CHROMIUM) || process.env.CI === 'true'
    ? false
    : `Chromium is not installed at ${CHROMIUM}: run \`apt-get install chromium\` (CI installs it) to run the browser tests`;

/** A headless Chromium with a fresh profile, and every request to another origin refused and recorded. */
export interface Browser {
  page: Page;
  context: BrowserContext;
  /** Requests the page tried to send anywhere but `allowedOrigin`; each was aborted. */
  foreignRequests: string[];
  close(): Promise<void>;
}

/**
 * Launches Chromium as this machine's network allows: no sandbox (root), no GPU, no QUIC and none of Chrome's
 * own background traffic (sync, component updates, first-run), each of which would try to reach Google.
 */
export async function launchChromium(allowedOrigin: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'gateway-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      viewport: { width: 1400, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(15_000);
  const foreignRequests: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === allowedOrigin) return route.continue();
    foreignRequests.push(url);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    context,
    foreignRequests,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
