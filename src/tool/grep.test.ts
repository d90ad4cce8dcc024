import fs from "node:fs/promises"
import path from "node:path"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { grepTool } from "./grep.ts"
import { tempDir, testContext, writeTree } from "./test-context.ts"

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const grep = (args: Parameters<typeof grepTool.execute>[0]) => grepTool.execute(args, testContext(dir))

async function touch(name: string, secondsAgo: number) {
  const when = new Date(Date.now() - secondsAgo * 1000)
  await fs.utimes(path.join(dir, name), when, when)
}

describe("grep", () => {
  test("OpenCode's output format, files newest first", async () => {
    await writeTree(dir, { "old.ts": "const foo = 1\nbar\nfoo()\n", "src/new.ts": "// foo here\n" })
    await touch("old.ts", 100)
    const result = await grep({ pattern: "fo+" })
    expect(result.output).toBe(
      [
        "Found 3 matches",
        `${path.join(dir, "src/new.ts")}:`,
        "  Line 1: // foo here",
        "",
        `${path.join(dir, "old.ts")}:`,
        "  Line 1: const foo = 1",
        "  Line 3: foo()",
      ].join("\n"),
    )
    expect(result.title).toBe("fo+")
    expect(result.metadata).toEqual({ matches: 3, truncated: false })
  })

  test("include filters files by glob; path narrows the search (directory or file)", async () => {
    await writeTree(dir, { "a.ts": "needle", "b.js": "needle", "sub/c.tsx": "needle", "sub/d.md": "needle" })
    const ts = await grep({ pattern: "needle", include: "*.{ts,tsx}" })
    expect(ts.metadata.matches).toBe(2)
    expect(ts.output).not.toContain("b.js")
    const sub = await grep({ pattern: "needle", path: "sub" })
    expect(sub.metadata.matches).toBe(2)
    const single = await grep({ pattern: "needle", path: "b.js" })
    expect(single.output).toBe(`Found 1 matches\n${path.join(dir, "b.js")}:\n  Line 1: needle`)
  })

  test("respects .gitignore, skips .git, node_modules and binary files", async () => {
    await writeTree(dir, {
      ".gitignore": "ignored/\n",
      "ignored/x.txt": "needle",
      ".git/config": "needle",
      "node_modules/m/index.js": "needle",
      "bin.dat2": Buffer.concat([Buffer.from("needle"), Buffer.from([0, 1, 2])]),
      "ok.txt": "needle",
    })
    const result = await grep({ pattern: "needle" })
    expect(result.output).toBe(`Found 1 matches\n${path.join(dir, "ok.txt")}:\n  Line 1: needle`)
  })

  test("no match, (?i), invalid regex, missing path", async () => {
    await writeTree(dir, { "a.txt": "Hello\r\nWorld\r\n" })
    expect((await grep({ pattern: "absent" })).output).toBe("No files found")
    const insensitive = await grep({ pattern: "(?i)^world$" })
    expect(insensitive.output).toContain("  Line 2: World")
    await expect(grep({ pattern: "(unclosed" })).rejects.toThrow(/Invalid regex/)
    await expect(grep({ pattern: "x", path: "missing" })).rejects.toThrow(/Search path not found/)
  })

  test("caps at 100 matches", async () => {
    await writeTree(dir, { "many.txt": Array.from({ length: 150 }, (_, i) => `hit ${i}`).join("\n") })
    const result = await grep({ pattern: "hit" })
    expect(result.output.startsWith("Found 100 matches (more matches available)\n")).toBe(true)
    expect(result.output).toContain("  Line 100: hit 99")
    expect(result.output).not.toContain("Line 101:")
    expect(result.output.endsWith("\n\n(Results truncated. Consider using a more specific path or pattern.)")).toBe(true)
    expect(result.metadata).toEqual({ matches: 100, truncated: true })
  })

  test("confinement", async () => {
    const other = await tempDir("spool-outside-")
    try {
      await writeTree(other.dir, { "secret.txt": "needle" })
      await fs.symlink(path.join(other.dir, "secret.txt"), path.join(dir, "link.txt"))
      await fs.symlink(other.dir, path.join(dir, "linkdir"))
      await expect(grep({ pattern: "needle", path: "../" })).rejects.toThrow(/outside/)
      await expect(grep({ pattern: "needle", path: other.dir })).rejects.toThrow(/outside/)
      await expect(grep({ pattern: "needle", path: "link.txt" })).rejects.toThrow(/outside/)
      expect((await grep({ pattern: "needle" })).output).toBe("No files found")
    } finally {
      await other.cleanup()
    }
  })
})
