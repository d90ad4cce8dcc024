#!/usr/bin/env node
import { Command } from "commander"
import { createRequire } from "node:module"
import { printError } from "./util.ts"
import { registerRun } from "./run.ts"
import { registerServe } from "./serve.ts"
import { registerSession } from "./session.ts"
import { registerChanges } from "./changes.ts"
import { registerDoctor } from "./doctor.ts"
import { registerStats } from "./stats.ts"

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string }

const program = new Command()
  .name("spool")
  .description("Spool: a session engine for AI coding agents, wire-compatible with OpenCode's session API")
  .version(version)
registerServe(program)
registerRun(program)
registerSession(program)
registerChanges(program)
registerDoctor(program)
registerStats(program)
try {
  await program.parseAsync(process.argv)
} catch (error) {
  // A bad config file, a port in use, an unknown session…: one line, not a stack trace.
  printError(error)
  process.exit(1)
}
