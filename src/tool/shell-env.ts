import path from "node:path"

/** What `shellEnvironment` needs besides the environment itself. */
export interface ShellEnvironmentOptions {
  /**
   * Spool's install directory (the package root). `PATH` entries inside its `node_modules` (the `.bin`
   * npm scripts and `npx` put first, the pinned Node's own `bin`) and the `node_modules/.bin` of each of
   * its ancestors (npm adds those too) are removed.
   */
  spoolRoot: string
  /** Variable names passed through even though they are Spool's (config `shell.passEnv`), e.g. `ANTHROPIC_API_KEY`. */
  pass?: readonly string[]
  /**
   * Secret values Spool uses (API keys from config, possibly interpolated from `{env:NAME}`): any
   * variable holding exactly one of them is removed too.
   */
  secrets?: readonly string[]
}

/** Variables that hold Spool's own credentials: the built-in providers' keys and the server's login. */
const SECRET_NAMES = new Set(["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENCODE_SERVER_PASSWORD", "OPENCODE_SERVER_USERNAME"])

/**
 * Variables npm sets for a script besides `npm_*` (npm 10/11 `run-script`: `INIT_CWD`, `NODE` = npm's
 * node, `COLOR`); removed only when the environment is an npm script's (`npm_lifecycle_event` or
 * `npm_execpath` set), since a user may set them on purpose otherwise.
 */
const NPM_SCRIPT_NAMES = ["INIT_CWD", "NODE", "COLOR"]

/** npm's helper directory it puts on a script's `PATH` (`@npmcli/run-script`). */
const NODE_GYP_BIN = `${path.sep}@npmcli${path.sep}run-script${path.sep}lib${path.sep}node-gyp-bin`

/**
 * The environment the agent's shell commands run in: the user's, not Spool's (issue 9). From `env`
 * (the server's environment) it removes:
 * - `PATH` entries Spool's launch added: anything inside `<spoolRoot>/node_modules` (its `.bin`, so
 *   `node` is no longer Spool's pinned Node 24 but whatever the user has), `<ancestor>/node_modules/.bin`
 *   for each ancestor of `spoolRoot`, and npm's `node-gyp-bin`;
 * - npm's script variables: every `npm_*` (any case), and `INIT_CWD`, `NODE`, `COLOR` under an npm script;
 * - Spool's secrets: every `SPOOL_*` (the server password, config path, model, …), `ANTHROPIC_API_KEY`,
 *   `OPENAI_API_KEY`, `OPENCODE_SERVER_PASSWORD`/`_USERNAME`, and any variable whose value is one of
 *   `secrets`;
 * except the names listed in `pass`, which are kept as they are. `NODE_OPTIONS` is kept: Spool's npm
 * scripts do not set it, so it is the user's. Variables with an `undefined` value are dropped.
 * Computed once at the composition root (and again when config reloads); pure.
 */
export function shellEnvironment(env: NodeJS.ProcessEnv, options: ShellEnvironmentOptions): Record<string, string> {
  const pass = new Set(options.pass ?? [])
  const secrets = new Set((options.secrets ?? []).filter((value) => value.length > 0))
  const npmScript = env.npm_lifecycle_event !== undefined || env.npm_execpath !== undefined
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue
    if (pass.has(name)) {
      result[name] = value
      continue
    }
    if (/^npm_/i.test(name)) continue
    if (npmScript && NPM_SCRIPT_NAMES.includes(name)) continue
    if (name.startsWith("SPOOL_") || SECRET_NAMES.has(name) || secrets.has(value)) continue
    result[name] = name === "PATH" ? userPath(value, options.spoolRoot) : value
  }
  return result
}

/** `PATH` without the entries Spool's launch (npm, npx) put there; see `shellEnvironment`. */
export function userPath(value: string, spoolRoot: string): string {
  const root = path.resolve(spoolRoot)
  const ownModules = path.join(root, "node_modules")
  const ancestorBins = new Set<string>()
  for (let dir = root; ; dir = path.dirname(dir)) {
    ancestorBins.add(path.join(dir, "node_modules", ".bin"))
    if (path.dirname(dir) === dir) break
  }
  return value
    .split(path.delimiter)
    .filter((entry) => {
      if (entry === "") return true
      const resolved = path.resolve(entry)
      if (resolved === ownModules || resolved.startsWith(ownModules + path.sep)) return false
      if (ancestorBins.has(resolved)) return false
      return !resolved.endsWith(NODE_GYP_BIN)
    })
    .join(path.delimiter)
}
