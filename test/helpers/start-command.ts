import { readFileSync } from 'node:fs';

/**
 * `npm start` as package.json states it, `node <flags> <entry>`, split so that the tests, the soak and the
 * benchmark start the gateway with exactly those Node flags (heap size, the tsx loader) instead of a copy of
 * them. Throws when the script no longer has that form, rather than silently running something else.
 */
export interface StartCommand {
  /** Everything between `node` and the entry, such as `['--max-old-space-size=1024', '--import', 'tsx']`. */
  nodeFlags: string[];
  /** The entry module, relative to the repository root. */
  entry: string;
}

export function readStartCommand(packageJson = new URL('../../package.json', import.meta.url)): StartCommand {
  const start = (JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts?: { start?: string } }).scripts
    ?.start;
  const words = start?.trim().split(/\s+/) ?? [];
  const entry = words.at(-1);
  if (words[0] !== 'node' || words.length < 2 || !entry || entry.startsWith('-')) {
    throw new Error(`package.json's start script is not "node <flags> <entry>": ${JSON.stringify(start)}`);
  }
  return { nodeFlags: words.slice(1, -1), entry };
}

export const START_COMMAND: StartCommand = readStartCommand();
