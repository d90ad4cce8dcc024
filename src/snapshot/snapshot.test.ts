import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, test } from "vitest"
import { Snapshot } from "./snapshot.ts"

function repo(files: Record<string, string>, git = true) {
  const dir = mkdtempSync(join(tmpdir(), "spool-snap-"))
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  if (git) {
    const run = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "ignore" })
    run("init", "-q")
    run("add", "-A")
    run("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "-m", "init")
  }
  return dir
}

function userGitState(dir: string) {
  const run = (...args: string[]) => execFileSync("git", args, { cwd: dir }).toString()
  return { status: run("status", "--porcelain"), head: run("rev-parse", "HEAD"), index: readFileSync(join(dir, ".git", "index")), refs: run("for-each-ref") }
}

describe("Snapshot", () => {
  test("tracks trees, lists changed files, diffs and restores only the named files", async () => {
    const dir = repo({ "a.txt": "one\n", "b.txt": "two\n", ".gitignore": "ignored.log\n" })
    const before = userGitState(dir)
    const snapshot = new Snapshot({ dataDir: mkdtempSync(join(tmpdir(), "spool-data-")), projectID: "p", workTree: dir })
    const start = await snapshot.track()
    expect(start.tree).toMatch(/^[0-9a-f]{40}$/)
    writeFileSync(join(dir, "a.txt"), "one\nmore\n")
    writeFileSync(join(dir, "new.txt"), "new\n")
    writeFileSync(join(dir, "ignored.log"), "noise\n")
    const end = await snapshot.track()
    expect((await snapshot.changedFiles(start.tree, end.tree)).sort()).toEqual(["a.txt", "new.txt"])

    const diffs = await snapshot.diff(start.tree, end.tree)
    expect(diffs.find((diff) => diff.file === "a.txt")).toMatchObject({ additions: 1, deletions: 0, status: "modified" })
    expect(diffs.find((diff) => diff.file === "new.txt")).toMatchObject({ additions: 1, status: "added" })
    expect(diffs.find((diff) => diff.file === "a.txt")?.patch).toContain("+more")

    // The user edits b.txt meanwhile; restoring a.txt and new.txt leaves it alone.
    writeFileSync(join(dir, "b.txt"), "user edit\n")
    await snapshot.restore(start.tree, ["a.txt", "new.txt"])
    expect(readFileSync(join(dir, "a.txt"), "utf8")).toBe("one\n")
    expect(existsSync(join(dir, "new.txt"))).toBe(false)
    expect(readFileSync(join(dir, "b.txt"), "utf8")).toBe("user edit\n")

    // Forward again, byte for byte.
    await snapshot.restore(end.tree, ["a.txt", "new.txt"])
    expect(readFileSync(join(dir, "a.txt"), "utf8")).toBe("one\nmore\n")
    expect(readFileSync(join(dir, "new.txt"), "utf8")).toBe("new\n")

    // The user's repository was never written: same HEAD, refs and index bytes.
    const after = userGitState(dir)
    expect(after.head).toBe(before.head)
    expect(after.refs).toBe(before.refs)
    expect(after.index.equals(before.index)).toBe(true)
  })

  test("skips files over the size cap and reports them", async () => {
    const dir = repo({ "small.txt": "x" })
    const snapshot = new Snapshot({ dataDir: mkdtempSync(join(tmpdir(), "spool-data-")), projectID: "p", workTree: dir, maxFileBytes: 1024 })
    const start = await snapshot.track()
    writeFileSync(join(dir, "big.bin"), Buffer.alloc(4096, 1))
    const end = await snapshot.track()
    expect(end.skipped).toEqual(["big.bin"])
    expect(await snapshot.changedFiles(start.tree, end.tree)).toEqual([])
  })

  test("works outside a git repository", async () => {
    const dir = repo({ "notes.md": "a\n" }, false)
    const snapshot = new Snapshot({ dataDir: mkdtempSync(join(tmpdir(), "spool-data-")), projectID: "global", workTree: dir })
    const start = await snapshot.track()
    writeFileSync(join(dir, "notes.md"), "b\n")
    const end = await snapshot.track()
    expect(await snapshot.changedFiles(start.tree, end.tree)).toEqual(["notes.md"])
    await snapshot.restore(start.tree, ["notes.md"])
    expect(readFileSync(join(dir, "notes.md"), "utf8")).toBe("a\n")
  })

  test("compares disk content with a tree by blob id", async () => {
    const dir = repo({ "a.txt": "one\n" })
    const snapshot = new Snapshot({ dataDir: mkdtempSync(join(tmpdir(), "spool-data-")), projectID: "p", workTree: dir })
    const { tree } = await snapshot.track()
    const inTree = await snapshot.blobIds(tree, ["a.txt", "missing.txt"])
    const onDisk = await snapshot.diskBlobIds(["a.txt", "missing.txt"])
    expect(onDisk.get("a.txt")).toBe(inTree.get("a.txt"))
    expect(inTree.get("missing.txt")).toBeUndefined()
    writeFileSync(join(dir, "a.txt"), "changed\n")
    expect((await snapshot.diskBlobIds(["a.txt"])).get("a.txt")).not.toBe(inTree.get("a.txt"))
  })

  test("gc keeps live trees and prunes the rest", async () => {
    const dir = repo({ "a.txt": "v0\n" })
    const snapshot = new Snapshot({ dataDir: mkdtempSync(join(tmpdir(), "spool-data-")), projectID: "p", workTree: dir })
    const trees: string[] = []
    for (let index = 1; index <= 3; index++) {
      writeFileSync(join(dir, "a.txt"), `v${index}\n`.repeat(1000))
      trees.push((await snapshot.track()).tree)
    }
    await snapshot.gc([trees[2]])
    const exists = (tree: string) => {
      try {
        execFileSync("git", ["--git-dir", snapshot.gitDir, "cat-file", "-e", tree], { stdio: "ignore" })
        return true
      } catch {
        return false
      }
    }
    expect(exists(trees[2])).toBe(true)
    // Within the grace period nothing unreferenced is pruned yet (a running turn may still store it).
    expect(exists(trees[0])).toBe(true)
    expect(await snapshot.size()).toBeGreaterThan(0)

    const eager = new Snapshot({ dataDir: snapshot.gitDir.split("/snapshot/")[0], projectID: "p", workTree: dir, gcGrace: "now" })
    await eager.gc([trees[2]])
    expect(exists(trees[2])).toBe(true)
    expect(exists(trees[0])).toBe(false)
    expect(exists(trees[1])).toBe(false)
  })
})
