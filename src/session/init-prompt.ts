/**
 * The prompt of `POST /session/:id/init` (OpenCode's built-in `init` command, spec 4.3): an ordinary
 * agent turn that creates or improves the project's `AGENTS.md`.
 */
export const INIT_PROMPT = `Create or improve the AGENTS.md file at the root of this project. It is read at the start of every agent session, so it must be short and worth its tokens.

1. Look around first: README, package manifests and lock files, build and test scripts, CI configuration, existing rule files (AGENTS.md, CLAUDE.md, .cursorrules, .github/copilot-instructions.md).
2. Write down only what an engineer new to the repository would not guess: the exact commands to build, test (including a single test), lint and run; the architecture in a few lines (where things live, which way dependencies point); conventions that are enforced; traps (generated files, required services, environment variables).
3. If AGENTS.md exists, keep what is still true, fix what is wrong, remove what is obvious. Do not invent facts: verify commands by reading the scripts.
4. Keep it under about 150 lines of Markdown.

When done, reply with a two-line summary of what you changed.`
