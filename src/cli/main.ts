#!/usr/bin/env node
import { Command } from "commander"
import { VERSION } from "../app.ts"
import { registerRun } from "./run.ts"
import { registerServe } from "./serve.ts"
import { registerSession } from "./session.ts"

const program = new Command()
  .name("spool")
  .description("Spool: a session engine for AI coding agents, wire-compatible with OpenCode's session API")
  .version(VERSION)
registerServe(program)
registerRun(program)
registerSession(program)
await program.parseAsync(process.argv)
