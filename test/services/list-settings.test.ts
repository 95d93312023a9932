// The settable list columns stay in step with the Prisma schema and the REST schema:
// a column added to MailingList must be settable (or deliberately not), and every
// enum the API accepts is exactly the database's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Prisma, $Enums } from "../../src/generated/prisma/client.js";
import { SETTING_KEYS, defaultDisplayName, checkSettings } from "../../src/services/list-settings.js";
import { ListPatch, MailingList } from "../../src/api/lists/schemas.js";
import { Member } from "../../src/api/members/schemas.js";

/** Columns set by mailroom itself, never by a client. */
// archivers: its own resource (/lists/{list}/archivers). mailmanSettings: Mailman attributes stored for the /3.1 face; memberCount: kept by triggers on Member.
const NOT_SETTABLE = ["id", "listName", "mailHost", "listId", "domainId", "createdAt", "postId", "moderatorPassword", "mailmanSettings", "memberCount", "archivers"];

test("every MailingList column is a setting or deliberately not one", () => {
  const columns = Object.keys(Prisma.MailingListScalarFieldEnum).sort();
  assert.deepEqual(columns, [...SETTING_KEYS, ...NOT_SETTABLE].sort());
});

test("the REST schemas carry every setting, and moderatorPassword only on input", () => {
  const patchKeys = Object.keys(ListPatch.properties);
  assert.deepEqual(patchKeys.filter((k) => k !== "moderatorPassword").sort(), [...SETTING_KEYS].sort());
  assert.ok(patchKeys.includes("moderatorPassword"));
  assert.ok(!("moderatorPassword" in MailingList.properties));
  for (const key of SETTING_KEYS) assert.ok(key in MailingList.properties, key);
});

test("enum values in the REST schemas are the database's", () => {
  const enumOf = (schema: unknown): string[] => {
    const s = schema as { enum?: string[]; anyOf?: unknown[] };
    return s.enum ?? (s.anyOf ?? []).flatMap(enumOf);
  };
  const expect: Record<string, object> = {
    defaultMemberAction: $Enums.Action, defaultNonmemberAction: $Enums.Action, replyGoesToList: $Enums.ReplyToPolicy,
    archivePolicy: $Enums.ArchivePolicy, dmarcMitigateAction: $Enums.DmarcAction, personalize: $Enums.Personalization,
    subscriptionPolicy: $Enums.SubscriptionPolicy, unsubscriptionPolicy: $Enums.UnsubscriptionPolicy,
    memberRosterVisibility: $Enums.RosterVisibility, forwardUnrecognizedBouncesTo: $Enums.UnrecognizedBounceTarget,
    autoReplyAction: $Enums.AutoReplyAction,
  };
  const props = MailingList.properties as Record<string, unknown>;
  for (const [key, values] of Object.entries(expect)) assert.deepEqual(enumOf(props[key]).sort(), Object.values(values).sort(), key);
  const member = Member.properties as Record<string, unknown>;
  assert.deepEqual(enumOf(member.role).sort(), Object.values($Enums.Role).sort());
  assert.deepEqual(enumOf(member.deliveryStatus).sort(), Object.values($Enums.DeliveryStatus).sort());
  assert.deepEqual(enumOf(member.moderationAction).sort(), Object.values($Enums.Action).sort());
});

test("Mailman's default display name capitalises the list name", () => {
  assert.equal(defaultDisplayName("mylist"), "Mylist");
  assert.equal(defaultDisplayName("ant-colony"), "Ant-colony");
});

test("checkSettings normalises the reply-to address and checks regular expressions", () => {
  assert.equal(checkSettings({ replyToAddress: " Dev@EXAMPLE.com " }).replyToAddress, "Dev@example.com");
  assert.equal(checkSettings({ replyToAddress: "" }).replyToAddress, null);
  assert.throws(() => checkSettings({ acceptableAliases: ["^(unclosed"] }), /acceptableAliases/);
  assert.doesNotThrow(() => checkSettings({ acceptableAliases: ["(not a regexp, an address)@example.com"] }));
  assert.throws(() => checkSettings({ headerMatches: [{ header: "X", pattern: "[", action: "hold" }] }), /headerMatches\[0\]/);
});
