#!/usr/bin/env node
// Entry point for the `spool` bin. Runs the production bundle (dist/spool.js, built by
// `npm run build`) when it was built from the current files, else the TypeScript sources directly
// (Node >= 22.18 strips the types). The compile cache (os.tmpdir()/node-compile-cache, or
// $NODE_COMPILE_CACHE) keeps compiled (and type-stripped) modules between runs.
// Keep this file parseable by old Node (18, 20): the version check below must run before anything fails.
import { readFileSync, statSync } from "node:fs"
import module from "node:module"

/** The oldest Node that runs Spool: 22.18 strips TypeScript types without a flag (package.json `engines`). */
const REQUIRED = [22, 18]
const [major, minor] = process.versions.node.split(".").map(Number)
if (major < REQUIRED[0] || (major === REQUIRED[0] && minor < REQUIRED[1])) {
  process.stderr.write(`error: Spool needs Node.js ${REQUIRED.join(".")} or newer; this is Node.js ${process.versions.node} (${process.execPath})\n`)
  process.exit(1)
}

module.enableCompileCache?.()

const root = new URL("../", import.meta.url)

/** The rule of `bundleIsFresh` in scripts/bundle.ts: every tracked file still has its size and mtime. */
function bundleIsFresh() {
  try {
    const { files } = JSON.parse(readFileSync(new URL("dist/manifest.json", root), "utf8"))
    for (const [file, [size, mtimeMs]] of Object.entries(files)) {
      const stat = statSync(new URL(file, root))
      if (stat.size !== size || stat.mtimeMs !== mtimeMs) return false
    }
    return Object.keys(files).length > 0
  } catch {
    return false
  }
}

await import(bundleIsFresh() ? "../dist/spool.js" : "../src/cli/main.ts")
