import picocolors from "picocolors"

/** Colour functions (picocolors'): `red("x")` is `x` in red, or just `x` when colour is off. */
export type Colors = ReturnType<typeof picocolors.createColors>

/**
 * Whether to colour what goes to `stream`, by the usual conventions (no-color.org, force-color.org):
 * `NO_COLOR` (non-empty) turns colour off; `FORCE_COLOR` (non-empty, not `0`/`false`) turns it on;
 * otherwise only on a terminal whose `TERM` is not `dumb`. Unlike picocolors' default, `CI` alone does
 * not turn it on: a log file gets no escape codes.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false
  if (env.FORCE_COLOR) return !["0", "false"].includes(env.FORCE_COLOR.toLowerCase())
  return stream.isTTY === true && env.TERM !== "dumb"
}

/** picocolors' functions for `stream` (see `colorEnabled`): `colorsFor(process.stderr).red("✗")`. */
export function colorsFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Colors {
  return picocolors.createColors(colorEnabled(stream, env))
}
