// Overload (issue 13): posts offered faster than the server delivers them, the way
// Postfix does when it has a backlog (10 clients, a new LMTP connection per post). The
// queues must grow, then drain; every accepted post reaches every member exactly once.
// bench/overload.ts runs the same for minutes at twice the sustainable rate and
// measures memory; this is the short version that CI runs.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startE2eStack, type E2eStack } from "../helpers/e2e-stack.js";
import { RawMessage } from "../../src/domain/raw-message.js";

const MEMBERS = ["anne@example.com", "bob@example.org", "carl@example.net"];
const CLIENTS = 10;
const POSTS_PER_CLIENT = 20;
let stack: E2eStack;

before(async () => {
  stack = await startE2eStack({ timeoutMs: 120_000 });
  assert.equal((await stack.api("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await stack.api("POST", "/lists", { address: "busy@example.com" })).status, 201);
  for (const m of MEMBERS) assert.equal((await stack.api("POST", "/lists/busy.example.com/members", { address: m })).status, 201);
});

after(async () => {
  await stack?.close();
});

describe("overload", () => {
  it("queues grow while posts stream in, then drain; every copy arrives exactly once", async () => {
    let peak = 0;
    let sending = true;
    const sampler = (async () => {
      while (sending) {
        const q = (await stack.api("GET", "/queues")).body.items as { name: string; depth: number }[];
        peak = Math.max(peak, q.filter((x) => x.name === "list" || x.name === "out").reduce((n, x) => n + x.depth, 0));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; i < POSTS_PER_CLIENT; i++) {
        const id = `<load-${c}-${i}@example.com>`;
        await stack.lmtp("anne@example.com", "busy@example.com",
          `From: anne@example.com\nTo: busy@example.com\nSubject: load ${c}-${i}\nMessage-ID: ${id}\n\nPost ${c}-${i}.\n`);
      }
    }));
    sending = false;
    await sampler;
    assert.ok(peak > 0, "the queues never held a backlog: this was not an overload");

    await stack.settled(["list", "out"], 180_000);
    const posts = CLIENTS * POSTS_PER_CLIENT;
    const seen = new Map<string, number>();
    for (const m of stack.sink.messages) {
      const id = RawMessage.parse(m.raw).get("Message-ID") ?? "";
      for (const r of m.rcptTo) seen.set(`${id} ${r.toLowerCase()}`, (seen.get(`${id} ${r.toLowerCase()}`) ?? 0) + 1);
    }
    const twice = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
    assert.deepEqual(twice, [], "copies sent twice");
    assert.equal(seen.size, posts * MEMBERS.length, "every post reached every member");
    const shunted = (await stack.api("GET", "/queues")).body.items.find((x: { name: string }) => x.name === "shunt");
    assert.equal(shunted.depth, 0);
  });
});
