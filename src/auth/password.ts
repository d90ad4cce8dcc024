import { createHash, timingSafeEqual } from "node:crypto"

/** Checks HTTP Basic credentials against the server password (and, when pinned, the username). */
export type PasswordCheck = (username: string, password: string) => boolean

/**
 * The Basic-auth check of `spool serve --password` / `SPOOL_SERVER_PASSWORD` / `OPENCODE_SERVER_PASSWORD`.
 * Any username is accepted unless `username` pins one (`SPOOL_SERVER_USERNAME`, or OpenCode's
 * `OPENCODE_SERVER_USERNAME`; OpenCode 1.18 itself requires `opencode` by default, and its clients send
 * that). Both sides are compared as SHA-256 digests with `timingSafeEqual`: fixed length, constant time,
 * so neither the password's length nor a matching prefix leaks through timing.
 */
export function createPasswordCheck(password: string, username?: string): PasswordCheck {
  const expectedPassword = digest(password)
  const expectedUsername = username === undefined ? undefined : digest(username)
  return (givenUsername, givenPassword) => {
    // Both comparisons always run, so a wrong username costs the same as a wrong password.
    const passwordMatches = timingSafeEqual(digest(givenPassword), expectedPassword)
    const usernameMatches = expectedUsername === undefined || timingSafeEqual(digest(givenUsername), expectedUsername)
    return passwordMatches && usernameMatches
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest()
}
