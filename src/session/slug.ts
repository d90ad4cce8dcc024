import { randomInt } from "node:crypto"

const ADJECTIVES = [
  "brave", "calm", "clever", "cosmic", "crisp", "eager", "gentle", "glad", "golden", "happy", "hidden", "jolly",
  "kind", "lucky", "mellow", "misty", "nimble", "proud", "quick", "quiet", "rapid", "shiny", "silent", "swift",
  "tidy", "vivid", "witty", "young", "zesty",
]
const NOUNS = [
  "badger", "cabin", "canyon", "comet", "eagle", "falcon", "forest", "garden", "harbor", "island", "lagoon",
  "lantern", "meadow", "moon", "orchid", "otter", "panda", "pixel", "planet", "river", "rocket", "squid",
  "star", "sun", "tiger", "valley", "wave", "willow", "wizard", "wolf", "nebula",
]

/** A random `adjective-noun` slug (29 × 31 combinations, collisions allowed, as OpenCode's). */
export function createSlug(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}`
}
