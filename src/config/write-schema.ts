/**
 * `npm run schema`: writes `schema/spool.schema.json` from the zod config schema.
 * `node src/config/write-schema.ts --check` only compares and exits 1 when the file is stale.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { CONFIG_SCHEMA_FILE, configJsonSchemaText } from "./json-schema.ts"

const text = configJsonSchemaText()
if (process.argv.includes("--check")) {
  let current = ""
  try {
    current = readFileSync(CONFIG_SCHEMA_FILE, "utf8")
  } catch {}
  if (current !== text) {
    process.stderr.write(`${CONFIG_SCHEMA_FILE} is stale; run npm run schema\n`)
    process.exit(1)
  }
} else {
  writeFileSync(CONFIG_SCHEMA_FILE, text)
  process.stdout.write(`wrote ${CONFIG_SCHEMA_FILE}\n`)
}
