import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmptyServerDatabase } from "/work/main/test/helpers/db.js";
import { adminRequest, startServer } from "/work/main/test/helpers/server-process.js";
import { smtpSource } from "/work/main/bench/smtp-source.js";
const mode = process.argv[2] ?? "550";
const n = Number(process.argv[3] ?? 10000);
const prof = process.argv[4] === "prof";
const scratch = await createEmptyServerDatabase();
const varDir = mkdtempSync(join(tmpdir(), "p550-"));
const argv = ["node", ...(prof ? ["--cpu-prof", "--cpu-prof-dir=/tmp/p550/prof"] : []), "dist/main.js", "serve"];
const server = await startServer({ argv, varDir, timeoutMs: 60000, env: { DATABASE_URL: scratch.url, MAILROOM_SECRET: "bench", MAILROOM_WORKERS: "0", MAILROOM_SMTP_PORT: "2" } });
await adminRequest(server.httpPort, "POST", "/domains", { mailHost: "example.com" });
await adminRequest(server.httpPort, "POST", "/lists", { address: "bench@example.com" });
await adminRequest(server.httpPort, "POST", "/lists/bench@example.com/members", { address: "anne@example.org" });
await smtpSource(server.lmtpPort, "anne@example.org", ["-A", "-t", "nolist@example.com", "-s", "10", "-m", "1000"]);
for (let i = 0; i < 3; i++) {
  const to = mode === "550" ? "nolist@example.com" : "bench@example.com";
  const r = await smtpSource(server.lmtpPort, "anne@example.org", ["-A", "-t", to, "-s", "10", "-m", String(n)]);
  console.log(mode, (n / r.seconds).toFixed(0), "/s");
}
await server.stop();
await scratch.drop();
