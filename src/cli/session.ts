import type { Command } from "commander"
import { resolve } from "node:path"
import { positiveIntegerOption, withApp } from "./util.ts"

/**
 * `spool session list|show|delete`: read and manage stored sessions without a server. Errors (an
 * unknown session id, a bad config file) end in one `error: …` line and exit code 1 (see `main.ts`).
 */
export function registerSession(program: Command) {
  const session = program.command("session").description("List, show and delete sessions")

  session
    .command("list")
    .description("Sessions of the project in --dir, newest first")
    .option("--dir <path>", "project directory", process.cwd())
    .option("-n, --limit <n>", "how many", positiveIntegerOption, "50")
    .option("--archived", "include archived sessions")
    .option("--json", "print JSON")
    .action((options: { dir: string; limit: string; archived?: boolean; json?: boolean }) =>
      withApp(options.dir, async (app) => {
        const page = await app.sessions.list({ directory: resolve(options.dir), limit: Number(options.limit), archived: options.archived })
        if (options.json) process.stdout.write(JSON.stringify(page.items, null, 2) + "\n")
        else {
          for (const info of page.items) {
            process.stdout.write(`${info.id}  ${new Date(info.time.updated).toISOString()}  $${(info.cost ?? 0).toFixed(4)}  ${info.title}\n`)
          }
        }
      }),
    )

  session
    .command("show")
    .description("A session's messages")
    .argument("<id>", "session id")
    .option("--json", "print JSON")
    .action((id: string, options: { json?: boolean }) =>
      withApp(process.cwd(), async (app) => {
        const info = await app.sessions.get(id)
        const { items } = await app.sessions.messages(id, {})
        if (options.json) process.stdout.write(JSON.stringify({ info, messages: items }, null, 2) + "\n")
        else {
          process.stdout.write(`${info.title}\n${info.directory}\n\n`)
          for (const message of items) {
            process.stdout.write(`[${message.info.role}]\n`)
            for (const part of message.parts) {
              if (part.type === "text") process.stdout.write(`${part.text}\n`)
              if (part.type === "tool") process.stdout.write(`  (${part.tool} ${part.state.status})\n`)
            }
          }
        }
      }),
    )

  session
    .command("delete")
    .description("Delete a session and its child sessions")
    .argument("<id>", "session id")
    .action((id: string) =>
      withApp(process.cwd(), async (app) => {
        await app.sessions.remove(id)
        process.stdout.write(`deleted ${id}\n`)
      }),
    )
}
