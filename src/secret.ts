// The server secret that signs tokens in mail (one-click unsubscribe): MAILROOM_SECRET,
// or one generated at first start and kept in $MAILROOM_VAR_DIR/secret (mode 0600),
// shared by every process using that var dir. Never logged. Read once per process
// through services/index.ts (`services.secret()`), which hands it to the one-click
// unsubscribe routes and to delivery.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "./config/index.js";

export async function ensureSecret(config: Config): Promise<string> {
  if (config.secret) return config.secret;
  const path = join(config.varDir, "secret");
  try {
    const existing = (await readFile(path, "utf8")).trim();
    if (existing) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await mkdir(config.varDir, { recursive: true });
  await writeFile(path, randomBytes(32).toString("base64url") + "\n", { mode: 0o600, flag: "wx" }).catch((err) => {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  });
  return (await readFile(path, "utf8")).trim(); // another process may have won the race
}
