/**
 * GitLab's URL templates: a hook URL such as `https://example.com/{token}` keeps its `{name}` placeholders when
 * stored and returned; they are replaced by URL-variable values only when a delivery is made
 * (`WebHooks::Hook#interpolated_url`).
 */

/** GitLab's `VARIABLE_REFERENCE_RE`; the same key grammar as the URL-variable JSON schema. */
const VARIABLE_REFERENCE = /\{([A-Za-z]+[0-9]*(?:[._-][A-Za-z0-9]+)*)\}/g;

/** The variable names a URL template references, in order of first appearance. */
function referencedKeys(url: string): string[] {
  const keys = new Set<string>();
  for (const match of url.matchAll(VARIABLE_REFERENCE)) keys.add(match[1] as string);
  return [...keys];
}

/** Keys the template references that `variables` does not define (GitLab: "Missing keys: [...]"). */
export function missingKeys(url: string, variables: Readonly<Record<string, string>>): string[] {
  return referencedKeys(url).filter((key) => !Object.hasOwn(variables, key));
}

/**
 * The URL a delivery goes to. A URL without `{` is used as it is; otherwise each reference is replaced by its
 * value. Text such as `%{path}` is not a format string: only the `{path}` part is replaced.
 * Returns `null` when a referenced key has no value (GitLab then falls back to the raw URL).
 */
export function interpolateUrl(url: string, variables: Readonly<Record<string, string>>): string | null {
  if (!url.includes('{')) return url;
  if (missingKeys(url, variables).length > 0) return null;
  return url.replace(VARIABLE_REFERENCE, (_, key: string) => variables[key] as string);
}
