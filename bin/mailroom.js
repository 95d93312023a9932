#!/usr/bin/env node
// `npx mailroom …`: runs the compiled JavaScript in dist/ (built by `npm ci`, see
// tsconfig.build.json) when it is at least as new as every source file, else the
// TypeScript sources through tsx. Why the check: a dist/ older than a source edit
// would silently run old code; tsx costs start time and memory, never correctness.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const compiled = join(root, "dist", "main.js");

/** Newest modification time of any file under dir (src/ holds a few hundred files: milliseconds). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (existsSync(compiled) && statSync(compiled).mtimeMs >= newest(join(root, "src"))) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/main.ts");
}
