import fs from "node:fs/promises"
import path from "node:path"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { displayPath, resolveInside } from "./path.ts"
import { tempDir } from "./test-context.ts"

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

  test("accepts symlinks that stay inside, and a session directory reached through a symlink", async () => {
    await fs.mkdir(path.join(dir, "real"))
    await fs.symlink(path.join(dir, "real"), path.join(dir, "alias"))
    expect(await resolveInside(dir, "alias/new.txt")).toBe(path.join(dir, "alias/new.txt"))
    const viaLink = path.join(outside, "session-link")
    await fs.symlink(dir, viaLink)
    expect(await resolveInside(viaLink, "file.txt")).toBe(path.join(viaLink, "file.txt"))
  })

  test("displayPath is relative and posix", () => {
    expect(displayPath(dir, path.join(dir, "a", "b.txt"))).toBe("a/b.txt")
    expect(displayPath(dir, dir)).toBe(".")
  })
})
