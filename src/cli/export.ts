import type { Command } from "commander"
import { writeFile } from "node:fs/promises"
import { NotFoundError } from "../util/named-error.ts"
import { sessionIDFrom, withApp } from "./util.ts"

/** `spool export <session>`: OpenCode's export JSON (`{info, messages: [{info, parts}], todos}`). */
export function registerExport(program: Command) {
  program
    .command("export")
    .description("Write a session as OpenCode export JSON (readable by `opencode import` and `spool import --from opencode`)")
    .argument("<session>", "session id, unique id prefix or slug")
    .option("-o, --output <file>", "write to a file instead of stdout")
    .action((sessionID: string, options: { output?: string }) =>
      withApp(process.cwd(), async (app) => {
        const { exportSession, formatExport } = await import("../importer/export.ts")
        const data = await exportSession(app.db, await sessionIDFrom(app, sessionID))
        if (!data) throw new NotFoundError({ message: `Session not found: ${sessionID}` })
        if (options.output) await writeFile(options.output, formatExport(data))
        else process.stdout.write(formatExport(data))
      }),
    )
}
