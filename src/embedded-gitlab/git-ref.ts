/**
 * `Gitlab::GitRefValidator.validate`: a branch name must not start with a prefix GitLab expands or forbids, and
 * `refs/heads/<name>` must pass `git check-ref-format` (Rugged's `Reference.valid_name?`).
 */

const DISALLOWED_PREFIXES = ['refs/heads/', 'refs/remotes/', '-'];

export function isValidBranchName(name: string): boolean {
  if (name === '' || name === 'HEAD') return false;
  if (DISALLOWED_PREFIXES.some((prefix) => name.startsWith(prefix))) return false;
  return isValidRefName(`refs/heads/${name}`);
}

function isValidRefName(ref: string): boolean {
  if (ref.startsWith('/') || ref.endsWith('/') || ref.endsWith('.') || ref.includes('//')) return false;
  if (ref.includes('..') || ref.includes('@{') || ref === '@') return false;
  // Control characters, space, and the characters git reserves for revision syntax and globs.
  for (const char of ref) {
    const code = char.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f || '~^:?*[\\'.includes(char)) return false;
  }
  return ref.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'));
}
