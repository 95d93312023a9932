// The list stage's shared reads (src/pipeline/list-reads.ts): posts asking together
// share the statements, but a list whose footer is a URL that does not answer holds
// up only its own posts, not another list's asking at the same time.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { quietLog } from "./db-helpers.js";
import { createListReads } from "../../src/pipeline/list-reads.js";
import { createTemplateLoader, DEFAULT_TEMPLATE_SETTINGS } from "../../src/services/template-loader.js";

let t: TestDatabase;
let silent: Server;
before(async () => {
  t = await createTestDatabase();
  // Takes the request and never answers it.
  silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
});
after(async () => {
  silent.closeAllConnections();
  silent.close();
  await t.close();
});

it("a list whose footer URL hangs holds up its own posts only", async () => {
  const d = await t.db.prisma.domain.create({ data: { mailHost: "example.com" } });
  for (const n of ["a", "b"]) {
    await t.db.prisma.mailingList.create({ data: { listName: n, mailHost: "example.com", listId: `${n}.example.com`, domainId: d.id, displayName: n, subjectPrefix: "" } as never });
  }
  const port = (silent.address() as AddressInfo).port;
  await t.db.prisma.template.create({ data: { scope: "list", scopeKey: "a.example.com", name: "list:member:regular:footer", uri: `http://127.0.0.1:${port}/footer` } });
  const loader = createTemplateLoader({ config: { templates: { ...DEFAULT_TEMPLATE_SETTINGS, fetchTimeoutMs: 3000 } }, log: quietLog });
  const read = createListReads(t.db, () => loader);

  const started = Date.now();
  const a = read("a.example.com", ["x@example.com"]).then(() => Date.now() - started, () => Date.now() - started);
  const b = await read("b.example.com", ["y@example.com"]); // asked in the same turn: one batch with a
  const waited = Date.now() - started;
  assert.equal(b?.list.listId, "b.example.com");
  assert.ok(waited < 2500, `list b's post waited ${waited} ms for list a's footer`);
  // List a's post is answered once its footer's fetch gave up (the loader's timeout).
  assert.ok(await a >= 2500, `list a's post was answered after ${await a} ms, before its footer's fetch timed out`);
});
