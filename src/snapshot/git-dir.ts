import { execFile } from "node:child_process"

/** Output of one git command run against a snapshot git dir. */
export interface GitOutput {
  code: number
  stdout: Buffer
  stderr: string
}

/**
 * Runs git against a private git dir and a work tree, never the user's own repository: `GIT_DIR` and
 * `GIT_WORK_TREE` are set explicitly, inherited `GIT_*` variables (from hooks, or a parent git) are
 * dropped, and line endings, quoting and symlinks are pinned (as OpenCode's snapshot module does).
 */
export function runGit(
  gitDir: string,
  workTree: string,
  args: string[],
  options: { input?: string | Buffer; cwd?: string; maxBuffer?: number } = {},
): Promise<GitOutput> {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("GIT_")) env[key] = value
  env.GIT_DIR = gitDir
  env.GIT_WORK_TREE = workTree
  env.GIT_CONFIG_NOSYSTEM = "1"
  env.GIT_TERMINAL_PROMPT = "0"
  const config = ["-c", "core.autocrlf=false", "-c", "core.quotepath=false", "-c", "core.symlinks=true", "-c", "core.longpaths=true"]
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      [...config, ...args],
      { cwd: options.cwd ?? workTree, env, encoding: "buffer", maxBuffer: options.maxBuffer ?? 512 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof (error as NodeJS.ErrnoException).code === "string") return reject(error)
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString("utf8") })
      },
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
  })
}

/** Like `runGit`, but throws with git's stderr on a non-zero exit. */
export async function runGitOk(gitDir: string, workTree: string, args: string[], options?: Parameters<typeof runGit>[3]): Promise<Buffer> {
  const result = await runGit(gitDir, workTree, args, options)
  if (result.code !== 0) throw new Error(`git ${args[0]} failed (${result.code}): ${result.stderr.trim()}`)
  return result.stdout
}

/** Splits NUL-separated git output into entries. */
export function splitNul(output: Buffer): string[] {
  return output.toString("utf8").split("\0").filter((entry) => entry !== "")
}

/** `:(top,literal)` pathspecs for a list of repository-relative paths, NUL-separated for `--pathspec-from-file`. */
export function literalPathspecs(paths: string[]): string {
  return paths.map((path) => `:(top,literal)${path}`).join("\0")
}
