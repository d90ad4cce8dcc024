import fs from "node:fs/promises"
import path from "node:path"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { editTool } from "./edit.ts"
import { displayPath, isWithin, resolveInside } from "./path.ts"
import { readTool } from "./read.ts"
import { tempDir, testContext } from "./test-context.ts"
import type { FileGuard } from "./tool.ts"
import { writeTool } from "./write.ts"

let dir: string
let outside: string
let cleanups: Array<() => Promise<void>> = []

beforeEach(async () => {
  const a = await tempDir()
  const b = await tempDir("spool-outside-")
  dir = a.dir
  outside = b.dir
  cleanups = [a.cleanup, b.cleanup]
  await fs.writeFile(path.join(outside, "secret.txt"), "secret")
})
afterEach(async () => {
  for (const cleanup of cleanups) await cleanup()
})

describe("resolveInside", () => {
  test("resolves relative paths against the directory and keeps absolute inside paths", async () => {
    expect(await resolveInside(dir, "a/b.txt")).toBe(path.join(dir, "a/b.txt"))
    expect(await resolveInside(dir, path.join(dir, "x.txt"))).toBe(path.join(dir, "x.txt"))
    expect(await resolveInside(dir, ".")).toBe(dir)
    expect(await resolveInside(dir, "a/../b")).toBe(path.join(dir, "b"))
  })

  test("refuses ../ escapes and absolute outside paths", async () => {
    await expect(resolveInside(dir, "../x")).rejects.toThrow(/is outside the session directory/)
    await expect(resolveInside(dir, "/etc/passwd")).rejects.toThrow(
      `Path /etc/passwd is outside the session directory ${dir}`,
    )
    // a sibling whose name starts with the directory's name is still outside
    await expect(resolveInside(dir, `${dir}-other/x`)).rejects.toThrow(/outside/)
  })

  test("refuses symlinks pointing outside, and new files below them", async () => {
    await fs.symlink(path.join(outside, "secret.txt"), path.join(dir, "link.txt"))
    await fs.symlink(outside, path.join(dir, "linkdir"))
    await expect(resolveInside(dir, "link.txt")).rejects.toThrow(/outside/)
    await expect(resolveInside(dir, "linkdir/secret.txt")).rejects.toThrow(/outside/)
    await expect(resolveInside(dir, "linkdir/new/file.txt")).rejects.toThrow(/outside/)
  })

  test("refuses a dangling symlink whose target is outside", async () => {
    await fs.symlink(path.join(outside, "not-yet.txt"), path.join(dir, "dangling"))
    await expect(resolveInside(dir, "dangling")).rejects.toThrow(/outside/)
  })

  test("returns the real location: symlinks inside the directory, and a directory reached through a symlink", async () => {
    await fs.mkdir(path.join(dir, "real"))
    await fs.symlink(path.join(dir, "real"), path.join(dir, "alias"))
    expect(await resolveInside(dir, "alias/new.txt")).toBe(path.join(dir, "real/new.txt"))
    const viaLink = path.join(outside, "session-link")
    await fs.symlink(dir, viaLink)
    expect(await resolveInside(viaLink, "file.txt")).toBe(path.join(dir, "file.txt"))
    // the label stays relative to the directory as the session spells it
    expect(displayPath(viaLink, path.join(dir, "a", "file.txt"))).toBe("a/file.txt")
  })

  test("names that only start with two dots are inside", async () => {
    await fs.writeFile(path.join(dir, "..foo"), "dots")
    expect(await resolveInside(dir, "..foo")).toBe(path.join(dir, "..foo"))
    expect(await resolveInside(dir, "...")).toBe(path.join(dir, "..."))
    expect(await resolveInside(dir, "sub/..bar/x.txt")).toBe(path.join(dir, "sub/..bar/x.txt"))
    expect(isWithin(dir, path.join(dir, "..foo"))).toBe(true)
    expect(isWithin(dir, path.join(dir, ".."))).toBe(false)
    expect(isWithin(dir, path.join(dir, "../x"))).toBe(false)
    expect(displayPath(dir, path.join(dir, "..foo"))).toBe("..foo")
    await expect(resolveInside(dir, "..")).rejects.toThrow(/outside/)
    await expect(resolveInside(dir, "../..foo")).rejects.toThrow(/outside/)
  })

  test("a symlink swapped after the check cannot redirect the returned path", async () => {
    await fs.writeFile(path.join(dir, "inside.txt"), "inside")
    await fs.symlink(path.join(dir, "inside.txt"), path.join(dir, "link.txt"))
    const resolved = await resolveInside(dir, "link.txt")
    expect(resolved).toBe(path.join(dir, "inside.txt"))
    // the attacker re-points the link outside between the check and the use
    await fs.rm(path.join(dir, "link.txt"))
    await fs.symlink(path.join(outside, "secret.txt"), path.join(dir, "link.txt"))
    await fs.writeFile(resolved, "written")
    expect(await fs.readFile(path.join(outside, "secret.txt"), "utf8")).toBe("secret")
    expect(await fs.readFile(path.join(dir, "inside.txt"), "utf8")).toBe("written")
  })

  test("displayPath is relative and posix", () => {
    expect(displayPath(dir, path.join(dir, "a", "b.txt"))).toBe("a/b.txt")
    expect(displayPath(dir, dir)).toBe(".")
  })
})

