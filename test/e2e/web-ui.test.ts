// Debian's Postorius and HyperKitty (python3-django-postorius, python3-django-hyperkitty)
// run against a real mailroom: Django serves the site (test/web-ui/serve.py, SQLite in
// a temp dir) and takes mailroom's archive jobs; a superuser's visit of every Postorius
// page runs through Django's test client (test/web-ui/site.py). Then posts over LMTP
// reach HyperKitty and the members' copies carry the Archived-At HyperKitty reports,
// and with HyperKitty stopped posts are still delivered and their archive jobs wait,
// arriving once it is back, each once. Fails (never skips) when Django cannot start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { childDatabaseUrl } from "../helpers/db.js";
import { adminRequest, startServer, TEST_ADMIN_PASSWORD } from "../helpers/server-process.js";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";
import { LmtpClient } from "../helpers/lmtp-client.js";
import { waitFor } from "../helpers/wait.js";

const WEB_UI = fileURLToPath(new URL("../web-ui/", import.meta.url));
// Debian's Django packages are installed for Debian's interpreter, not any other python3 on PATH.
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const ARCHIVER_KEY = "web-ui-test-archiver-key";
const DOMAIN = "web.example.com";
const LIST = `team@${DOMAIN}`;

interface Django {
  child: ChildProcess;
  port: number;
  /** Every archive POST this process answered: its post's Message-ID and the status (serve.py's lines). */
  archivePosts: { messageId: string; status: number }[];
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Starts serve.py; resolves once it has bound its port (it is ready later: `ready`). */
function startDjango(env: Record<string, string>, args: string[], sink: string[]): Promise<Django> {
  const child = spawn(PYTHON, ["-u", join(WEB_UI, "serve.py"), ...args], {
    cwd: WEB_UI, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"],
  });
  const archivePosts: Django["archivePosts"] = [];
  let resolvePort: (n: number) => void;
  let resolveReady: () => void;
  const port = new Promise<number>((r) => { resolvePort = r; });
  const ready = new Promise<void>((r) => { resolveReady = r; });
  child.stderr!.on("data", (d) => { sink.push(String(d)); });
  createInterface({ input: child.stdout! }).on("line", (text) => {
    let line: Record<string, unknown>;
    try { line = JSON.parse(text); } catch { sink.push(text + "\n"); return; }
    if (typeof line.port === "number") resolvePort(line.port);
    if (line.ready) resolveReady();
    if (typeof line.archive === "number") archivePosts.push({ messageId: String(line.messageId), status: line.archive });
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    child.once("error", reject); // python3 missing: the test fails, never skips
    exited.then(() => reject(new Error(`serve.py exited (${child.exitCode}):\n${sink.join("").slice(-4000)}`)));
  });
  failed.catch(() => {});
  const stop = async () => { if (child.exitCode === null && child.signalCode === null) { child.kill("SIGTERM"); await exited; } };
  return Promise.race([port, failed]).then((p) => ({
    child, port: p, archivePosts, stop,
    ready: Promise.race([ready, failed]),
  }));
}

function runSite(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(PYTHON, ["-u", join(WEB_UI, "site.py")], { cwd: WEB_UI, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

async function post(lmtpPort: number, from: string, subject: string, msgid: string) {
  const raw = `From: ${from}\r\nTo: ${LIST}\r\nSubject: ${subject}\r\nMessage-ID: <${msgid}>\r\n`
    + `Date: Thu, 03 Dec 2026 12:00:00 +0000\r\n\r\n${subject}: hello.\r\n`;
  const lmtp = await LmtpClient.connect(lmtpPort);
  try {
    await lmtp.command("LHLO web-ui.test");
    const r = await lmtp.send(from, [LIST], raw);
    assert.deepEqual(r.final.map((f) => f.code), [250], `LMTP took <${msgid}>`);
  } finally {
    await lmtp.quit();
  }
}

/** One header of a message as sent (unfolded), or null. */
function header(raw: Buffer, name: string): string | null {
  const head = raw.toString("latin1").split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, " ");
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(name.toLowerCase() + ":"));
  return line === undefined ? null : line.slice(name.length + 1).trim();
}

/** The copy of the post with this Message-ID that reached `rcpt` at the sink. */
async function copyAt(sink: SmtpSink, rcpt: string, msgid: string) {
  return waitFor(`${rcpt}'s copy of <${msgid}>`, async () => {
    for (const m of sink.messages) {
      if (!m.rcptTo.includes(rcpt) || !m.raw.includes(`<${msgid}>`)) continue;
      return m.raw;
    }
    return null;
  }, 30_000, 100);
}

test("Debian's Postorius and HyperKitty run on mailroom", { timeout: 240_000 }, async (t) => {
  const started = Date.now();
  const webDir = mkdtempSync(join(tmpdir(), "mailroom-web-ui-"));
  t.after(() => rmSync(webDir, { recursive: true, force: true }));
  const sink = await startSmtpSink();
  t.after(() => sink.close());
  const log: string[] = [];
  const djangoEnv = {
    WEBUI_DIR: webDir,
    MAILMAN_REST_API_USER: "admin",
    MAILMAN_REST_API_PASS: TEST_ADMIN_PASSWORD,
    MAILMAN_ARCHIVER_KEY: ARCHIVER_KEY,
    WEBUI_ADMIN: "admin",
    WEBUI_ADMIN_PASSWORD: "web-ui-admin-password",
    WEBUI_DOMAIN: DOMAIN,
  };
  // Django binds first (mailroom needs HyperKitty's URL), then migrates while mailroom starts.
  let django = await startDjango(djangoEnv, ["--init"], log);
  t.after(() => django.stop());
  const hyperkitty = `http://127.0.0.1:${django.port}/hyperkitty/`;
  const server = await startServer({
    env: {
      DATABASE_URL: await childDatabaseUrl(t),
      MAILROOM_SMTP_HOST: "127.0.0.1",
      MAILROOM_SMTP_PORT: String(sink.port),
      MAILROOM_HYPERKITTY_URL: hyperkitty,
      MAILROOM_HYPERKITTY_API_KEY: ARCHIVER_KEY,
      MAILROOM_ARCHIVE_RETRY_MAX: "2",
    },
    timeoutMs: 120_000, // a fresh embedded database migrates first; the CPU is shared
  });
  t.after(() => server.stop());
  const restUrl = `http://127.0.0.1:${server.httpPort}`;
  django.child.stdin!.end(restUrl + "\n");
  await django.ready;
  t.diagnostic(`Django and mailroom up in ${Date.now() - started} ms`);

  // The superuser's visit of every page (site.py's unittest report goes to the log).
  const visit = await runSite({
    ...djangoEnv, MAILMAN_REST_API_URL: restUrl, MAILROOM_HTTP: restUrl, MAILROOM_LMTP_PORT: String(server.lmtpPort),
  });
  process.stdout.write(visit.output);
  assert.equal(visit.code, 0, `site.py failed:\n${visit.output.slice(-6000)}\n${log.join("").slice(-3000)}`);

  // HyperKitty's answers, read as a visitor and as mailroom (the archiver key).
  const hk = (path: string) => fetch(new URL(path, hyperkitty), { headers: { authorization: `Token ${ARCHIVER_KEY}` } });
  const permalinkOf = async (msgid: string) => {
    const res = await hk(`api/mailman/urls?mlist=${encodeURIComponent(LIST)}&msgid=${encodeURIComponent(msgid)}`);
    assert.equal(res.status, 200);
    return ((await res.json()) as { url: string }).url;
  };
  // HyperKitty's URLs name the list's web host (its Django Site, the domain here); the page is read from this server.
  const archived = async (msgid: string) => {
    const res = await fetch(new URL(new URL(await permalinkOf(msgid)).pathname, hyperkitty));
    await res.arrayBuffer();
    return res.status === 200;
  };

  // A post reaches HyperKitty, and the member's copy carries HyperKitty's permalink.
  const postedAt = Date.now();
  await post(server.lmtpPort, "anne@example.org", "Archived post", "archived-1@web-ui.test");
  await waitFor("the post in HyperKitty", () => archived("archived-1@web-ui.test"), 30_000, 100);
  t.diagnostic(`a post appeared in HyperKitty ${Date.now() - postedAt} ms after its LMTP 250`);
  const copy = await copyAt(sink, "dora@example.org", "archived-1@web-ui.test");
  const permalink = await permalinkOf("archived-1@web-ui.test");
  assert.equal(header(copy, "Archived-At"), `<${permalink}>`);
  assert.match(header(copy, "List-Archive") ?? "", new RegExp(`/hyperkitty/list/${LIST}/>`));
  // Each post is POSTed once (posts accepted from the held queue earlier are archived too, in their own time).
  const postsOf = (d: Django, id: string) => d.archivePosts.filter((p) => p.messageId === id).map((p) => p.status);
  // (The page can answer a moment before serve.py's line about the POST arrives.)
  await waitFor("the archive POST's line", async () => postsOf(django, "archived-1@web-ui.test").length > 0, 10_000);
  assert.deepEqual(postsOf(django, "archived-1@web-ui.test"), [200], "one archive POST for one post");
  // Stop HyperKitty only once mailroom has HyperKitty's answer: HyperKitty stores the post
  // before its 200 is on the wire, and a job whose answer never came is (rightly) tried
  // again, which HyperKitty takes as the same message.
  const archiveQueue = async () => ((await adminRequest(server.httpPort, "GET", "/queues")).body.items as { name: string; depth: number }[])
    .find((q) => q.name === "archive")?.depth;
  await waitFor("the archive job settled", async () => (await archiveQueue()) === 0, 30_000, 100);
  assert.deepEqual(postsOf(django, "archived-1@web-ui.test"), [200], "still one archive POST once its job is done");

  // Fault: HyperKitty stopped. Posts still reach members; their archive jobs wait.
  await django.stop();
  const down = ["down-1@web-ui.test", "down-2@web-ui.test", "down-3@web-ui.test"];
  for (const [i, id] of down.entries()) await post(server.lmtpPort, "anne@example.org", `While down ${i}`, id);
  for (const id of down) await copyAt(sink, "dora@example.org", id);
  await new Promise((r) => setTimeout(r, 3_000)); // a few tries fail meanwhile (retry max 2 s)
  assert.ok(server.logs.some((l) => l.level === 40 && /HyperKitty/.test(String(l.msg))), "mailroom saw HyperKitty down and kept the jobs");

  // HyperKitty back on the same port: every waiting post arrives, each once.
  const before = log.length;
  django = await startDjango({ ...djangoEnv, MAILMAN_REST_API_URL: restUrl }, ["--port", String(django.port)], log);
  await django.ready.catch((err) => { throw new Error(`${err}\n${log.slice(before).join("")}`); });
  const back = Date.now();
  for (const id of down) await waitFor(`${id} in HyperKitty`, () => archived(id), 60_000, 200);
  t.diagnostic(`the 3 waiting posts were in HyperKitty ${Date.now() - back} ms after it came back`);
  await new Promise((r) => setTimeout(r, 4_000)); // time for a duplicate try to show up
  // Archived once each: one 200. A try HyperKitty failed (a 500: SQLite busy under three
  // concurrent POSTs) stored nothing and is retried; the diagnostic shows why it failed.
  for (const id of down) {
    const statuses = postsOf(django, id);
    assert.deepEqual(statuses.filter((s) => s === 200), [200], `${id}: archived once after the restart (${statuses})`);
    assert.equal(statuses.at(-1), 200, `${id}: nothing after the 200`);
    const why = [...new Set(log.slice(before).join("").split("\n").filter((l) => /^\w+(\.\w+)*Error: /.test(l)))];
    if (statuses.length > 1) t.diagnostic(`${id}: tries ${statuses}; HyperKitty's errors: ${why.join(" | ")}`);
  }
  assert.deepEqual(postsOf(django, "archived-1@web-ui.test"), [], "the post archived before is not sent again");
  t.diagnostic(`whole test ${Date.now() - started} ms`);
});
