#!/usr/bin/env node
// First, before anything else is loaded: the compile cache (see bin/spool.js; a no-op when it is on).
// Everything else is imported afterwards, dynamically, so that it is cached too.
import module from "node:module"
import { readFileSync } from "node:fs"

module.enableCompileCache?.()

const [{ Command }, { printError, guardBrokenPipes }, { registerServe }] = await Promise.all([import("commander"), import("./util.ts"), import("./serve.ts")])
// `spool session list | head`: output to a reader that went away is dropped, not a crash.
guardBrokenPipes()
// `spool serve` loads only the serve command (start-up time); anything else registers every command.
const registerOthers =
  process.argv[2] === "serve"
    ? []
    : await Promise.all([
        import("./run.ts").then((command) => command.registerRun),
        import("./session.ts").then((command) => command.registerSession),
        import("./changes.ts").then((command) => command.registerChanges),
        import("./doctor.ts").then((command) => command.registerDoctor),
        import("./stats.ts").then((command) => command.registerStats),
        import("./import.ts").then((command) => command.registerImport),
        import("./search.ts").then((command) => command.registerSearch),
        import("./export.ts").then((command) => command.registerExport),
        import("./token.ts").then((command) => command.registerToken),
      ])

// The nearest package.json: Spool's own, from the sources and from the bundle (dist/) alike.
const { version } = JSON.parse(readFileSync(module.findPackageJSON(import.meta.url)!, "utf8")) as { version: string }

const program = new Command()
  .name("spool")
  .description("Spool: a session engine for AI coding agents, wire-compatible with OpenCode's session API")
  .version(version)
registerServe(program)
for (const register of registerOthers) register(program)
// A server must outlive a bug that leaves a promise rejection unhandled: logged with a reference, not fatal.
if (process.argv[2] === "serve") (await import("../util/unhandled-rejection.ts")).keepServingOnUnhandledRejection()
try {
  await program.parseAsync(process.argv)
} catch (error) {
  // A bad config file, a port in use, an unknown session…: one line, not a stack trace.
  printError(error)
  process.exit(1)
}
