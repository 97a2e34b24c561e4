/** What a group of options is called in messages, and the least value its options take. */
export interface IntegerOptionRule {
  /** `GitLab client option`, `GitLab client option retry.` ... : what precedes the option's name. */
  readonly prefix: string;
  /** 1 for counts and durations that must be positive, 0 where zero turns a feature off. */
  readonly min: 0 | 1;
}

/**
 * The one check of the client's numeric options (its limits, `retry`, `circuitBreaker`): each option of
 * `defaults` taken from `given`, or its default when `given` leaves it out. Throws a `RangeError` naming the
 * first option that is not a safe integer of at least `rule.min`.
 */
export function integerOptions<Name extends string>(
  given: { readonly [K in NoInfer<Name>]?: number | undefined },
  defaults: { readonly [K in Name]: number },
  rule: IntegerOptionRule,
): { [K in Name]: number } {
  const resolved = {} as { [K in Name]: number };
  for (const name of Object.keys(defaults) as Name[]) {
    const value = given[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < rule.min)) {
      const kind = rule.min === 0 ? 'a non-negative' : 'a positive';
      throw new RangeError(`${rule.prefix}${name} must be ${kind} integer`);
    }
    resolved[name] = value ?? defaults[name];
  }
  return resolved;
}
