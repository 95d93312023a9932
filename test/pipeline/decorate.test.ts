// domain/decorate.ts: how header and footer are added to each kind of body, the
// placeholders, and that the result is still a well-formed MIME message.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { simpleParser } from "mailparser";
import { decorate, interpolate, placeholders, type DecorationSettings } from "../../src/domain/decorate.js";
import { RawMessage } from "../../src/domain/raw-message.js";
import { fixture } from "./helpers.js";

const list: DecorationSettings = {
  listName: "test", mailHost: "example.com", listId: "test.example.com", displayName: "Test",
  description: "A list", msgHeader: "Header for $display_name", msgFooter: "-- \nFooter ${listname} für $user_address",
};

describe("decorate", () => {
  it("returns the same bytes when there is nothing to add", () => {
    const raw = fixture("plain-text");
    assert.equal(decorate(raw, { ...list, msgHeader: "", msgFooter: "  " }), raw);
  });

  it("plain text: inline, relabelled utf-8 for a non-ASCII footer, DKIM removed", async () => {
    const out = decorate(fixture("plain-text"), list);
    const m = RawMessage.parse(out);
    assert.equal(m.get("Content-Type"), 'text/plain; charset="utf-8"');
    assert.equal(m.has("DKIM-Signature"), false);
    const parsed = await simpleParser(out);
    assert.equal(parsed.text, "Header for Test\nHello list,\nthis is plain text.\n-- \nFooter test@example.com für $user_address\n");
  });

  it("fills member placeholders in personalised mode", async () => {
    const parsed = await simpleParser(decorate(fixture("bare-lf"), list, { address: "m@x.org", displayName: "M" }));
    assert.match(parsed.text ?? "", /für m@x.org/);
  });

  it("keeps bare-LF line endings", () => {
    const out = decorate(fixture("bare-lf"), list).toString("latin1");
    assert.equal(out.includes("\r"), false);
  });

  it("multipart/mixed: header first part, footer last part, attachment intact", async () => {
    const parsed = await simpleParser(decorate(fixture("multipart-mixed"), list));
    assert.equal(parsed.attachments.length, 1);
    assert.deepEqual([...parsed.attachments[0]!.content], [0, 1, 2, 3, 4]);
    const text = parsed.text ?? "";
    assert.ok(text.indexOf("Header for Test") < text.indexOf("Body text.") && text.indexOf("Body text.") < text.indexOf("Footer"), text);
  });

  for (const name of ["html-base64", "multipart-signed", "latin1-text"]) {
    it(`${name}: wrapped in multipart/mixed, original part byte for byte`, async () => {
      const raw = fixture(name);
      const out = decorate(raw, list);
      const m = RawMessage.parse(out);
      assert.match(m.get("Content-Type")!, /^multipart\/mixed; boundary=/);
      assert.ok(out.includes(RawMessage.parse(raw).body), "original body kept");
      const parsed = await simpleParser(out);
      assert.match(parsed.text ?? "", /Header for Test/);
      assert.match(parsed.text ?? "", /Footer/);
    });
  }

  it("keeps the signed part's bytes so the signature still verifies", () => {
    const raw = fixture("multipart-signed");
    const original = RawMessage.parse(raw);
    const signedEntity = original.fields.filter((f) => f.name === "Content-Type").map((f) => f.raw + "\r\n").join("") + "\r\n" + original.body.toString("latin1");
    assert.ok(decorate(raw, list).toString("latin1").includes(signedEntity));
  });
});

describe("interpolate", () => {
  it("replaces $name and ${name}, leaves unknown names", () => {
    const vars = placeholders(list);
    assert.equal(interpolate("$display_name ${list_id} $request_email $nope", vars), "Test test.example.com test-request@example.com $nope");
  });
  it("knows Mailman's default footer names", () => {
    assert.equal(interpolate("${short_listname}-leave@${domain}", placeholders(list)), "test-leave@example.com");
  });
});
