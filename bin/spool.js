#!/usr/bin/env node
// Entry point for the `spool` bin: Node >= 22.18 runs the TypeScript sources directly (type stripping).
await import("../src/cli/main.ts")
