import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

interface LockedPackage {
  version?: string;
  engines?: { node?: string };
}

const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, LockedPackage>;
};

const parts = (version: string) => version.split('.').map((part) => Number.parseInt(part, 10) || 0);

function compare(a: string, b: string): number {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) {
    const difference = (x[i] ?? 0) - (y[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Whether `version` meets one comparator of an `engines` range (`>=20.6.0`, `^18.19.0`, `<22`, `20.x`). */
function meets(version: string, comparator: string): boolean {
  const match = /^(>=|<=|>|<|\^|~)?v?([0-9x.*]+)$/.exec(comparator.trim());
  if (!match) throw new Error(`an engines range this guard cannot read: ${comparator}`);
  const [, operator = '', bound = ''] = match;
  const floor = bound.replace(/[x*]/g, '0');
  switch (operator) {
    case '>=':
      return compare(version, floor) >= 0;
    case '>':
      return compare(version, floor) > 0;
    case '<':
      return compare(version, floor) < 0;
    case '<=':
      return compare(version, floor) <= 0;
    case '^':
      return compare(version, floor) >= 0 && parts(version)[0] === parts(floor)[0];
    default:
      return bound
        .split('.')
        .every((part, i) => part === 'x' || part === '*' || Number(part) === parts(version)[i]);
  }
}

/** Whether `version` satisfies a range such as `^18.19.0 || >=20.6.0`. */
function satisfies(version: string, range: string): boolean {
  return range.split('||').some((set) =>
    set
      .trim()
      .split(/\s+/)
      .filter((comparator) => comparator !== '')
      .every((comparator) => meets(version, comparator)),
  );
}

/**
 * The OpenTelemetry packages the registry lists as newest need Node 22 and npm installs them anyway (it does not
 * enforce `engines`): this guard fails if an update brings one in, or a second copy of the API, whose global
 * registry would then not be shared.
 */
describe('the OpenTelemetry dependencies', () => {
  const installed = Object.entries(lock.packages).filter(([path]) =>
    path.includes('node_modules/@opentelemetry/'),
  );

  it('have one @opentelemetry/api, on the 1.9 line the 2.x SDK accepts', () => {
    const api = installed.filter(([path]) => path.endsWith('/@opentelemetry/api'));
    assert.deepEqual(
      api.map(([, entry]) => entry.version),
      ['1.9.1'],
    );
  });

  it('all run on Node 20.19', () => {
    assert.ok(installed.length > 5);
    for (const [path, entry] of installed) {
      const range = entry.engines?.node;
      if (range !== undefined)
        assert.ok(satisfies('20.19.0', range), `${path} ${entry.version} needs node ${range}`);
    }
  });

  it('read their ranges as npm does', () => {
    assert.ok(satisfies('20.19.0', '^18.19.0 || >=20.6.0'));
    assert.ok(!satisfies('20.19.0', '>=22.15.0'));
    assert.ok(!satisfies('20.19.0', '^22.0.0'));
    assert.ok(satisfies('20.19.0', '>=8.0.0'));
  });
});
