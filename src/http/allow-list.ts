/**
 * The edge's allow-list variables (`ALLOWED_HOSTS`, `CORS_ORIGINS`) share one reading: every entry is checked,
 * and `*` is refused rather than taken to mean everyone, since each list guards against pages the operator never
 * meant to let in.
 */

/** What an allow-list's entries must be, and why `*` is refused. */
export interface AllowListRule {
  /** The variable, which every problem names. */
  name: string;
  /** What `*` would let in, said when it is refused. */
  wildcard: string;
  /** What an entry must be, for the problem that quotes one that is not. */
  expected: string;
  accepts(entry: string): boolean;
}

/** The entries `rule` accepts, and one problem for each other entry. */
export function parseAllowList(
  entries: readonly string[],
  rule: AllowListRule,
): { value: string[]; problems: string[] } {
  const value: string[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    if (entry === '*') {
      problems.push(`${rule.name} must list ${rule.wildcard}`);
    } else if (rule.accepts(entry)) {
      value.push(entry);
    } else {
      problems.push(
        `${rule.name} entries must be ${rule.expected}, got ${JSON.stringify(entry.slice(0, 80))}`,
      );
    }
  }
  return { value, problems };
}
