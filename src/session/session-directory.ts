import { realpathSync, statSync } from "node:fs"
import { homedir } from "node:os"
import { resolve } from "node:path"
import { BadRequestError } from "../util/named-error.ts"

/**
 * Checks a client-chosen session directory (`?directory=` / `x-opencode-directory` on `POST /session`, or
 * the server's working directory when the client names none) before a session is created in it.
 *
 * Rules (issue 8, "Confinement"): the directory must exist and be a directory; the filesystem root `/`
 * and the server user's home directory (`os.homedir()`) are refused, also when reached through a
 * symlink or spelled with `..`, because the file tools confine the agent to the session directory and
 * those two would confine it to nothing.
 *
 * Returns the directory as given, resolved to an absolute path (symlinks kept, as stored on the session).
 * @throws BadRequestError (400) naming the directory and the reason.
 */
export function checkSessionDirectory(directory: string, home: string = homedir()): string {
  const absolute = resolve(directory)
  const stat = statOf(absolute)
  if (!stat) throw new BadRequestError({ message: `Directory does not exist: ${absolute}` })
  if (!stat.isDirectory()) throw new BadRequestError({ message: `Not a directory: ${absolute}` })
  const real = realOf(absolute)
  if (real === "/") {
    throw new BadRequestError({
      message: `Refusing to use the filesystem root (${absolute}) as a session directory: the agent's file tools would reach every file. Open a project directory instead (?directory= or x-opencode-directory).`,
    })
  }
  if (home && real === realOf(resolve(home))) {
    throw new BadRequestError({
      message: `Refusing to use the home directory (${absolute}) as a session directory: the agent's file tools would reach every file in it (keys, shell profiles). Open a project directory instead (?directory= or x-opencode-directory).`,
    })
  }
  return absolute
}

/** True when `path` exists and is a directory (symlinks followed). */
export function directoryExists(path: string): boolean {
  return statOf(path)?.isDirectory() ?? false
}

function statOf(path: string) {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}

function realOf(path: string): string {
  try {
    return realpathSync.native(path)
  } catch {
    return path
  }
}
