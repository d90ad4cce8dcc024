/**
 * How many leading words name a command, so an `always` approval covers "the same command" and not
 * everything starting with its first word: `git status --short` → `git status`, `npm run dev` →
 * `npm run dev`, `ls -la` → `ls`. The longest listed prefix decides; unlisted commands are one word.
 * Flags are words too (as OpenCode's table is applied). Entries after OpenCode 1.18
 * `permission/arity.ts` (a subset of the common ones).
 */
const ARITY: Record<string, number> = {
  aws: 3,
  az: 3,
  bun: 2,
  "bun run": 3,
  "bun x": 3,
  cargo: 2,
  "cargo add": 3,
  "cargo run": 3,
  composer: 2,
  deno: 2,
  "deno task": 3,
  docker: 2,
  "docker compose": 3,
  "docker container": 3,
  "docker image": 3,
  "docker network": 3,
  "docker volume": 3,
  gcloud: 3,
  gh: 3,
  git: 2,
  "git config": 3,
  "git remote": 3,
  "git stash": 3,
  go: 2,
  gradle: 2,
  helm: 2,
  kubectl: 2,
  make: 2,
  mvn: 2,
  npm: 2,
  "npm exec": 3,
  "npm init": 3,
  "npm run": 3,
  "npm view": 3,
  npx: 2,
  pip: 2,
  pip3: 2,
  pnpm: 2,
  "pnpm dlx": 3,
  "pnpm exec": 3,
  "pnpm run": 3,
  poetry: 2,
  python: 2,
  python3: 2,
  rustup: 2,
  swift: 2,
  systemctl: 2,
  terraform: 2,
  uv: 2,
  "uv run": 3,
  yarn: 2,
  "yarn dlx": 3,
  "yarn run": 3,
}

/** The words naming the command (see `ARITY`); `[]` for no words. */
export function commandPrefix(words: string[]): string[] {
  for (let length = words.length; length > 0; length--) {
    const arity = ARITY[words.slice(0, length).join(" ")]
    if (arity !== undefined) return words.slice(0, arity)
  }
  return words.slice(0, 1)
}
