import fs from "node:fs/promises"
import path from "node:path"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { writeTool } from "./write.ts"
import { tempDir, testContext } from "./test-context.ts"

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const write = (filePath: string, content: string) => writeTool.execute({ filePath, content }, testContext(dir))

describe("write", () => {
  test("creates parent directories and reports exists=false", async () => {
    const result = await write("a/b/c.txt", "hi")
    expect(await fs.readFile(path.join(dir, "a/b/c.txt"), "utf8")).toBe("hi")
    expect(result).toEqual({
      title: "a/b/c.txt",
      output: "Wrote file successfully.",
      metadata: { filepath: path.join(dir, "a/b/c.txt"), exists: false },
    })
  })

  test("overwrites and reports exists=true", async () => {
    await write("f.txt", "one")
    const result = await write(path.join(dir, "f.txt"), "two")
    expect(result.metadata.exists).toBe(true)
    expect(await fs.readFile(path.join(dir, "f.txt"), "utf8")).toBe("two")
  })

  test("refuses a directory", async () => {
    await fs.mkdir(path.join(dir, "d"))
    await expect(write("d", "x")).rejects.toThrow(/directory/)
  })

  test("confinement: ../, absolute outside, through a symlinked directory", async () => {
    const other = await tempDir("spool-outside-")
    try {
      await fs.symlink(other.dir, path.join(dir, "out"))
      await expect(write("../escape.txt", "x")).rejects.toThrow(/outside the session directory/)
      await expect(write(path.join(other.dir, "abs.txt"), "x")).rejects.toThrow(/outside the session directory/)
      await expect(write("out/new/file.txt", "x")).rejects.toThrow(/outside the session directory/)
      expect(await fs.readdir(other.dir)).toEqual([])
    } finally {
      await other.cleanup()
    }
  })
})
