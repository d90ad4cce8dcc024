// Shape utilities shared by test/compat/compare.ts and by Spool tests that assert against
// test/compat/opencode-1.18.33.captures.json without running OpenCode.
//
// A "shape" is a flat map  key path -> type descriptor, e.g.
//   $                      object
//   $.info.id              string<msg_>
//   $.info.role            string="user"
//   $.parts                array
//   $.parts[].type         string="text"
//   $.tokens.cache.read    number
// Concrete ids, times and free text are ignored; only key presence, JSON types, id prefixes and the
// literal value of a few discriminator keys (type, role, name, _tag, kind, status, field) are kept.
// Array elements are unioned under `[]`; object keys that are ids (e.g. the /session/status map)
// are replaced by `<ses_>`; a root boolean keeps its value (`boolean=true`), since routes answer `true`.

export type Shape = Map<string, string>

const ID_RE = /^(ses|msg|prt|evt|per|que|wrk|pty|job|err|tool|call)_[0-9A-Za-z]+$/
const DISCRIMINATORS = new Set(["type", "role", "name", "_tag", "kind", "status", "field"])

function idPrefix(s: string): string | undefined {
  const m = ID_RE.exec(s)
  return m ? m[1] : undefined
}

export function describeScalar(value: unknown, key: string | undefined, isRoot: boolean): string {
  if (value === null) return "null"
  if (typeof value === "boolean") return isRoot ? `boolean=${value}` : "boolean"
  if (typeof value === "number") return "number"
  if (typeof value === "string") {
    if (key !== undefined && DISCRIMINATORS.has(key)) return `string=${JSON.stringify(value)}`
    const p = idPrefix(value)
    return p ? `string<${p}_>` : "string"
  }
  return typeof value
}

function add(shape: Shape, path: string, type: string) {
  const prev = shape.get(path)
  if (prev === undefined) shape.set(path, type)
  else if (!prev.split("|").includes(type)) shape.set(path, [...prev.split("|"), type].sort().join("|"))
}

function keyLabel(k: string): string {
  const p = idPrefix(k)
  if (p) return `<${p}_>`
  return /^[A-Za-z_$][\w$-]*$/.test(k) ? k : JSON.stringify(k)
}

export function shapeOf(value: unknown, root = "$"): Shape {
  const shape: Shape = new Map()
  const walk = (v: unknown, path: string, key: string | undefined) => {
    if (Array.isArray(v)) {
      add(shape, path, "array")
      for (const el of v) walk(el, `${path}[]`, undefined)
      return
    }
    if (v !== null && typeof v === "object") {
      add(shape, path, "object")
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) if (child !== undefined) walk(child, `${path}.${keyLabel(k)}`, k)
      return
    }
    add(shape, path, describeScalar(v, key, path === root))
  }
  walk(value, root, undefined)
  return shape
}

export interface ShapeDiff {
  path: string
  /** type on the candidate (Spool) side, undefined = absent */
  a?: string
  /** type on the reference (OpenCode) side, undefined = absent */
  b?: string
}

export function diffShapes(a: Shape, b: Shape): ShapeDiff[] {
  const out: ShapeDiff[] = []
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort()
  for (const p of paths) {
    const ta = a.get(p)
    const tb = b.get(p)
    if (ta !== tb) out.push({ path: p, a: ta, b: tb })
  }
  // Only report the top-most missing path: if `$.x` is absent, don't also list `$.x.y`.
  return out.filter(
    (d) =>
      !out.some(
        (o) =>
          o !== d &&
          (d.path.startsWith(o.path + ".") || d.path.startsWith(o.path + "[]")) &&
          ((d.a === undefined && o.a === undefined) || (d.b === undefined && o.b === undefined)),
      ),
  )
}

export function formatShape(shape: Shape): string[] {
  return [...shape.entries()].map(([p, t]) => `${p}: ${t}`)
}

export function formatDiff(d: ShapeDiff, aName = "spool", bName = "opencode"): string {
  if (d.a === undefined) return `only ${bName}: \`${d.path}\` (${d.b})`
  if (d.b === undefined) return `only ${aName}: \`${d.path}\` (${d.a})`
  return `\`${d.path}\`: ${aName} ${d.a} vs ${bName} ${d.b}`
}

// ---------------------------------------------------------------------------------------------
// Compact, TypeScript-like rendering of a value's shape, for docs:
//   {id: ses_…, time: {created: number}, title: string, tokens: {input: number, …}}   (keys sorted)
// `names` maps a rendered sub-shape to a short name (e.g. the Session shape -> "Session").

interface TypeNode {
  kinds: Set<string>
  fields?: Map<string, TypeNode>
  items?: TypeNode
}

function mergeInto(node: TypeNode, v: unknown, key: string | undefined, isRoot: boolean) {
  if (Array.isArray(v)) {
    node.kinds.add("array")
    node.items ??= { kinds: new Set() }
    for (const el of v) mergeInto(node.items, el, undefined, false)
    return
  }
  if (v !== null && typeof v === "object") {
    node.kinds.add("object")
    node.fields ??= new Map()
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      if (child === undefined) continue
      const label = keyLabel(k)
      let c = node.fields.get(label)
      if (!c) node.fields.set(label, (c = { kinds: new Set() }))
      mergeInto(c, child, k, false)
    }
    return
  }
  const d = describeScalar(v, key, isRoot)
  node.kinds.add(d.replace(/^string<(\w+)_>$/, "$1_…").replace(/^string=/, "").replace(/^boolean=/, ""))
}

function renderNode(node: TypeNode, names: Map<string, string>): string {
  const parts: string[] = []
  for (const k of [...node.kinds].sort()) {
    if (k === "object") {
      const fields = [...(node.fields ?? new Map<string, TypeNode>()).entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([f, c]) => `${f}: ${renderNode(c, names)}`)
      const r = `{${fields.join(", ")}}`
      parts.push(names.get(r) ?? r)
    } else if (k === "array") {
      const inner = node.items && node.items.kinds.size ? renderNode(node.items, names) : "never"
      parts.push(inner.includes(" | ") ? `(${inner})[]` : `${inner}[]`)
    } else parts.push(k)
  }
  return parts.join(" | ")
}

/** Compact type of one value (or of several values unioned). */
export function renderType(values: unknown[], names: Map<string, string> = new Map()): string {
  const node: TypeNode = { kinds: new Set() }
  for (const v of values) mergeInto(node, v, undefined, true)
  return renderNode(node, names)
}
