import { execFile } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, test } from "vitest"
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from "../fixture/tmpfs.ts"
import { tempDir } from "../fixture/tmp.ts"

/**
 * Issue 8, "Faults": a data directory Spool cannot write in stops `spool serve` at once with one clear
 * line naming the directory and the problem, exit code 1, no stack trace. Before, the migration lock's
 * retries (proper-lockfile retries every error, 300 times) made it hang 61 s first; these tests would
 * time out on that. We run as root, where `chmod 555` stops nothing: read-only is a read-only tmpfs.
 */

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url))

/** Runs `spool <args>` with `SPOOL_DATA_DIR=dataDir`; resolves with its exit code and output. */
function spool(dataDir: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const home = tempDir({ prefix: "spool-home-" })
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { ...process.env, SPOOL_DATA_DIR: dataDir, XDG_CONFIG_HOME: home.path, SPOOL_LOG_LEVEL: "warn" }, timeout: 25_000 },
      (error, stdout, stderr) => {
        home.cleanup()
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr })
      },
    )
  })
}

/** A failure a user can act on: one `error:` line, no stack frames. */
function expectOneLine(stderr: string) {
  expect(stderr.trim().split("\n")).toHaveLength(1)
  expect(stderr).not.toMatch(/^\s+at /m)
}

describe("a data directory that cannot be used", () => {
  test("under a regular file (ENOTDIR): serve exits 1 at once with the directory and the problem", async () => {
    const parent = tempDir()
    const file = join(parent.path, "not-a-dir")
    writeFileSync(file, "")
    const dataDir = join(file, "data")
    const result = await spool(dataDir, ["serve", "--port", "0"])
    parent.cleanup()
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`error: data directory ${dataDir} cannot be created (ENOTDIR: not a directory): set SPOOL_DATA_DIR`)
    expectOneLine(result.stderr)
  })

  test("that is a regular file (EEXIST)", async () => {
    const parent = tempDir()
    const dataDir = join(parent.path, "file")
    writeFileSync(dataDir, "")
    const result = await spool(dataDir, ["serve", "--port", "0"])
    parent.cleanup()
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`error: data directory ${dataDir} cannot be created (EEXIST`)
    expectOneLine(result.stderr)
  })
})

const unavailable = tmpfsUnavailable()
if (unavailable) console.warn(`skipping read-only data directory tests: ${unavailable}`)

describe.skipIf(unavailable !== undefined)("a read-only data directory (read-only tmpfs)", () => {
  const mounts: Tmpfs[] = []
  afterAll(() => {
    for (const mount of mounts) mount.unmount()
  })

  test("fresh and read-only (EROFS): serve exits 1 at once with the directory and the problem", async () => {
    const mount = mountTmpfs("ro,size=64k")
    mounts.push(mount)
    const result = await spool(mount.path, ["serve", "--port", "0"])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`error: data directory ${mount.path} is not writable (EROFS: read-only file system): set SPOOL_DATA_DIR to a writable directory or fix its permissions\n`)
  })

  test("a subdirectory to create on a read-only file system (EROFS)", async () => {
    const mount = mountTmpfs("ro,size=64k")
    mounts.push(mount)
    const dataDir = join(mount.path, "spool")
    const result = await spool(dataDir, ["serve", "--port", "0"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`error: data directory ${dataDir} is not writable (EROFS`)
    expectOneLine(result.stderr)
  })

  test("an existing database whose file system became read-only: serve and the CLI exit 1 at once", async () => {
    const mount = mountTmpfs("size=4m")
    mounts.push(mount)
    const created = await spool(mount.path, ["session", "list"])
    expect(created).toMatchObject({ code: 0, stderr: "" })
    mount.remount("ro")
    for (const args of [["serve", "--port", "0"], ["session", "list"]]) {
      const result = await spool(mount.path, args)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`error: data directory ${mount.path} is not writable (EROFS: read-only file system)`)
      expectOneLine(result.stderr)
    }
  })
})
