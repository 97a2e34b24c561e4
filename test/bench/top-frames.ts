/**
 * Prints the functions with the most self time in a V8 CPU profile (`node --cpu-prof`), with their share of
 * the samples, and the same grouped by package: `node --import tsx test/bench/top-frames.ts <file> [count]
 * [--busy]`. `--busy` leaves the idle samples out of the shares: a gateway of the events part waits while the
 * other cases run, and its profile is then mostly `(idle)`.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const args = process.argv.slice(2);
const busy = args.includes('--busy');
const [file, rawCount] = args.filter((arg) => arg !== '--busy');
if (!file) throw new Error('usage: top-frames.ts <file.cpuprofile> [count] [--busy]');
const count = Number(rawCount ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };

const byFrame = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  if (hits === 0 || (busy && node.callFrame.functionName === '(idle)')) continue;
  total += hits;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^file:\/\//, '').replace(process.cwd(), '.');
  const frame = `${functionName || '(anonymous)'}  ${where}:${lineNumber + 1}`;
  byFrame.set(frame, (byFrame.get(frame) ?? 0) + hits);
  const pkg =
    /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ??
    (where.startsWith('./src') ? where.split('/').slice(0, 3).join('/') : where || functionName);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
}
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count))
    console.log(`${((100 * hits) / total).toFixed(1).padStart(5)} %  ${name}`);
};
print('Self time by function', byFrame);
print('Self time by package', byPackage);
