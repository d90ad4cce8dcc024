import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
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

/** Reads and validates one config file. @throws ConfigInvalidError */
export function readConfigFile(path: string): Config {
  const errors: ParseError[] = []
  const value = parse(readFileSync(path, "utf8"), errors, { allowTrailingComma: true })
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
    const next = readConfigFile(file)
    merged = { ...merged, ...next, provider: { ...merged.provider, ...next.provider } }
  }
  return merged
}
