/** The little a session list needs for ordering: original ID, parent, creation time. */
export interface SessionStub {
  id: string
  parentID?: string
  created: number
}

/**
 * Sessions oldest first, but every parent before its children (a child can be older than its parent
 * only in broken data, and the store wants the parent first). Parents missing from the list make roots.
 */
export function parentsFirst<T extends SessionStub>(stubs: T[]): T[] {
  const sorted = [...stubs].sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const ids = new Set(sorted.map((stub) => stub.id))
  const children = new Map<string, T[]>()
  const roots: T[] = []
  for (const stub of sorted) {
    if (stub.parentID !== undefined && stub.parentID !== stub.id && ids.has(stub.parentID)) {
      const list = children.get(stub.parentID) ?? []
      list.push(stub)
      children.set(stub.parentID, list)
    } else roots.push(stub)
  }
  const result: T[] = []
  const seen = new Set<T>()
  const visit = (stub: T) => {
    if (seen.has(stub)) return
    seen.add(stub)
    result.push(stub)
    for (const child of children.get(stub.id) ?? []) visit(child)
  }
  for (const root of roots) visit(root)
  // Cycles (a → b → a) have no root: take them in time order.
  for (const stub of sorted) visit(stub)
  return result
}
