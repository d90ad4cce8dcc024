import fs from "node:fs/promises"
import path from "node:path"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { readTool } from "./read.ts"
import { tempDir, testContext, writeTree } from "./test-context.ts"

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const read = (args: Parameters<typeof readTool.execute>[0]) => readTool.execute(args, testContext(dir))

describe("read", () => {
  test("produces OpenCode's exact output format", async () => {
    await writeTree(dir, { "file": "hello\n" })
    const result = await read({ filePath: path.join(dir, "file") })
    expect(result.output).toBe(
      `<path>${dir}/file</path>\n<type>file</type>\n<content>\n1: hello\n\n(End of file - total 1 lines)\n</content>`,
    )
    expect(result.title).toBe("file")
    expect(result.metadata).toEqual({ preview: "hello", truncated: false })
  })

  test("relative paths, title relative to the session directory", async () => {
    await writeTree(dir, { "src/a.ts": "x\ny\n" })
    const result = await read({ filePath: "src/a.ts" })
    expect(result.title).toBe("src/a.ts")
    expect(result.output).toContain(`<path>${dir}/src/a.ts</path>`)
    expect(result.output).toContain("1: x\n2: y\n\n(End of file - total 2 lines)")
  })

  test("offset and limit page through the file", async () => {
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join("\n")
    await writeTree(dir, { "f.txt": lines })
    const result = await read({ filePath: "f.txt", offset: 3, limit: 2 })
    expect(result.output).toContain("<content>\n3: line 3\n4: line 4\n\n(Showing lines 3-4 of 10. Use offset=5 to continue.)")
    expect(result.metadata.truncated).toBe(true)
    const tail = await read({ filePath: "f.txt", offset: 9 })
    expect(tail.output).toContain("9: line 9\n10: line 10\n\n(End of file - total 10 lines)")
  })

  test("defaults to 2000 lines", async () => {
    await writeTree(dir, { "big.txt": Array.from({ length: 2500 }, (_, i) => String(i + 1)).join("\n") })
    const result = await read({ filePath: "big.txt" })
    expect(result.output).toContain("2000: 2000\n\n(Showing lines 1-2000 of 2500. Use offset=2001 to continue.)")
    expect(result.output).not.toContain("2001: ")
    expect((result.metadata.preview as string).split("\n")).toHaveLength(20)
  })

  test("cuts long lines and caps output at 50 KB", async () => {
    await writeTree(dir, { "long.txt": "a".repeat(3000) + "\nshort\n" })
    const long = await read({ filePath: "long.txt" })
    expect(long.output).toContain(`1: ${"a".repeat(2000)}... (line truncated to 2000 chars)\n2: short`)

    await writeTree(dir, { "wide.txt": Array.from({ length: 100 }, () => "b".repeat(1000)).join("\n") })
    const wide = await read({ filePath: "wide.txt" })
    expect(wide.output).toMatch(/\(Output capped at 50 KB\. Showing lines 1-(\d+)\. Use offset=\d+ to continue\.\)/)
    const shown = Number(/Showing lines 1-(\d+)/.exec(wide.output)![1])
    expect(shown).toBeGreaterThan(40)
    expect(shown).toBeLessThan(60)
  })

  test("empty file", async () => {
    await writeTree(dir, { "empty.txt": "" })
    const result = await read({ filePath: "empty.txt" })
    expect(result.output).toBe(`<path>${dir}/empty.txt</path>\n<type>file</type>\n<content>\n\n\n(End of file - total 0 lines)\n</content>`)
  })

  test("refuses binary files", async () => {
    await writeTree(dir, { "blob.dat2": Buffer.from([0x89, 0x50, 0x00, 0x01, 0x02]), "x.zip": "PK" })
    await expect(read({ filePath: "blob.dat2" })).rejects.toThrow(/Cannot read binary file/)
    await expect(read({ filePath: "x.zip" })).rejects.toThrow(/Cannot read binary file/)
  })

  test("a directory is an error that suggests list", async () => {
    await fs.mkdir(path.join(dir, "sub"))
    await expect(read({ filePath: "sub" })).rejects.toThrow(/directory.*list tool/)
  })

  test("missing file suggests similar names", async () => {
    await writeTree(dir, { "config.json": "{}", "other.txt": "" })
    await expect(read({ filePath: "config" })).rejects.toThrow(
      `File not found: ${dir}/config\n\nDid you mean one of these?\n${dir}/config.json`,
    )
    await expect(read({ filePath: "nothing-alike" })).rejects.toThrow(new RegExp(`^File not found: ${dir}/nothing-alike$`))
  })

  test("bad offsets", async () => {
    await writeTree(dir, { "f.txt": "a\nb\n" })
    await expect(read({ filePath: "f.txt", offset: 0 })).rejects.toThrow(/offset must be greater than or equal to 1/)
    await expect(read({ filePath: "f.txt", offset: 5 })).rejects.toThrow("Offset 5 is out of range for this file (2 lines)")
  })

  test("confinement: ../, absolute outside, symlink outside", async () => {
    const other = await tempDir("spool-outside-")
    try {
      await writeTree(other.dir, { "secret.txt": "secret" })
      await fs.symlink(path.join(other.dir, "secret.txt"), path.join(dir, "link.txt"))
      await expect(read({ filePath: `../${path.basename(other.dir)}/secret.txt` })).rejects.toThrow(/outside the session directory/)
      await expect(read({ filePath: "/etc/passwd" })).rejects.toThrow(/outside the session directory/)
      await expect(read({ filePath: "link.txt" })).rejects.toThrow(/outside the session directory/)
    } finally {
      await other.cleanup()
    }
  })
})
