// The REST API's admin password: MAILROOM_ADMIN_PASSWORD, or one generated at first
// start and kept in $MAILROOM_VAR_DIR/admin-password (mode 0600). Only its path is logged.
// Called by main.ts when `serve` starts; the REST API's Basic auth (api/auth.ts) checks it.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "./config/index.js";
import type { Logger } from "./log.js";

export async function ensureAdminPassword(config: Config, log: Logger): Promise<string> {
  if (config.admin.password) return config.admin.password;
  const path = join(config.varDir, "admin-password");
  try {
    const existing = (await readFile(path, "utf8")).trim();
    if (existing) {
      log.info({ path, user: config.admin.user }, "admin password read from file");
      return existing;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await mkdir(config.varDir, { recursive: true });
  const password = randomBytes(18).toString("base64url");
  await writeFile(path, password + "\n", { mode: 0o600, flag: "wx" }).catch(async (err) => {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  });
  const stored = (await readFile(path, "utf8")).trim(); // another process may have won the race
  log.info({ path, user: config.admin.user }, "admin password generated");
  return stored;
}
