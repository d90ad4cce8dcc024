import fs from "node:fs/promises"
import path from "node:path"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { editTool } from "./edit.ts"
import { tempDir, testContext, writeTree } from "./test-context.ts"

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const edit = (args: Parameters<typeof editTool.execute>[0]) => editTool.execute(args, testContext(dir))
const content = (name: string) => fs.readFile(path.join(dir, name), "utf8")

describe("edit", () => {
  test("replaces a unique match and reports a unified diff", async () => {
    await writeTree(dir, { "a.ts": "const a = 1\nconst b = 2\n" })
    const result = await edit({ filePath: "a.ts", oldString: "const b = 2", newString: "const b = 3\nconst c = 4" })
    expect(await content("a.ts")).toBe("const a = 1\nconst b = 3\nconst c = 4\n")
    expect(result.output).toBe("Edit applied successfully.")
    expect(result.title).toBe("a.ts")
    const file = path.join(dir, "a.ts")
    expect(result.metadata.filediff).toEqual({ file, additions: 2, deletions: 1 })
    expect(result.metadata.diff).toBe(
      `Index: ${file}\n===================================================================\n--- ${file}\n+++ ${file}\n` +
        "@@ -1,2 +1,3 @@\n const a = 1\n-const b = 2\n+const b = 3\n+const c = 4\n",
    )
  })

  test("errors: not found, multiple matches, identical strings, missing file", async () => {
    await writeTree(dir, { "a.txt": "x\nx\n" })
    await expect(edit({ filePath: "a.txt", oldString: "y", newString: "z" })).rejects.toThrow(/Could not find oldString/)
    await expect(edit({ filePath: "a.txt", oldString: "x", newString: "z" })).rejects.toThrow(/Found 2 matches/)
    await expect(edit({ filePath: "a.txt", oldString: "x", newString: "x" })).rejects.toThrow(/identical/)
    await expect(edit({ filePath: "nope.txt", oldString: "x", newString: "y" })).rejects.toThrow(/not found/)
    expect(await content("a.txt")).toBe("x\nx\n")
  })

  test("replaceAll replaces every occurrence, literally", async () => {
    await writeTree(dir, { "a.txt": "foo foo foo" })
    const result = await edit({ filePath: "a.txt", oldString: "foo", newString: "$&-$1", replaceAll: true })
    expect(await content("a.txt")).toBe("$&-$1 $&-$1 $&-$1")
    expect(result.metadata.filediff).toMatchObject({ additions: 1, deletions: 1 })
  })

  test("single replacement keeps $ patterns literal", async () => {
    await writeTree(dir, { "a.txt": "price: X" })
    await edit({ filePath: "a.txt", oldString: "X", newString: "$$5 $'" })
    expect(await content("a.txt")).toBe("price: $$5 $'")
  })

  test("empty oldString creates a missing file (with parents), refuses a non-empty one", async () => {
    const result = await edit({ filePath: "new/dir/f.txt", oldString: "", newString: "hello\n" })
    expect(await content("new/dir/f.txt")).toBe("hello\n")
    expect(result.metadata.filediff).toMatchObject({ additions: 1, deletions: 0 })
    await expect(edit({ filePath: "new/dir/f.txt", oldString: "", newString: "other" })).rejects.toThrow(/not empty/)
    expect(await content("new/dir/f.txt")).toBe("hello\n")
  })

  test("keeps CRLF line endings", async () => {
    await writeTree(dir, { "w.txt": "one\r\ntwo\r\nthree\r\n" })
    await edit({ filePath: "w.txt", oldString: "one\ntwo", newString: "1\n2" })
    expect(await content("w.txt")).toBe("1\r\n2\r\nthree\r\n")
  })

  test("confinement", async () => {
    const other = await tempDir("spool-outside-")
    try {
      await writeTree(other.dir, { "t.txt": "abc" })
      await fs.symlink(path.join(other.dir, "t.txt"), path.join(dir, "link.txt"))
      await expect(edit({ filePath: "link.txt", oldString: "abc", newString: "pwned" })).rejects.toThrow(/outside/)
      await expect(edit({ filePath: path.join(other.dir, "t.txt"), oldString: "abc", newString: "x" })).rejects.toThrow(/outside/)
      await expect(edit({ filePath: "../x.txt", oldString: "", newString: "x" })).rejects.toThrow(/outside/)
      expect(await fs.readFile(path.join(other.dir, "t.txt"), "utf8")).toBe("abc")
    } finally {
      await other.cleanup()
    }
  })
})
