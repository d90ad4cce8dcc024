import type { Command } from "commander"
import type { FileDiff } from "../session/index.ts"
import { sessionIDFrom, withApp } from "./util.ts"

/**
 * `spool diff|revert|unrevert`: a session's file changes and their undo, without a server (the same
 * rules as `GET /session/:id/diff`, `POST /revert`, `POST /unrevert`).
 */
export function registerChanges(program: Command) {
  program
    .command("diff")
    .description("Show the files a session changed (unified diff)")
    .argument("<session>", "session id, unique id prefix or slug")
    .option("-m, --message <id>", "only the turn of this message")
    .option("--stat", "only file names and line counts")
    .option("--json", "print FileDiff[] as JSON")
    .action((sessionID: string, options: { message?: string; stat?: boolean; json?: boolean }) =>
      withApp(process.cwd(), async (app) => {
        const diffs = await app.reverter.diff(await sessionIDFrom(app, sessionID), options.message)
        if (options.json) process.stdout.write(JSON.stringify(diffs, null, 2) + "\n")
        else if (options.stat) printStat(diffs)
        else for (const diff of diffs) process.stdout.write(diff.patch || `Binary or empty change: ${diff.file}\n`)
      }),
    )

  program
    .command("revert")
    .description("Restore the files changed at and after a message; the messages are dropped at the next prompt")
    .argument("<session>", "session id, unique id prefix or slug")
    .argument("<message>", "message id (a user message reverts its whole turn)")
    .option("--part <id>", "revert from this part of an assistant message on")
    .option("-f, --force", "also overwrite files someone changed after the agent")
    .action((sessionID: string, messageID: string, options: { part?: string; force?: boolean }) =>
      withApp(process.cwd(), async (app) => {
        const session = await app.reverter.revert(await sessionIDFrom(app, sessionID), { messageID, partID: options.part, force: options.force })
        const revert = session.revert!
        process.stdout.write(`reverted ${revert.files?.length ?? 0} file(s)${revert.files?.length ? ": " + revert.files.join(", ") : ""}\n`)
        if (revert.conflicts?.length) {
          process.stderr.write(`left alone (changed after the agent; use --force to overwrite): ${revert.conflicts.join(", ")}\n`)
        }
      }),
    )

  program
    .command("unrevert")
    .description("Put back exactly the files the last revert restored")
    .argument("<session>", "session id, unique id prefix or slug")
    .option("-f, --force", "overwrite files edited since the revert")
    .action((reference: string, options: { force?: boolean }) =>
      withApp(process.cwd(), async (app) => {
        const sessionID = await sessionIDFrom(app, reference)
        const before = await app.sessions.get(sessionID)
        if (!before.revert) {
          process.stdout.write("nothing to unrevert\n")
          return
        }
        await app.reverter.unrevert(sessionID, { force: options.force })
        process.stdout.write(`restored ${before.revert.files?.length ?? 0} file(s)\n`)
      }),
    )
}

function printStat(diffs: FileDiff[]) {
  for (const diff of diffs) process.stdout.write(`${diff.status ?? "modified"}\t+${diff.additions}\t-${diff.deletions}\t${diff.file}\n`)
  const additions = diffs.reduce((sum, diff) => sum + diff.additions, 0)
  const deletions = diffs.reduce((sum, diff) => sum + diff.deletions, 0)
  process.stdout.write(`${diffs.length} file(s), +${additions} -${deletions}\n`)
}
