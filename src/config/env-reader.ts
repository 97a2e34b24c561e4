/**
 * Reading an environment: typed values out of strings, with every problem collected instead of stopping at the
 * first, so that an operator fixes them all in one go. Nothing here knows a variable's meaning; the tables and
 * `loadConfig` in `index.ts` do, and the domains' own parsers (which return `{ value, problems }`) judge values
 * that need their knowledge.
 */

/** Every problem with the environment, reported at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** An integer variable: its name, the range it accepts, and the value when it is unset. */
export interface IntegerVariable {
  env: string;
  min: number;
  max: number;
  default: number;
}

/** Reads the environment, collecting problems instead of stopping at the first. */
export class EnvironmentReader {
  readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** The variable, trimmed; `undefined` when unset or blank. */
  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  /** The variable exactly as set (a secret is used as given); `undefined` when unset or empty. */
  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === '' ? undefined : value;
  }

  integer({ env: name, min, max, default: fallback }: IntegerVariable): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
    if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
    this.problems.push(
      `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw.slice(0, 40))}`,
    );
    return fallback;
  }

  /** Every integer of `table`, by its key. */
  integers<Key extends string>(table: Record<Key, IntegerVariable>): Record<Key, number> {
    const entries = Object.entries<IntegerVariable>(table).map(([key, variable]) => [
      key,
      this.integer(variable),
    ]);
    return Object.fromEntries(entries) as Record<Key, number>;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    this.problems.push(`${name} must be true or false, got ${JSON.stringify(raw.slice(0, 40))}`);
    return fallback;
  }

  /** A comma-separated list, each entry trimmed, empty entries dropped. */
  list(name: string): string[] {
    return (this.string(name) ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
  }

  /** A domain parser's value; its problems join the others. */
  take<T>({ value, problems }: { value: T; problems: readonly string[] }): T {
    this.problems.push(...problems);
    return value;
  }

  /** Secrets a comma-separated variable lists, by a parser whose problems never quote them. */
  secrets(
    name: string,
    parse: (raw: string | undefined, variable: string) => { values: string[]; problems: string[] },
  ): string[] {
    const { values, problems } = parse(this.string(name), name);
    return this.take({ value: values, problems });
  }
}
