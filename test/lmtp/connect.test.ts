// LMTP connections are cheap (issue 13): the greeting goes out at once (no
// early-talker wait) and no reverse DNS lookup is made unless configured, in which
// case the client's name is looked up and logged. node's dns.reverse is replaced by
// a spy, so "no lookup" is observed, not inferred from timing.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import dns from "node:dns";
import net from "node:net";
import { Writable } from "node:stream";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { LmtpClient } from "../helpers/lmtp-client.js";
import { createList, message, startLmtp, testConfig } from "./fixtures.js";
import { createLmtpServer } from "../../src/lmtp/server.js";
import { createServices } from "../../src/services/index.js";
import { createLogger } from "../../src/log.js";
import { NO_MAPS } from "../../src/mta/updater.js";

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase();
  await createList(t.db, "mylist@example.com");
});
after(async () => { await t.close(); });

/** Milliseconds from connect() to the 220 line. */
async function greetingMs(port: number): Promise<number> {
  const t0 = performance.now();
  const c = await LmtpClient.connect(port);
  const ms = performance.now() - t0;
  assert.equal(c.greeting.code, 220);
  await c.quit();
  return ms;
}

test("the greeting goes out at once and no reverse DNS lookup is made (default configuration)", async (tt) => {
  const reverse = tt.mock.method(dns, "reverse", (_ip: string, cb: (err: Error | null, names: string[]) => void) => cb(null, ["never.example"]));
  const { lmtp, port } = await startLmtp(t.db);
  try {
    await greetingMs(port); // warm-up
    const times: number[] = [];
    for (let i = 0; i < 7; i++) times.push(await greetingMs(port));
    times.sort((a, b) => a - b);
    // smtp-server's own init waited 100 ms on every connection; what is left is a loopback
    // round trip (a few ms; the bound leaves room for a busy shared machine).
    assert.ok(times[3]! < 50, `median time to the greeting ${times[3]!.toFixed(1)} ms (all: ${times.map((x) => x.toFixed(1))})`);
    assert.equal(reverse.mock.callCount(), 0, "dns.reverse was called");
  } finally {
    await lmtp.close();
  }
});

test("a client that talks before the greeting is served, not told it talks too soon", async () => {
  const { lmtp, port } = await startLmtp(t.db);
  try {
    const socket = net.connect(port, "127.0.0.1");
    socket.write("LHLO early.example.org\r\n"); // in the same turn as connect: before any greeting
    let text = "";
    socket.setEncoding("latin1");
    await new Promise<void>((resolve, reject) => {
      socket.on("data", (d: string) => { text += d; if (/^250 /m.test(text)) resolve(); });
      socket.on("error", reject);
      setTimeout(() => reject(new Error(`no LHLO reply; got ${JSON.stringify(text)}`)), 5000).unref();
    });
    assert.match(text, /^220 .*mailroom/);
    assert.doesNotMatch(text, /too soon/);
    socket.end("QUIT\r\n");
  } finally {
    await lmtp.close();
  }
});

test("QUIT: the 221 arrives, then the server closes the connection at once, also for a client that leaves first", async () => {
  const { lmtp, port } = await startLmtp(t.db);
  try {
    // A client that waits: it gets the 221, then the server's end of the stream (no half-open wait).
    const socket = net.connect(port, "127.0.0.1");
    socket.setEncoding("latin1");
    let text = "";
    let quit = false;
    const ended = new Promise<void>((resolve, reject) => {
      socket.on("data", (d: string) => {
        text += d;
        if (!quit && /^220 /m.test(text)) { quit = true; socket.write("QUIT\r\n"); }
      });
      socket.on("end", resolve);
      socket.on("error", reject);
      setTimeout(() => reject(new Error(`not closed; got ${JSON.stringify(text)}`)), 5000).unref();
    });
    const t0 = performance.now();
    await ended;
    assert.match(text, /^221 2\.0\.0 Bye\r\n/m);
    assert.ok(performance.now() - t0 < 1000, "closed by the server at once");
    socket.destroy();
    // A client that closes as soon as it has sent QUIT (smtp-source does): the server
    // takes it in its stride and goes on serving.
    for (let i = 0; i < 20; i++) {
      const s = net.connect(port, "127.0.0.1");
      await new Promise<void>((resolve) => s.once("data", () => resolve()));
      s.end("QUIT\r\n");
      s.destroy();
    }
    const c = await LmtpClient.connect(port);
    assert.equal(c.greeting.code, 220);
    await c.quit();
  } finally {
    await lmtp.close();
  }
});

test("MAILROOM_LMTP_REVERSE_DNS=on: the client's name is looked up and logged, and mail still flows", async (tt) => {
  const reverse = tt.mock.method(dns, "reverse", (_ip: string, cb: (err: Error | null, names: string[]) => void) => cb(null, ["mta.example.test"]));
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
  const log = createLogger("info", sink);
  const config = testConfig({ MAILROOM_LMTP_REVERSE_DNS: "on" });
  const lmtp = createLmtpServer({ services: createServices({ db: t.db, config, log, maps: NO_MAPS }), config, log });
  const port = await lmtp.listen("127.0.0.1", 0);
  try {
    const c = await LmtpClient.connect(port);
    await c.command("LHLO remote.example.org");
    const r = await c.send("anne@example.org", ["mylist@example.com"], message({ From: "anne@example.org", To: "mylist@example.com", Subject: "Hi" }));
    assert.equal(r.final[0]?.code, 250);
    await c.quit();
    assert.deepEqual(reverse.mock.calls.map((call) => call.arguments[0]), ["127.0.0.1"]);
    const seen = lines.find((l) => l.msg === "LMTP connection");
    assert.ok(seen, "a log line for the connection");
    assert.equal(seen.client, "mta.example.test");
    assert.equal(seen.address, "127.0.0.1");
  } finally {
    await lmtp.close();
  }
});

test("MAILROOM_LMTP_REVERSE_DNS takes on/off and refuses anything else", () => {
  assert.equal(testConfig().lmtp.reverseDns, false);
  assert.equal(testConfig({ MAILROOM_LMTP_REVERSE_DNS: "on" }).lmtp.reverseDns, true);
  assert.equal(testConfig({ MAILROOM_LMTP_REVERSE_DNS: "off" }).lmtp.reverseDns, false);
  assert.throws(() => testConfig({ MAILROOM_LMTP_REVERSE_DNS: "maybe" }), /on or off/);
});
