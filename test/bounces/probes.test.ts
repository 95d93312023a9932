// Mailman's VERP probes end to end (verp_probes): a real `mailroom serve` child, bounces
// in over LMTP, the probe caught by an smtp-server sink. A bounce that reaches the
// threshold sends a probe with a unique VERP return path instead of disabling; an
// auto-reply to it changes nothing; the probe's own bounce (a DSN the real Postfix
// wrote) disables the member.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startE2eStack, type E2eStack } from "../helpers/e2e-stack.js";
import type { SinkMessage } from "../helpers/smtp-sink.js";
import { waitFor } from "../helpers/wait.js";

let stack: E2eStack;
const api = (method: string, path: string, body?: unknown) => stack.api(method, path, body);
const postfixDsn = (to: string) => readFileSync(new URL("../fixtures/bounces/mta/postfix-550-user-unknown.eml", import.meta.url), "utf8")
  .replaceAll("anne@mx.example.org", "hal@example.org").replaceAll("dev-bounces@lists.example.com", to);

before(async () => {
  // A busy shared machine can take most of a minute to start the child.
  stack = await startE2eStack({ timeoutMs: 90_000 });
  assert.equal((await api("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await api("POST", "/lists", { address: "dev@example.com", bounceScoreThreshold: 1, verpProbes: true })).status, 201);
  assert.equal((await api("POST", "/lists/dev.example.com/members", { address: "owner@example.com", role: "owner" })).status, 201);
  assert.equal((await api("POST", "/lists/dev.example.com/members", { address: "hal@example.org" })).status, 201);
});

after(async () => {
  await stack?.close();
});

const record = async () => (await api("GET", "/lists/dev.example.com/members/hal@example.org/bounces")).body;

it("a probe confirms the disable: only its bounce turns delivery off", async () => {
  assert.equal((await api("GET", "/lists/dev.example.com")).body.verpProbes, true);
  await stack.lmtp("", "dev-bounces+hal=example.org@example.com", postfixDsn("dev-bounces+hal=example.org@example.com"));
  const probe: SinkMessage = await waitFor("the probe", async () =>
    stack.sink.messages.find((m) => m.rcptTo.includes("hal@example.org") && /probe message/.test(m.raw.toString())) ?? null);
  const token = /^dev-bounces\+([0-9a-f]{32})@example\.com$/.exec(probe.mailFrom)?.[1];
  assert.ok(token, `probe return path ${probe.mailFrom}`);
  assert.match(probe.raw.toString(), /Content-Type: message\/rfc822/, "the bounce that triggered it is attached");
  let r = await record();
  assert.equal(r.deliveryStatus, "enabled", "not disabled before the probe bounces");
  assert.equal(r.bounceScore, 0);

  // A vacation notice answering the probe's return path is not the probe bouncing.
  await stack.lmtp("", probe.mailFrom, ["From: hal@example.org", `To: ${probe.mailFrom}`, "Subject: Out of office", "Auto-Submitted: auto-replied", "", "Back on Monday.", ""].join("\n"));
  await stack.settled(["bounces"], 30_000);
  assert.equal((await record()).deliveryStatus, "enabled");

  await stack.lmtp("", probe.mailFrom, postfixDsn(probe.mailFrom));
  r = await waitFor("delivery disabled by the probe's bounce", async () => {
    const b = await record();
    return b.deliveryStatus === "by_bounces" ? b : null;
  });
  assert.equal(r.events[0].context, "probe");
  await waitFor("the owners told", async () => stack.sink.messages.find((m) => m.rcptTo.includes("owner@example.com") && /disabled on Dev by bounces/.test(m.raw.toString())) ?? null);
  await waitFor("the member warned", async () => stack.sink.messages.find((m) => m.rcptTo.includes("hal@example.org") && /is on hold/.test(m.raw.toString())) ?? null);
});