describe("file tools act where the check looked", () => {
  /** A FileGuard that runs `between` after the tool resolved its path and before it writes. */
  const guardWith = (between: () => Promise<void>): FileGuard => ({
    recordRead() {},
    async write(_file, fn) {
      await between()
      return fn()
    },
  })
  const swapLinkOutside = async () => {
    await fs.rm(path.join(dir, "link.txt"))
    await fs.symlink(path.join(outside, "secret.txt"), path.join(dir, "link.txt"))
  }

  test("write: a link re-pointed outside mid-call does not redirect the write", async () => {
    await fs.writeFile(path.join(dir, "inside.txt"), "inside")
    await fs.symlink(path.join(dir, "inside.txt"), path.join(dir, "link.txt"))
    const ctx = testContext(dir, { files: guardWith(swapLinkOutside) })
    const result = await writeTool.execute({ filePath: "link.txt", content: "new content" }, ctx)
    expect(result.metadata.filepath).toBe(path.join(dir, "inside.txt"))
    expect(result.title).toBe("inside.txt")
    expect(await fs.readFile(path.join(outside, "secret.txt"), "utf8")).toBe("secret")
    expect(await fs.readFile(path.join(dir, "inside.txt"), "utf8")).toBe("new content")
  })

  test("edit: a link re-pointed outside mid-call does not redirect the edit", async () => {
    await fs.writeFile(path.join(dir, "inside.txt"), "hello inside")
    await fs.writeFile(path.join(outside, "secret.txt"), "hello secret")
    await fs.symlink(path.join(dir, "inside.txt"), path.join(dir, "link.txt"))
    const ctx = testContext(dir, { files: guardWith(swapLinkOutside) })
    await editTool.execute({ filePath: "link.txt", oldString: "hello", newString: "bye" }, ctx)
    expect(await fs.readFile(path.join(outside, "secret.txt"), "utf8")).toBe("hello secret")
    expect(await fs.readFile(path.join(dir, "inside.txt"), "utf8")).toBe("bye inside")
  })

  test("tools refuse a link to outside, ../ and absolute outside paths, and accept ..foo", async () => {
    await fs.symlink(path.join(outside, "secret.txt"), path.join(dir, "link.txt"))
    const ctx = testContext(dir)
    await expect(readTool.execute({ filePath: "link.txt" }, ctx)).rejects.toThrow(/outside the session directory/)
    await expect(writeTool.execute({ filePath: "link.txt", content: "x" }, ctx)).rejects.toThrow(/outside/)
    await expect(writeTool.execute({ filePath: "../escape.txt", content: "x" }, ctx)).rejects.toThrow(/outside/)
    await expect(readTool.execute({ filePath: path.join(outside, "secret.txt") }, ctx)).rejects.toThrow(/outside/)
    expect(await fs.readFile(path.join(outside, "secret.txt"), "utf8")).toBe("secret")

    await writeTool.execute({ filePath: "..foo", content: "two dots\n" }, ctx)
    const read = await readTool.execute({ filePath: "..foo" }, ctx)
    expect(read.title).toBe("..foo")
    expect(read.output).toContain("1: two dots")
  })
})
