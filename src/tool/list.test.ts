import fs from "node:fs/promises"
import path from "node:path"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { listTool } from "./list.ts"
import { tempDir, testContext, writeTree } from "./test-context.ts"

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const list = (args: Parameters<typeof listTool.execute>[0] = {}) => listTool.execute(args, testContext(dir))

describe("list", () => {
  test("renders an indented tree: directories first, then files, sorted", async () => {
    await writeTree(dir, {
      "README.md": "",
      "package.json": "",
      "src/index.ts": "",
      "src/util/a.ts": "",
      "src/b.ts": "",
      "docs/guide.md": "",
    })
    const result = await list()
    expect(result.output).toBe(
      [
        `${dir}/`,
        "  docs/",
        "    guide.md",
        "  src/",
        "    util/",
        "      a.ts",
        "    b.ts",
        "    index.ts",
        "  README.md",
        "  package.json",
        "",
      ].join("\n"),
    )
    expect(result.title).toBe(".")
    expect(result.metadata).toEqual({ count: 6, truncated: false })
  })

  test("skips node_modules, .git, dist, gitignored files and the ignore patterns", async () => {
    await writeTree(dir, {
      ".gitignore": "secret.env\n",
      "secret.env": "",
      "node_modules/x/index.js": "",
      ".git/HEAD": "",
      "dist/out.js": "",
      "src/a.ts": "",
      "src/a.test.ts": "",
      "fixtures/data.json": "",
    })
    const result = await list({ ignore: ["*.test.ts", "fixtures/"] })
    expect(result.output).toBe(`${dir}/\n  src/\n    a.ts\n  .gitignore\n`)
  })

  test("lists a subdirectory; title is relative", async () => {
    await writeTree(dir, { "a/b/c.txt": "" })
    const result = await list({ path: "a" })
    expect(result.output).toBe(`${path.join(dir, "a")}/\n  b/\n    c.txt\n`)
    expect(result.title).toBe("a")
  })

  test("caps at 100 files, shallow files first", async () => {
    const files: Record<string, string> = { "top.txt": "" }
    for (let i = 0; i < 150; i++) files[`deep/f${String(i).padStart(3, "0")}.txt`] = ""
    await writeTree(dir, files)
    const result = await list()
    expect(result.metadata).toEqual({ count: 100, truncated: true })
    expect(result.output).toContain("\n  top.txt\n")
    expect(result.output).toContain("(Showing the first 100 files.")
  })

  test("errors: outside, missing, a file", async () => {
    await writeTree(dir, { "f.txt": "" })
    await expect(list({ path: ".." })).rejects.toThrow(/outside the session directory/)
    await expect(list({ path: "/etc" })).rejects.toThrow(/outside the session directory/)
    await expect(list({ path: "nope" })).rejects.toThrow(/not found/)
    await expect(list({ path: "f.txt" })).rejects.toThrow(/Not a directory/)
    const other = await tempDir("spool-outside-")
    try {
      await fs.symlink(other.dir, path.join(dir, "out"))
      await expect(list({ path: "out" })).rejects.toThrow(/outside the session directory/)
    } finally {
      await other.cleanup()
    }
  })
})
