import { randomBytes } from "node:crypto"
import fs from "node:fs/promises"
import path from "node:path"

/** Prefix of the temporary files `writeFileAtomic` creates beside their target (excluded from snapshots). */
export const TEMP_PREFIX = ".spool-tmp-"

/**
 * Replaces a file's content atomically: writes a temporary file in the same directory, then renames it
 * over the target, so a concurrent reader sees the old bytes or the new ones, never a truncated file.
 * Keeps the target's permission bits. A symlink target is followed (its destination is replaced).
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const target = await fs.realpath(file).catch(() => file)
  const temp = path.join(path.dirname(target), `${TEMP_PREFIX}${randomBytes(6).toString("hex")}`)
  const mode = (await fs.stat(target).catch(() => undefined))?.mode
  try {
    await fs.writeFile(temp, content, mode === undefined ? undefined : { mode: mode & 0o7777 })
    await fs.rename(temp, target)
  } catch (error) {
    await fs.rm(temp, { force: true })
    throw error
  }
}
