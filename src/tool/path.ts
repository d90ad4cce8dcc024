import { realpathSync } from "node:fs"
import fs from "node:fs/promises"
import path from "node:path"

/** Symlink hops followed while resolving one path before giving up (Linux uses 40 too). */
const MAX_LINK_HOPS = 40

/**
 * Resolves `input` (absolute, or relative to `directory`) to where it really is on disk, and checks that
 * this location lies inside the real location of `directory`.
 *
 * Contract:
 * - Returns the REAL location (`realLocation`): symlinks are resolved for the part of the path that
 *   exists, the missing tail (a file about to be created) is appended to the real path of its nearest
 *   existing parent, and a dangling symlink is followed to where it points. The check is made on exactly
 *   the path returned, so a caller that uses the returned path acts where the check looked: swapping a
 *   symlink on the way after the check cannot redirect it (no check-then-use race through a symlink).
 *   What stays possible is replacing a real directory on the returned path by a symlink after the check;
 *   closing that needs `openat2(RESOLVE_BENEATH)`, which Node does not expose.
 * - So `../x`, `/etc/passwd`, a symlink pointing outside and a new file under such a symlink are all
 *   refused; names that merely start with two dots (`..foo`, `...`) are ordinary names and allowed.
 * - Throws `Error("Path <abs> is outside the session directory <directory>")` when outside (`<abs>` is the
 *   lexical path the caller asked for).
 * - Throws the underlying fs error when `directory` itself cannot be resolved.
 * Show the result to people with `displayPath(directory, result)`, which is relative to `directory` even
 * when `directory` is itself reached through a symlink.
 */
export async function resolveInside(directory: string, input: string): Promise<string> {
  const root = path.resolve(directory)
  const absolute = path.resolve(root, input)
  const realRoot = await fs.realpath(root)
  const real = await realLocation(absolute, 0)
  if (!isWithin(realRoot, real)) {
    throw new Error(`Path ${absolute} is outside the session directory ${root}`)
  }
  return real
}

/**
 * True when `child` is `parent` or lies below it (both absolute, normalised; compared lexically).
 * Only a first segment that is exactly `..` leaves `parent`: `..foo` and `...` are names inside it.
 */
export function isWithin(parent: string, child: string): boolean {
  return isInsideRelative(path.relative(parent, child))
}

function isInsideRelative(relative: string): boolean {
  if (path.isAbsolute(relative)) return false
  return relative !== ".." && !relative.startsWith(`..${path.sep}`)
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

/**
 * The short label OpenCode shows for a path: relative to the session directory, `/`-separated, `.` for
 * the directory itself. `absolute` may be lexical or real (as `resolveInside` returns it): when it is not
 * below `directory` as spelled, it is made relative to the directory's real location instead.
 */
export function displayPath(directory: string, absolute: string): string {
  const root = path.resolve(directory)
  let relative = path.relative(root, absolute)
  if (!isInsideRelative(relative)) {
    try {
      const real = path.relative(realpathSync.native(root), absolute)
      if (isInsideRelative(real)) relative = real
    } catch {
      // the directory is gone: keep the lexical label
    }
  }
  if (relative === "") return "."
  return relative.split(path.sep).join("/")
}
