import fs from "node:fs/promises"
import path from "node:path"

/** Symlink hops followed while resolving one path before giving up (Linux uses 40 too). */
const MAX_LINK_HOPS = 40

/**
 * Resolves `input` (absolute, or relative to `directory`) and checks that it stays inside `directory`.
 *
 * Contract:
 * - Returns the lexically normalised absolute path (`path.resolve(directory, input)`), i.e. the path the
 *   caller asked for, spelled under `directory`; symlinks are NOT replaced in the returned path.
 * - The check is done on the real location: symlinks are resolved for the part of the path that exists,
 *   the missing tail (a file about to be created) is appended to the real path of its nearest existing
 *   parent, and a dangling symlink is followed to where it points. So `../x`, `/etc/passwd`, a symlink
 *   pointing outside and a new file under such a symlink are all refused.
 * - Throws `Error("Path <abs> is outside the session directory <directory>")` when outside.
 * - Throws the underlying fs error when `directory` itself cannot be resolved.
 */
export async function resolveInside(directory: string, input: string): Promise<string> {
  const root = path.resolve(directory)
  const absolute = path.resolve(root, input)
  const realRoot = await fs.realpath(root)
  const real = await realLocation(absolute, 0)
  if (!isWithin(realRoot, real)) {
    throw new Error(`Path ${absolute} is outside the session directory ${root}`)
  }
  return absolute
}

/** True when `child` is `parent` or lies below it (both absolute, normalised). */
export function isWithin(parent: string, child: string): boolean {
  const relative = path.relative(parent, child)
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative))
}

/**
 * Where `absolute` really is on disk: `realpath` for an existing path, otherwise the real path of the
 * nearest existing ancestor joined with the missing tail; dangling symlinks are followed to their target.
 */
export async function realLocation(absolute: string, hops: number): Promise<string> {
  if (hops > MAX_LINK_HOPS) throw new Error(`Too many levels of symbolic links: ${absolute}`)
  try {
    return await fs.realpath(absolute)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== "ENOENT" && code !== "ENOTDIR") throw error
  }
  const stat = await fs.lstat(absolute).catch(() => undefined)
  if (stat?.isSymbolicLink()) {
    const target = await fs.readlink(absolute)
    return realLocation(path.resolve(path.dirname(absolute), target), hops + 1)
  }
  const parent = path.dirname(absolute)
  if (parent === absolute) return absolute
  return path.join(await realLocation(parent, hops), path.basename(absolute))
}

/** The short label OpenCode shows for a path: relative to the session directory, `/`-separated. */
export function displayPath(directory: string, absolute: string): string {
  const relative = path.relative(path.resolve(directory), absolute)
  if (relative === "") return "."
  return relative.split(path.sep).join("/")
}
