import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import fs from "node:fs/promises"
import net from "node:net"
import { homedir } from "node:os"
import path from "node:path"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { bashTool } from "./bash.ts"
import { bwrapArguments, probeSandbox } from "./sandbox.ts"
import { tempDir, testContext } from "./test-context.ts"
import type { ShellSandbox } from "./tool.ts"

const availability = await probeSandbox()
if (!availability.ok) console.warn(`sandbox tests skipped: ${availability.message}`)
const canSandbox = availability.ok

let dir: string
let outside: string
let cleanups: Array<() => Promise<void>> = []
beforeEach(async () => {
  const a = await tempDir("spool-sandbox-")
  const b = await tempDir("spool-outside-")
  dir = a.dir
  outside = b.dir
  cleanups = [a.cleanup, b.cleanup]
})
afterEach(async () => {
  for (const cleanup of cleanups) await cleanup()
})

const run = (command: string, sandbox: Partial<ShellSandbox> = {}, options: { timeout?: number; abort?: AbortSignal } = {}) => {
  const ctx = testContext(dir, { abort: options.abort })
  ctx.sandbox = { network: false, writable: [], ...sandbox }
  return bashTool.execute({ command, description: "sandboxed", ...(options.timeout ? { timeout: options.timeout } : {}) }, ctx)
}

/** Host pids whose command line is exactly `argv` (the sandbox's processes seen from outside). */
function processesRunning(argv: string[]): number[] {
  const wanted = argv.join("\0") + "\0"
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0]
        return state !== "Z" && readFileSync(`/proc/${pid}/cmdline`, "utf8") === wanted
      } catch {
        return false
      }
    })
    .map(Number)
}

describe("bwrapArguments", () => {
  test("read-only root, fresh /dev /proc /tmp, writable work tree, no network unless allowed", async () => {
    const args = bwrapArguments({ directory: dir, cwd: dir, network: false, writable: ["/var/cache/x"] })
    expect(args.slice(0, 4)).toEqual(["--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net"])
    const joined = args.join(" ")
    expect(joined).toContain("--ro-bind / / --dev /dev --proc /proc --tmpfs /tmp")
    expect(joined).toContain(`--bind ${dir} ${dir}`)
    expect(joined).toContain("--bind-try /var/cache/x /var/cache/x")
    expect(args.slice(-3)).toEqual(["--chdir", dir, "--"])
    // binds come after the private /tmp, so a work tree under /tmp stays visible
    expect(args.indexOf("--bind")).toBeGreaterThan(args.indexOf("--tmpfs"))
    expect(bwrapArguments({ directory: dir, cwd: dir, network: true, writable: [] })).not.toContain("--unshare-net")
  })

  test("the work tree root is writable when it contains the directory; never / or $HOME", async () => {
    const sub = path.join(dir, "pkg")
    await fs.mkdir(path.join(dir, ".git", "hooks"), { recursive: true })
    const args = bwrapArguments({ directory: sub, cwd: sub, network: false, writable: [], workTree: dir }).join(" ")
    expect(args).toContain(`--bind ${dir} ${dir}`)
    expect(args).toContain(`--ro-bind-try ${dir}/.git/hooks ${dir}/.git/hooks`)
    expect(args).toContain(`--ro-bind-try ${dir}/.git/config ${dir}/.git/config`)
    for (const workTree of ["/", homedir(), outside]) {
      const binds = bwrapArguments({ directory: sub, cwd: sub, network: false, writable: [], workTree }).join(" ")
      expect(binds).toContain(`--bind ${sub} ${sub}`)
      expect(binds).not.toContain(`--bind ${workTree} `)
    }
  })
})

