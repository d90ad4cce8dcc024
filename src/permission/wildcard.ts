/**
 * Wildcard matching for permission rules, with OpenCode 1.18's semantics (`util/wildcard.ts`
 * `Wildcard.match`):
 * - `*` matches any run of characters, `/` and spaces included; `?` matches one character;
 * - every other character matches itself (no character classes, no escapes);
 * - a pattern ending in ` *` also matches without that tail, so `git status *` matches `git status`
 *   as well as `git status --short`;
 * - the whole text must match (anchored), and `.` in the text is not special.
 */
export function matchWildcard(text: string, pattern: string): boolean {
  let source = ""
  for (const char of pattern) {
    if (char === "*") source += ".*"
    else if (char === "?") source += "."
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&")
  }
  if (source.endsWith(" .*")) source = `${source.slice(0, -3)}( .*)?`
  return new RegExp(`^${source}$`, "s").test(text)
}
