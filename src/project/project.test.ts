import { execFileSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, test } from "vitest"
import { remoteProjectID, resolveProject } from "./project.ts"

function gitRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "spool-project-"))
  const run = (...args: string[]) => execFileSync("git", args, { cwd: dir })
  run("init", "-q")
  run("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "root")
  return dir
}

describe("resolveProject", () => {
  test("is global outside git", async () => {
    expect(await resolveProject(mkdtempSync(join(tmpdir(), "spool-plain-")))).toEqual({ id: "global", worktree: "/" })
  })

  test("is the root commit in a repository without remote, stable across calls and subdirectories", async () => {
    const dir = gitRepo()
    const root = execFileSync("git", ["rev-list", "--max-parents=0", "HEAD"], { cwd: dir }).toString().trim()
    const project = await resolveProject(dir)
    expect(project.id).toBe(root)
    execFileSync("mkdir", ["-p", join(dir, "sub")])
    expect((await resolveProject(join(dir, "sub"))).id).toBe(root)
  })

  test("prefers OpenCode's cached id, then the remote", async () => {
    const dir = gitRepo()
    writeFileSync(join(dir, ".git", "opencode"), "cachedid\n")
    expect((await resolveProject(dir)).id).toBe("cachedid")
    execFileSync("git", ["remote", "add", "origin", "git@GitHub.com:acme/app.git"], { cwd: dir })
    expect((await resolveProject(dir)).id).toBe(remoteProjectID("https://github.com/acme/app"))
  })
})

describe("remoteProjectID", () => {
  test("normalises URL and scp forms to the same id", () => {
    const id = remoteProjectID("https://github.com/acme/app.git")
    expect(id).toMatch(/^[0-9a-f]{40}$/)
    expect(remoteProjectID("git@github.com:acme/app.git")).toBe(id)
    expect(remoteProjectID("ssh://git@GITHUB.com/acme/app/")).toBe(id)
    expect(remoteProjectID("file:///tmp/repo")).toBeUndefined()
    expect(remoteProjectID("/tmp/repo")).toBeUndefined()
  })
})