describe.skipIf(!canSandbox)("bash under the sandbox (real bwrap)", () => {
  test("writes inside the directory; /etc, $HOME and other directories are read-only; /tmp is private", async () => {
    const token = randomBytes(6).toString("hex")
    const homeFile = path.join(homedir(), `spool-sandbox-${token}`)
    await fs.writeFile(path.join(outside, "keep.txt"), "original")
    const result = await run(
      [
        "echo inside > inside.txt && echo wrote-inside",
        `touch /etc/spool-${token} 2>&1 || echo etc-refused`,
        `touch '${homeFile}' 2>&1 || echo home-refused`,
        `echo changed > '${outside}/keep.txt' 2>&1 || echo outside-refused`,
        `echo private > /tmp/spool-${token} && cat /tmp/spool-${token}`,
        "pwd",
      ].join("\n"),
    )
    expect(result.output).toContain("wrote-inside")
    expect(result.output).toContain("etc-refused")
    expect(result.output).toContain("home-refused")
    expect(result.output).toContain("outside-refused")
    expect(result.output).toContain("Read-only file system")
    expect(result.output).toContain(`private\n${dir}\n`)
    expect(result.metadata.exit).toBe(0)
    expect(await fs.readFile(path.join(dir, "inside.txt"), "utf8")).toBe("inside\n")
    expect(existsSync(`/etc/spool-${token}`)).toBe(false)
    expect(existsSync(homeFile)).toBe(false)
    expect(await fs.readFile(path.join(outside, "keep.txt"), "utf8")).toBe("original")
    expect(existsSync(`/tmp/spool-${token}`)).toBe(false)
  })

  test("sandbox.writable paths are writable; git hooks of the work tree are not", async () => {
    execFileSync("git", ["init", "-q"], { cwd: dir })
    const result = await run(
      [`echo extra > '${outside}/extra.txt' && echo extra-ok`, "echo evil > .git/hooks/post-commit 2>&1 || echo hook-refused", "echo x > tracked.txt && git add tracked.txt && echo git-ok"].join("\n"),
      { writable: [outside], workTree: dir },
    )
    expect(result.output).toContain("extra-ok")
    expect(result.output).toContain("hook-refused")
    expect(result.output).toContain("git-ok")
    expect(await fs.readFile(path.join(outside, "extra.txt"), "utf8")).toBe("extra\n")
    expect(existsSync(path.join(dir, ".git", "hooks", "post-commit"))).toBe(false)
  })

  test("no network unless allowed: a TCP server on the host's 127.0.0.1 is unreachable, then reachable", async () => {
    let connections = 0
    const server = net.createServer((socket) => {
      connections++
      socket.end("hello from the host\n")
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as net.AddressInfo).port
    const probe = `exec 3<>/dev/tcp/127.0.0.1/${port} && head -n1 <&3 || echo unreachable`
    try {
      const blocked = await run(probe, { network: false })
      expect(blocked.output).toContain("unreachable")
      expect(blocked.output).not.toContain("hello from the host")
      expect(connections).toBe(0)

      const allowed = await run(probe, { network: true })
      expect(allowed.output).toContain("hello from the host")
      expect(connections).toBe(1)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  test("timeout kills everything in the sandbox, background and setsid'd processes too", async () => {
    const seconds = `${900 + Math.floor(Math.random() * 90)}.25`
    const result = await run(`sleep ${seconds} & setsid sleep ${seconds} & sleep ${seconds}`, {}, { timeout: 400 })
    expect(result.output).toContain("terminated command after exceeding timeout 400 ms")
    await expect.poll(() => processesRunning(["sleep", seconds]), { timeout: 3_000 }).toEqual([])
  })

  test("abort kills everything in the sandbox", async () => {
    const seconds = `${900 + Math.floor(Math.random() * 90)}.75`
    const controller = new AbortController()
    const running = run(`sleep ${seconds} & sleep ${seconds}`, {}, { abort: controller.signal })
    await expect.poll(() => processesRunning(["sleep", seconds]).length, { timeout: 5_000 }).toBe(2)
    controller.abort()
    const result = await running
    expect(result.output).toContain("User aborted the command")
    await expect.poll(() => processesRunning(["sleep", seconds]), { timeout: 3_000 }).toEqual([])
  })
})

describe("when the sandbox cannot run, the command does not run and the error says why", () => {
  test("bwrap missing", async () => {
    const error = await run("touch ran.txt", { command: path.join(outside, "no-such-bwrap") }).catch((caught: Error) => caught)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/^The sandbox is enabled \(sandbox.enabled\) but bubblewrap \(.*no-such-bwrap\) is not installed, so the command was not run\. Install it \(Debian\/Ubuntu: apt install bubblewrap/)
    expect((error as Error).message).toContain("sandbox.enabled")
    expect(existsSync(path.join(dir, "ran.txt"))).toBe(false)
  })

  // A real bwrap that cannot create namespaces: run it in a user namespace that may not create more
  // (max_user_namespaces = 0) and has no capabilities — what a container without user namespaces gives.
  const userns = (() => {
    try {
      execFileSync("unshare", ["-U", "-r", "sh", "-c", "echo 0 > /proc/sys/user/max_user_namespaces"], { stdio: "ignore" })
      execFileSync("setpriv", ["--help"], { stdio: "ignore" })
      return canSandbox
    } catch {
      return false
    }
  })()
  test.skipIf(!userns)("bwrap that cannot create namespaces", async () => {
    const wrapper = path.join(outside, "bwrap-without-userns")
    await fs.writeFile(
      wrapper,
      `#!/bin/sh\nexec unshare -U -r sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --bounding-set=-all --inh-caps=-all bwrap "$@"' sh "$@"\n`,
      { mode: 0o755 },
    )
    const error = await run("touch ran.txt", { command: wrapper }).catch((caught: Error) => caught)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/^The sandbox is enabled \(sandbox.enabled\) but bubblewrap cannot create its namespaces here \(bwrap: .*\), so the command was not run\. Allow unprivileged user namespaces/)
    expect(existsSync(path.join(dir, "ran.txt"))).toBe(false)
  })
})

describe.skipIf(!canSandbox)("a session directory reached through a symlink", () => {
  test("works from the directory as spelled and from a workdir (resolved to the real path)", async () => {
    const link = path.join(outside, "session-link")
    await fs.symlink(dir, link)
    await fs.mkdir(path.join(dir, "sub"))
    const ctx = testContext(link)
    ctx.sandbox = { network: false, writable: [] }
    const top = await bashTool.execute({ command: "pwd && echo top > top.txt", description: "d" }, ctx)
    expect(top.output).toBe(`${link}\n`)
    const sub = await bashTool.execute({ command: "pwd && echo sub > sub.txt", workdir: "sub", description: "d" }, ctx)
    expect(sub.output).toBe(`${path.join(dir, "sub")}\n`)
    expect(await fs.readFile(path.join(dir, "top.txt"), "utf8")).toBe("top\n")
    expect(await fs.readFile(path.join(dir, "sub", "sub.txt"), "utf8")).toBe("sub\n")
  })
})
