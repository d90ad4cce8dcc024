import type { Command } from "commander"
import { positiveIntegerOption, withApp } from "./util.ts"

/** `spool search "<query>"`: sessions whose title or messages match, with where they matched. */
export function registerSearch(program: Command) {
  program
    .command("search")
    .description("Search session titles and message content (all projects)")
    .argument("<query...>", "words to find (all of them; the last one as a prefix)")
    .option("-n, --limit <n>", "how many sessions", positiveIntegerOption, "20")
    .option("--archived", "include archived sessions")
    .option("--json", "print JSON")
    .action((words: string[], options: { limit: string; archived?: boolean; json?: boolean }) =>
      withApp(process.cwd(), async (app) => {
        const page = await app.sessions.list({ directory: process.cwd(), allProjects: true, search: words.join(" "), limit: Number(options.limit), archived: options.archived })
        if (options.json) {
          process.stdout.write(JSON.stringify(page.items, null, 2) + "\n")
          return
        }
        if (page.items.length === 0) process.stdout.write("no matches\n")
        for (const info of page.items) {
          process.stdout.write(`${info.id}  ${new Date(info.time.updated).toISOString().slice(0, 10)}  ${info.title}\n`)
          if (info.match?.field === "content") process.stdout.write(`    ${info.match.snippet?.replace(/\s+/g, " ")}  (${info.match.messageID})\n`)
          process.stdout.write(`    ${info.directory}\n`)
        }
      }),
    )
}
