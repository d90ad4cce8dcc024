import { findNodeAtLocation, parseTree, type Node } from "jsonc-parser"
import type { z } from "zod"

/** One problem in a config file, with where it is. `line` and `column` are 1-based. */
export interface ConfigIssue {
  /** JSON path of the offending key or value, e.g. `agent.build.steps` (`(root)` for the document). */
  path: string
  line: number
  column: number
  message: string
}

type Segment = string | number

/** `agent.build.steps`, `instructions[2]`, `provider["my.local"]`; `(root)` for the empty path. */
export function formatJsonPath(path: readonly Segment[]): string {
  let out = ""
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === "" ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out === "" ? "(root)" : out
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)))
  const lines = before.split("\n")
  return { line: lines.length, column: lines[lines.length - 1].length + 1 }
}

/**
 * Offset of the node at `path`: the key of a property (so an unknown key or a wrong value points at
 * its name), the value itself for array items and the root. When the path does not exist (a missing
 * required key), the nearest existing ancestor.
 */
function offsetOf(root: Node | undefined, path: readonly Segment[]): number | undefined {
  if (!root) return undefined
  for (let length = path.length; length >= 0; length--) {
    const node = findNodeAtLocation(root, path.slice(0, length) as Segment[])
    if (!node) continue
    return node.parent?.type === "property" ? node.parent.offset : node.offset
  }
  return undefined
}

/**
 * Maps zod issues to file positions. `texts` are tried in order (the raw file first, so substituted
 * `{env:…}` values containing newlines do not shift line numbers; then the substituted text); the first
 * text in which the path exists gives the position. An `unrecognized_keys` issue becomes one issue
 * per key, located at that key.
 */
export function locateIssues(issues: readonly z.core.$ZodIssue[], texts: readonly string[]): ConfigIssue[] {
  const trees = texts.map((text) => ({ text, root: parseTree(text, [], { allowTrailingComma: true, disallowComments: false }) }))
  const at = (path: readonly Segment[], message: string): ConfigIssue => {
    for (const { text, root } of trees) {
      if (!root || !findNodeAtLocation(root, path as Segment[])) continue
      return { path: formatJsonPath(path), ...lineColumn(text, offsetOf(root, path)!), message }
    }
    const { text, root } = trees[trees.length - 1]
    return { path: formatJsonPath(path), ...lineColumn(text, offsetOf(root, path) ?? 0), message }
  }
  const out: ConfigIssue[] = []
  for (const issue of issues) {
    const path = issue.path.filter((segment): segment is Segment => typeof segment !== "symbol")
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push(at([...path, key], `unknown key ${JSON.stringify(key)}`))
    } else {
      out.push(at(path, issue.message))
    }
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column)
}

/** `agent.build.steps (line 3, column 7): Invalid input: expected number, received string` */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path} (line ${issue.line}, column ${issue.column}): ${issue.message}`
}
