import { existsSync, readFileSync } from "node:fs"
import { homedir } from "node:os"
import { dirname, isAbsolute, join, resolve } from "node:path"
import { parse, printParseErrorCode, type ParseError } from "jsonc-parser"
import { z } from "zod"
import { NamedError } from "../util/named-error.ts"
import { configDirectory } from "./paths.ts"
import { Config } from "./schema.ts"

/** A config file that is not valid JSONC or does not match the schema. */
export const ConfigInvalidError = NamedError.create(
  "ConfigInvalidError",
  z.object({ path: z.string(), message: z.string() }),
)

const FILE_NAMES = ["spool.json", "spool.jsonc"]

/**
 * Substitutes `{env:VAR}` (the variable, or "" when unset) and `{file:path}` (the file's trimmed
 * content, JSON-string-escaped; `~/` expands to home, relative paths resolve against the config file's
 * directory) in the raw text, as OpenCode's `config/variable.ts` (spec 10.2).
 * @throws ConfigInvalidError for a `{file:…}` that cannot be read.
 */
export function substitute(text: string, path: string, env: NodeJS.ProcessEnv): string {
  return text
    .replace(/\{env:([^}]+)\}/g, (_, name: string) => env[name] ?? "")
    .replace(/\{file:([^}]+)\}/g, (_, reference: string) => {
      const target = reference.startsWith("~/") ? join(homedir(), reference.slice(2)) : isAbsolute(reference) ? reference : resolve(dirname(path), reference)
      try {
        return JSON.stringify(readFileSync(target, "utf8").trim()).slice(1, -1)
      } catch {
        throw new ConfigInvalidError({ path, message: `bad file reference {file:${reference}}: ${target} cannot be read` })
      }
    })
}

/** Reads, substitutes and validates one config file. @throws ConfigInvalidError */
export function readConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Config {
  const errors: ParseError[] = []
  const value = parse(substitute(readFileSync(path, "utf8"), path, env), errors, { allowTrailingComma: true })
  if (errors.length > 0) {
    const first = errors[0]
    throw new ConfigInvalidError({ path, message: `${printParseErrorCode(first.error)} at offset ${first.offset}` })
  }
  const result = Config.safeParse(value)
  if (!result.success) {
    throw new ConfigInvalidError({ path, message: z.prettifyError(result.error) })
  }
  return result.data
}

/**
 * Loads the effective config: the global file (`~/.config/spool/spool.json[c]`), then the project file
 * in `directory`, then `$SPOOL_CONFIG` when set; later files override earlier ones key by key
 * (providers merged per id).
 * @throws ConfigInvalidError for the first invalid file.
 */
export function loadConfig(directory: string, env: NodeJS.ProcessEnv = process.env): Config {
  const files = [
    ...FILE_NAMES.map((name) => join(configDirectory(env), name)),
    ...FILE_NAMES.map((name) => join(directory, name)),
    ...(env.SPOOL_CONFIG ? [env.SPOOL_CONFIG] : []),
  ].filter((path) => existsSync(path))
  let merged: Config = {}
  for (const file of files) {
    const next = readConfigFile(file, env)
    merged = { ...merged, ...next, provider: { ...merged.provider, ...next.provider } }
  }
  return merged
}
