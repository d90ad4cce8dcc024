/**
 * Builds the production bundle in `dist/`: `npm start`, `npm run bench` and the `spool` bin (when the
 * bundle is fresh, see `bin/spool.js`) run `dist/spool.js` instead of the TypeScript sources.
 *
 *   node scripts/bundle.ts              # build (~2 s)
 *   node scripts/bundle.ts --if-stale   # build only if a bundled source changed (`npm start` does this)
 *
 * Why: a server started from the sources loads ~650 ES modules (Kysely alone is 257 files, zod ~100)
 * and strips the TypeScript of ~150; Node's module loader spends most of the start-up time on that.
 * Bundled, the same code starts in about half the time with ~30 MiB less memory. `node src/cli/main.ts`
 * keeps working for development and is what the tests run.
 *
 * Layout: each build goes to its own directory `dist/<build>/` (ES modules, hashed chunk names), so a
 * running server, which loads some chunks only when first needed, never sees its files replaced by a
 * later build; the 3 newest builds are kept. In a build directory:
 * - `spool.js`: the CLI (`src/cli/main.ts`); every command loads its code on demand (chunks);
 * - `sdk-ai.js`, `sdk-anthropic.js`, `sdk-openai.js`, `sdk-openai-compatible.js`: the AI SDK
 *   packages, which `src/provider/sdk.ts` loads on first use in a bundle (`SPOOL_BUNDLE` is defined
 *   as `true` here). Bundled rather than left in node_modules so they share the bundle's zod.
 * In `dist/`, written last and atomically (rename):
 * - `package.json`: `type: module` and Spool's version (what the code reads from `../package.json`);
 * - `spool.js`: imports the current build's `spool.js`;
 * - `manifest.json`: the current build and the size and mtime of every bundled file of this checkout
 *   and of package.json and package-lock.json, for the freshness check.
 * Left external: Node built-ins and `better-sqlite3` (a native addon).
 */
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)))
const DIST = join(ROOT, "dist")
const MANIFEST = join(DIST, "manifest.json")

/** Files whose change makes the bundle stale besides the bundled sources (dependencies, version). */
const ALWAYS_TRACKED = ["package.json", "package-lock.json"]
/** Build directories kept (older ones are deleted): servers started from them may still be running. */
const KEEP_BUILDS = 3
const BUILD_DIR = /^b[0-9a-z]+$/

/** The current build, and `[size, mtimeMs]` of each tracked file by path relative to the checkout. */
type Manifest = { build: string; files: Record<string, [number, number]> }

/** Whether `dist/` holds a bundle built from the current files (the rule `bin/spool.js` applies). */
export function bundleIsFresh(): boolean {
  try {
    const manifest = JSON.parse(readFileSync(MANIFEST, "utf8")) as Manifest
    for (const [file, [size, mtimeMs]] of Object.entries(manifest.files)) {
      const stat = statSync(join(ROOT, file))
      if (stat.size !== size || stat.mtimeMs !== mtimeMs) return false
    }
    return Object.keys(manifest.files).length > 0
  } catch {
    return false
  }
}

/** Builds a new `dist/<build>/` and makes it current; returns the bundled source files of this checkout. */
export async function bundle(): Promise<string[]> {
  // Loaded here, not at the top: `--if-stale` with a fresh bundle must work without devDependencies.
  const { build } = await import("rolldown")
  const started = Date.now()
  const id = `b${started.toString(36)}`
  const result = await build({
    cwd: ROOT,
    input: {
      spool: "src/cli/main.ts",
      "sdk-ai": "ai",
      "sdk-anthropic": "@ai-sdk/anthropic",
      "sdk-openai": "@ai-sdk/openai",
      "sdk-openai-compatible": "@ai-sdk/openai-compatible",
    },
    platform: "node",
    external: ["better-sqlite3", /^node:/, ...builtinModules],
    // ES module builds first: jsonc-parser's `main` is a UMD build with a dynamic require().
    resolve: { mainFields: ["module", "main"] },
    transform: { define: { SPOOL_BUNDLE: "true" } },
    preserveEntrySignatures: "strict",
    logLevel: "warn",
    output: { dir: join(DIST, id), format: "esm", entryFileNames: "[name].js", chunkFileNames: "[name]-[hash].js", sourcemap: true },
  })
  const sources = new Set<string>()
  for (const output of result.output) {
    if (output.type !== "chunk") continue
    for (const module of output.moduleIds) {
      if (!module.startsWith(ROOT + sep) || module.includes(`${sep}node_modules${sep}`)) continue
      sources.add(relative(ROOT, module).split(sep).join("/"))
    }
  }
  const files: Manifest["files"] = {}
  for (const file of [...ALWAYS_TRACKED, ...[...sources].sort()]) {
    const stat = statSync(join(ROOT, file))
    // Changed while bundling: the bundle may hold the old text, so the next check must find it stale.
    files[file] = [stat.size, stat.mtimeMs >= started ? -1 : stat.mtimeMs]
  }
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }
  writeAtomically("package.json", `${JSON.stringify({ private: true, type: "module", version })}\n`)
  writeAtomically("spool.js", `// Generated by scripts/bundle.ts: runs the current build.\nawait import("./${id}/spool.js")\n`)
  writeAtomically("manifest.json", `${JSON.stringify({ build: id, files } satisfies Manifest)}\n`)
  const builds = readdirSync(DIST).filter((name) => BUILD_DIR.test(name) && name !== id).sort()
  for (const old of builds.slice(0, Math.max(0, builds.length - (KEEP_BUILDS - 1)))) rmSync(join(DIST, old), { recursive: true, force: true })
  return [...sources]
}

function writeAtomically(name: string, text: string) {
  const file = join(DIST, name)
  writeFileSync(`${file}.tmp`, text)
  renameSync(`${file}.tmp`, file)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { "if-stale": { type: "boolean", default: false } } })
  if (values["if-stale"] && bundleIsFresh()) process.exit(0)
  const started = performance.now()
  const sources = await bundle()
  const { build } = JSON.parse(readFileSync(MANIFEST, "utf8")) as Manifest
  process.stderr.write(`bundled ${sources.length} source files into ${relative(process.cwd(), join(DIST, build))}/ in ${Math.round(performance.now() - started)} ms\n`)
}
