// Test data for pipeline unit tests: a list row with the schema's defaults, member
// rows, fixture messages and a rule input, so each test states only what it varies.
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { MailingList } from "../../src/generated/prisma/client.js";
import type { ResolvedMember } from "../../src/db/member-lookup.js";
import { SYSTEM_PREFERENCES } from "../../src/domain/preferences.js";
import { newContext, type MessageContext } from "../../src/domain/message-context.js";
import { RawMessage } from "../../src/domain/raw-message.js";
import type { DmarcPolicy, DmarcResolver } from "../../src/pipeline/dmarc.js";
import type { Rule, RuleInput } from "../../src/pipeline/rules/rule.js";
import type { Post } from "../../src/pipeline/handlers/handler.js";

export function makeList(over: Partial<MailingList> = {}): MailingList {
  return {
    id: 1, listName: "test", mailHost: "example.com", listId: "test.example.com", domainId: 1,
    displayName: "Test", description: "", subjectPrefix: "[Test] ", advertised: true, preferredLanguage: "en", createdAt: new Date(0), postId: 1,
    defaultMemberAction: "accept", defaultNonmemberAction: "hold", moderatorPassword: null, emergency: false,
    maxMessageSize: 40, maxNumRecipients: 10, requireExplicitDestination: true, acceptableAliases: [],
    administrivia: true, autoReplyAction: "hold", headerMatches: [], adminImmedNotify: true, adminNotifyMchanges: false,
    replyGoesToList: "no_munging", replyToAddress: null, firstStripReplyTo: false, msgHeader: "", msgFooter: "",
    includeRfc2369Headers: true, allowListPosts: true, archivePolicy: "public", dmarcMitigateAction: "munge_from",
    dmarcMitigateUnconditionally: false, dmarcModerationNotice: "", anonymousList: false, personalize: "none",
    collapseAlternatives: true, filterContent: false, filterTypes: [], passTypes: [], filterExtensions: [], passExtensions: [],
    filterAction: "discard", convertHtmlToPlaintext: false, bounceMatchingHeaders: "", newsgroupModeration: "none",
    subscriptionPolicy: "confirm", unsubscriptionPolicy: "confirm",
    memberRosterVisibility: "moderators", sendWelcomeMessage: true, sendGoodbyeMessage: true, processBounces: true,
    bounceScoreThreshold: 5, bounceInfoStaleAfter: 604800, bounceYouAreDisabledWarnings: 3,
    bounceYouAreDisabledWarningsInterval: 604800, bounceNotifyOwnerOnDisable: true, bounceNotifyOwnerOnRemoval: true,
    forwardUnrecognizedBouncesTo: "administrators", verpProbes: null, mailmanSettings: {}, archivers: {}, memberCount: 0,
    ...over,
  };
}

let nextId = 1;
export function makeMember(address: string, over: Partial<ResolvedMember> = {}): ResolvedMember {
  return {
    id: nextId, addressId: nextId++, userId: null, ...SYSTEM_PREFERENCES, listId: 1, address, addressKey: address.toLowerCase(), displayName: "", role: "member",
    moderationAction: null, bounceScore: 0,
    lastBounceReceived: null, lastWarningSent: null, totalWarningsSent: 0, createdAt: new Date(0),
    ...over,
  };
}

export function fixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/posting/${name}.eml`, import.meta.url));
}

/** A message from header lines and a body (CRLF). */
export function message(headers: string[], body = "Hello.\r\n"): Buffer {
  return Buffer.from(headers.join("\r\n") + "\r\n\r\n" + body, "utf8");
}

export function fakeDmarc(policies: Record<string, DmarcPolicy>): DmarcResolver {
  return { policy: async (d) => policies[d.toLowerCase()] ?? null };
}

export function context(msg: RawMessage, mailFrom = "anne@example.com"): MessageContext {
  const senders = [...new Set([...msg.addresses("From").map((a) => a.address.toLowerCase()), mailFrom.toLowerCase()].filter(Boolean))];
  return newContext({ listId: "test.example.com", messageId: "<m@x>", messageIdHash: "HASH", mailFrom, senders });
}

export function ruleInput(raw: Buffer, over: Partial<RuleInput> = {}): RuleInput {
  const msg = RawMessage.parse(raw);
  return {
    msg, size: raw.length, list: makeList(), ctx: context(msg), senderRows: [], bans: [],
    verifyPassword: async (pw, hash) => hash === `hash:${pw}`,
    dmarc: fakeDmarc({}),
    ...over,
  };
}

export function post(raw: Buffer, over: Partial<Post> = {}): Post {
  const msg = RawMessage.parse(raw);
  return { msg, list: makeList(), ctx: context(msg), rosterRows: [], ...over };
}

/** One rule's cases as a table: each input and the action expected (null: a miss). */
export function ruleTable(rule: Rule, cases: [name: string, input: () => RuleInput, expected: string | null][]): void {
  describe(rule.name, () => {
    it("has a name and a description", () => assert.ok(rule.name && rule.description));
    for (const [name, input, expected] of cases) {
      it(name, async () => {
        const r = await rule.check(input());
        assert.equal(r.hit ? r.action : null, expected);
      });
    }
  });
}
