import fs from "node:fs/promises"
import path from "node:path"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { globTool } from "./glob.ts"
import { tempDir, testContext, writeTree } from "./test-context.ts"

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const glob = (pattern: string, p?: string) => globTool.execute({ pattern, path: p }, testContext(dir))

async function touch(name: string, secondsAgo: number) {
  const when = new Date(Date.now() - secondsAgo * 1000)
  await fs.utimes(path.join(dir, name), when, when)
}

describe("glob", () => {
  test("matches at any depth, newest first, absolute paths", async () => {
    await writeTree(dir, { "a.ts": "", "src/b.ts": "", "src/deep/c.ts": "", "src/d.js": "", ".hidden/e.ts": "" })
    await touch("a.ts", 300)
    await touch("src/b.ts", 100)
    await touch("src/deep/c.ts", 200)
    await touch(".hidden/e.ts", 400)
    const result = await glob("*.ts")
    expect(result.output).toBe(
      [path.join(dir, "src/b.ts"), path.join(dir, "src/deep/c.ts"), path.join(dir, "a.ts"), path.join(dir, ".hidden/e.ts")].join("\n"),
    )
    expect(result.title).toBe(".")
    expect(result.metadata).toEqual({ count: 4, truncated: false })
  })

  test("patterns with a slash match relative paths; path narrows the search", async () => {
    await writeTree(dir, { "src/a.ts": "", "src/x/b.tsx": "", "test/c.ts": "" })
    expect((await glob("src/**/*.{ts,tsx}")).output.split("\n").sort()).toEqual(
      [path.join(dir, "src/a.ts"), path.join(dir, "src/x/b.tsx")].sort(),
    )
    const scoped = await glob("**/*.ts", "test")
    expect(scoped.output).toBe(path.join(dir, "test/c.ts"))
    expect(scoped.title).toBe("test")
  })

  test("respects .gitignore (nested too) and skips .git and node_modules", async () => {
    await writeTree(dir, {
      ".gitignore": "build/\n*.log\n",
      "keep.log.ts": "",
      "build/out.ts": "",
      "pkg/.gitignore": "generated.ts\n",
      "pkg/generated.ts": "",
      "pkg/real.ts": "",
      ".git/hooks/x.ts": "",
      "node_modules/lib/index.ts": "",
      "debug.log": "",
    })
    const result = await glob("**/*")
    const files = result.output.split("\n").map((f) => path.relative(dir, f)).sort()
    expect(files).toEqual([".gitignore", "keep.log.ts", "pkg/.gitignore", "pkg/real.ts"])
  })

  test("follows symlinks inside the session directory without looping", async () => {
    await writeTree(dir, { "real/a.ts": "" })
    await fs.symlink(path.join(dir, "real"), path.join(dir, "alias"))
    await fs.symlink(dir, path.join(dir, "real", "loop"))
    const files = (await glob("*.ts")).output.split("\n").map((f) => path.relative(dir, f)).sort()
    expect(files).toEqual(["alias/a.ts", "real/a.ts"])
  })

  test("no matches", async () => {
    expect((await glob("*.nothing")).output).toBe("No files found")
  })

  test("caps at 100 results with a note", async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 120; i++) files[`f${i}.txt`] = ""
    await writeTree(dir, files)
    const result = await glob("*.txt")
    const lines = result.output.split("\n")
    expect(lines).toHaveLength(102)
    expect(lines.at(-1)).toBe("(Results are truncated. Consider using a more specific path or pattern.)")
    expect(result.metadata).toEqual({ count: 100, truncated: true })
  })

  test("confinement: outside path refused, symlinks out are not followed", async () => {
    const other = await tempDir("spool-outside-")
    try {
      await writeTree(other.dir, { "secret.ts": "" })
      await fs.symlink(other.dir, path.join(dir, "out"))
      await fs.symlink(path.join(other.dir, "secret.ts"), path.join(dir, "secret-link.ts"))
      await expect(glob("*", "..")).rejects.toThrow(/outside the session directory/)
      await expect(glob("*", other.dir)).rejects.toThrow(/outside the session directory/)
      expect((await glob("**/*.ts")).output).toBe("No files found")
    } finally {
      await other.cleanup()
    }
  })
})
