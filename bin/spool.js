#!/usr/bin/env node
// Entry point for the `spool` bin. Runs the production bundle (dist/spool.js, built by
// `npm run build`) when it was built from the current files, else the TypeScript sources directly
// (Node >= 22.18 strips the types). The compile cache (os.tmpdir()/node-compile-cache, or
// $NODE_COMPILE_CACHE) keeps compiled (and type-stripped) modules between runs.
import { readFileSync, statSync } from "node:fs"
import module from "node:module"

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
