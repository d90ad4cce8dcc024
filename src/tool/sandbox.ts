import { spawn } from "node:child_process"
import { realpathSync, statSync } from "node:fs"
import { homedir } from "node:os"
import path from "node:path"
import type { ShellSandbox } from "./tool.ts"

/**
 * The opt-in sandbox of the `bash` tool (config `sandbox.enabled`): the command runs under bubblewrap
 * (`bwrap`, Debian package `bubblewrap`), the way Claude Code's sandbox runtime confines commands on Linux:
 *
 * - the whole filesystem is mounted read-only (`--ro-bind / /`), with a fresh `/dev` and `/proc`;
 * - the work tree (the git worktree root, unless that is `/` or `$HOME`; else the session directory) and each `sandbox.writable` path
 *   are bound writable (`--bind`); `.git/hooks` and `.git/config` of the work tree stay read-only, so a
 *   command cannot plant a hook that later runs unconfined when the user runs git;
 * - `/tmp` is a private, empty tmpfs (nothing written there outlives the command or reaches the host);
 * - no network (`--unshare-net`: only a loopback of its own) unless `sandbox.network` is true;
 * - its own pid namespace (`--unshare-pid`) and session (`--new-session`, no terminal injection), and
 *   `--die-with-parent`: when bwrap or Spool dies (kill -9 included), every process of the sandbox dies,
 *   so killing bwrap's process group on abort or timeout takes every descendant with it, daemons too.
 *
 * Not confined: reading (every file the user can read stays readable, `~/.ssh` included), environment
 * variables (passed through), CPU/memory, and the network when `sandbox.network` is true. Without the
 * sandbox, `bash` is not confined at all and permissions are the control.
 */

/** Where a sandboxed command runs. All paths absolute. */
export interface SandboxSpec {
  /** The session directory (writable; the confinement root of the file tools). */
  directory: string
  /** The command's working directory (inside `directory`). */
  cwd: string
  network: boolean
  /** The work tree root, writable as a whole (default `directory`). */
  workTree?: string
  /** Extra writable paths (missing ones are skipped). */
  writable: string[]
}

/** The sandbox was asked for (`sandbox.enabled`) but cannot run here; the message says why and what to do. */
export class SandboxUnavailableError extends Error {
  override name = "SandboxUnavailableError"
}

/**
 * bwrap's options for `spec`, up to and including the `--` that ends them (append the command argv).
 * Pure: only `.git` of the work tree is looked at (is it a directory?).
 */
export function bwrapArguments(spec: SandboxSpec): string[] {
  const args = baseArguments(spec.network)
  // Each root as spelled and as it really is: the command's cwd may be either (file tools resolve to the
  // real path), and under the private /tmp only what is bound exists.
  const roots = [...new Set([writableWorkTree(spec), spec.directory].flatMap((root) => [path.resolve(root), realOrSelf(root)]))]
  for (const root of roots) args.push("--bind", root, root)
  for (const extra of spec.writable) args.push("--bind-try", path.resolve(extra), path.resolve(extra))
  for (const root of roots) {
    const git = path.join(root, ".git")
    if (!isDirectory(git)) continue
    for (const name of ["hooks", "config"]) args.push("--ro-bind-try", path.join(git, name), path.join(git, name))
  }
  args.push("--chdir", path.resolve(spec.cwd), "--")
  return args
}

/**
 * The argv that runs `command` (an argv, e.g. `["/bin/bash", "-c", "npm test"]`) inside the sandbox:
 * `[bwrap, ...bwrapArguments(spec), ...command]`.
 * @throws SandboxUnavailableError when bwrap is missing or cannot create its namespaces here (the
 *   message names the cause and the fix); the command must then not run at all.
 */
export async function sandboxedArgv(sandbox: ShellSandbox, spec: SandboxSpec, command: string[]): Promise<string[]> {
  const bwrap = sandbox.command ?? "bwrap"
  const availability = await probeSandbox(bwrap)
  if (!availability.ok) throw new SandboxUnavailableError(availability.message)
  return [bwrap, ...bwrapArguments(spec), ...command]
}

/** Result of `probeSandbox`. */
export type SandboxAvailability = { ok: true } | { ok: false; message: string }

const probes = new Map<string, Promise<SandboxAvailability>>()

/**
 * Whether `bwrap` (a command name or path) can run a sandbox with every namespace the tool uses, tested
 * once by running `true` in one; cached per command for the life of the process (restart Spool after
 * installing bubblewrap or enabling user namespaces). Never rejects.
 */
export function probeSandbox(bwrap = "bwrap"): Promise<SandboxAvailability> {
  let probe = probes.get(bwrap)
  if (!probe) {
    probe = runProbe(bwrap)
    probes.set(bwrap, probe)
  }
  return probe
}

const DISABLE = "or set `sandbox.enabled` to false in spool.json to run commands unconfined"

async function runProbe(bwrap: string): Promise<SandboxAvailability> {
  const args = [...baseArguments(false), "--", "true"]
  const outcome = await new Promise<{ code: number | null; stderr: string; error?: NodeJS.ErrnoException }>((resolve) => {
    let stderr = ""
    const child = spawn(bwrap, args, { stdio: ["ignore", "ignore", "pipe"] })
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    child.once("error", (error: NodeJS.ErrnoException) => resolve({ code: null, stderr, error }))
    child.once("close", (code) => resolve({ code, stderr }))
  })
  if (outcome.code === 0) return { ok: true }
  if (outcome.error?.code === "ENOENT") {
    return {
      ok: false,
      message: `The sandbox is enabled (sandbox.enabled) but bubblewrap (${bwrap}) is not installed, so the command was not run. Install it (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap; Arch: pacman -S bubblewrap), ${DISABLE}.`,
    }
  }
  const reason = (outcome.stderr.trim() || outcome.error?.message || `exit code ${outcome.code}`).split("\n")[0]
  return {
    ok: false,
    message: `The sandbox is enabled (sandbox.enabled) but bubblewrap cannot create its namespaces here (${reason}), so the command was not run. Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04+ kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap; in a container, run it with user namespaces allowed), ${DISABLE}.`,
  }
}

/**
 * The work tree when it is a sensible thing to make writable: an ancestor of the session directory that
 * is neither `/` nor the home directory (a dotfiles repository in `$HOME` must not open all of it);
 * otherwise the session directory.
 */
function writableWorkTree(spec: SandboxSpec): string {
  const directory = path.resolve(spec.directory)
  if (!spec.workTree) return directory
  const workTree = path.resolve(spec.workTree)
  const relative = path.relative(workTree, directory)
  const contains = relative === "" || (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  if (!contains || workTree === path.parse(workTree).root || workTree === path.resolve(homedir())) return directory
  return workTree
}

/** Namespaces and the read-only root with fresh /dev, /proc and /tmp: what every sandbox (and the probe) uses. */
function baseArguments(network: boolean): string[] {
  const args = ["--die-with-parent", "--new-session", "--unshare-pid"]
  if (!network) args.push("--unshare-net")
  args.push("--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp")
  return args
}

function realOrSelf(file: string): string {
  try {
    return realpathSync.native(file)
  } catch {
    return path.resolve(file)
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory()
  } catch {
    return false
  }
}
