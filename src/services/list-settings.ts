// The settable columns of a mailing list as the REST API sees them (camelCase, the
// Prisma column names), the list object returned to clients, and the checks JSON
// Schema cannot express (regular expressions compile, reply-to is an address).
// Used by services/lists.ts; api/lists/schemas.ts mirrors SETTING_KEYS.
import type { Action, MailingList } from "../generated/prisma/client.js";
import { requireAddress } from "../domain/address.js";
import { invalid } from "../domain/errors.js";
import { parseHeaderPatterns } from "../domain/header-patterns.js";

/** Every MailingList column an operator may set (moderatorPassword is separate: write-only). */
export const SETTING_KEYS = [
  "displayName", "description", "subjectPrefix", "advertised", "preferredLanguage",
  "defaultMemberAction", "defaultNonmemberAction", "emergency", "maxMessageSize", "maxNumRecipients",
  "requireExplicitDestination", "acceptableAliases", "administrivia", "autoReplyAction", "headerMatches",
  "adminImmedNotify", "adminNotifyMchanges",
  "replyGoesToList", "replyToAddress", "firstStripReplyTo", "msgHeader", "msgFooter",
  "includeRfc2369Headers", "allowListPosts", "archivePolicy", "dmarcMitigateAction",
  "dmarcMitigateUnconditionally", "dmarcModerationNotice", "anonymousList",
  "personalize", "collapseAlternatives",
  "filterContent", "filterTypes", "passTypes", "filterExtensions", "passExtensions", "filterAction",
  "convertHtmlToPlaintext", "bounceMatchingHeaders", "newsgroupModeration",
  "subscriptionPolicy", "unsubscriptionPolicy", "memberRosterVisibility", "sendWelcomeMessage", "sendGoodbyeMessage",
  "processBounces", "bounceScoreThreshold", "bounceInfoStaleAfter", "bounceYouAreDisabledWarnings",
  "bounceYouAreDisabledWarningsInterval", "bounceNotifyOwnerOnDisable", "bounceNotifyOwnerOnRemoval",
  "forwardUnrecognizedBouncesTo", "verpProbes",
] as const satisfies readonly (keyof MailingList)[];

export type SettingKey = (typeof SETTING_KEYS)[number];

/** One entry of Mailman's header_matches: a regexp on a header and what to do on a match. */
export interface HeaderMatch {
  header: string;
  pattern: string;
  action: Action;
}

export type ListSettings = Omit<Pick<MailingList, SettingKey>, "headerMatches"> & { headerMatches: HeaderMatch[] };

/** What a client may send on create or patch. `moderatorPassword: null` removes it. */
export type ListSettingsInput = Partial<ListSettings> & { moderatorPassword?: string | null };

export interface ListView extends ListSettings {
  listId: string;
  address: string;
  name: string;
  domain: string;
  createdAt: string;
  hasModeratorPassword: boolean;
  /** Members in role member (Mailman's member_count; not in the native API's list object). */
  memberCount: number;
  /** The next post's number. */
  postId: number;
}

export function listView(row: MailingList): ListView {
  const view = {
    listId: row.listId,
    address: `${row.listName}@${row.mailHost}`,
    name: row.listName,
    domain: row.mailHost,
    createdAt: row.createdAt.toISOString(),
    hasModeratorPassword: row.moderatorPassword !== null,
    memberCount: row.memberCount,
    postId: row.postId,
  } as ListView;
  for (const key of SETTING_KEYS) (view as unknown as Record<string, unknown>)[key] = row[key];
  return view;
}

/** Mailman's default display name: the list name capitalised. */
export function defaultDisplayName(listName: string): string {
  return listName.charAt(0).toUpperCase() + listName.slice(1);
}

function checkRegex(pattern: string, field: string): void {
  try {
    new RegExp(pattern);
  } catch (err) {
    throw invalid(`${field}: "${pattern}" is not a valid regular expression (${(err as Error).message})`);
  }
}

/** Checks beyond the JSON Schema; returns the settings with addresses normalised. */
export function checkSettings(input: ListSettingsInput): ListSettingsInput {
  const out = { ...input };
  if (out.replyToAddress) out.replyToAddress = requireAddress(out.replyToAddress, "replyToAddress").address;
  if (out.replyToAddress === "") out.replyToAddress = null;
  // Mailman: an alias starting with ^ is a regular expression, anything else an address.
  for (const alias of out.acceptableAliases ?? []) {
    if (alias.startsWith("^")) checkRegex(alias, "acceptableAliases");
  }
  out.headerMatches?.forEach((m, i) => checkRegex(m.pattern, `headerMatches[${i}].pattern`));
  if (out.bounceMatchingHeaders !== undefined) {
    const bad = parseHeaderPatterns(out.bounceMatchingHeaders).errors[0];
    if (bad) throw invalid(`bounceMatchingHeaders: "${bad.line}": ${bad.problem}`);
  }
  // Mailman compares types and extensions as written; mail has them in any case.
  for (const key of ["filterTypes", "passTypes"] as const) out[key] = out[key]?.map((t) => t.trim().toLowerCase());
  for (const key of ["filterExtensions", "passExtensions"] as const) out[key] = out[key]?.map((e) => e.trim().replace(/^\./, "").toLowerCase());
  return out;
}
