import fs from "node:fs/promises"
import os from "node:os"
import path from "node:path"
import type { FileGuard, TodoStore, ToolContext } from "./tool.ts"
import type { Todo } from "./todo-schema.ts"

/** Test helper: an in-memory todo list. */
export function memoryTodoStore(initial: Todo[] = []): TodoStore & { current: Todo[] } {
  const store = {
    current: [...initial],
    async read() {
      return [...store.current]
    },
    async write(todos: Todo[]) {
      store.current = [...todos]
    },
  }
  return store
}

export interface TestContext extends ToolContext {
  /** Every `metadata()` update the tool published, in order. */
  updates: Array<{ title?: string; metadata?: Record<string, unknown> }>
}

/**
 * Test helper: a ToolContext rooted at `directory`, with an in-memory todo store; `files` (e.g.
 * `createFileGuardRegistry(...).forSession(sessionID)`) turns on stale-write protection.
 */
export function testContext(
  directory: string,
  options: { abort?: AbortSignal; todos?: TodoStore; sessionID?: string; files?: FileGuard; ask?: ToolContext["ask"] } = {},
): TestContext {
  const updates: TestContext["updates"] = []
  return {
    sessionID: options.sessionID ?? "ses_test",
    messageID: "msg_test",
    callID: "call_test",
    directory,
    abort: options.abort ?? new AbortController().signal,
    metadata(update) {
      updates.push(update)
    },
    todos: options.todos ?? memoryTodoStore(),
    ask: options.ask ?? (async () => {}),
    ...(options.files ? { files: options.files } : {}),
    updates,
  }
}

/** Test helper: a fresh real temp directory (realpath'd) and a cleanup function. */
export async function tempDir(prefix = "spool-tool-"): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), prefix)))
  return { dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) }
}

/** Test helper: writes files given as `{ "a/b.txt": "content" }` under `dir`. */
export async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const full = path.join(dir, name)
    await fs.mkdir(path.dirname(full), { recursive: true })
    await fs.writeFile(full, content)
  }
}
