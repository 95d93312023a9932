// Schemas for /lists: the list object, the settings a client may set (every
// settable MailingList column, see services/list-settings.ts), create and patch bodies.
import { Type, type TSchema } from "typebox";
import { oneLine, Page, PageQuery } from "../common/schemas.js";

const ACTIONS = ["accept", "hold", "reject", "discard", "defer"];
const action = (description: string) => Type.Enum(ACTIONS, { description });
const bool = (description: string) => Type.Boolean({ description });
const count = (description: string, maximum = 2_147_483_647) => Type.Integer({ minimum: 0, maximum, description });
const text = (description: string, maxLength = 10_000) => Type.String({ maxLength, description });
const mimeTypes = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 200, pattern: "^[!#-'*+.0-9A-Z^-~-]+(/[!#-'*+.0-9A-Z^-~-]+)?$" }), { maxItems: 1000, description });
const extensions = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 100, pattern: "^\\.?[^./\\\\\\s]+$" }), { maxItems: 1000, description });

export const HeaderMatch = Type.Object(
  {
    header: Type.String({ minLength: 1, maxLength: 200, pattern: "^[!-9;-~]+$", description: "Header name, case-insensitive" }),
    pattern: Type.String({ minLength: 1, maxLength: 1000, description: "Regular expression matched against the header value" }),
    action: action("What to do with a matching post"),
  },
  { additionalProperties: false, title: "HeaderMatch", examples: [{ header: "X-Spam-Flag", pattern: "^YES", action: "discard" }] },
);

/** Every settable list column; all optional on input, all present on output. */
const SETTINGS: Record<string, TSchema> = {
  displayName: oneLine({ minLength: 1, maxLength: 200, description: "Human name; default: the list name capitalised" }),
  description: oneLine({ maxLength: 2000, description: "One-line description shown in listings" }),
  subjectPrefix: oneLine({ maxLength: 200, description: "Prepended to the Subject of posts; default `[Display name] `" }),
  advertised: bool("Shown in public listings"),
  preferredLanguage: Type.String({ minLength: 2, maxLength: 20, pattern: "^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$", description: "Language of notices to the owners, of the footer, and to members without a language of their own (docs/templates.md)" }),
  defaultMemberAction: action("Moderation of posts by members without their own moderationAction"),
  defaultNonmemberAction: action("Moderation of posts by nonmembers without their own moderationAction"),
  emergency: bool("Hold every post for the moderators"),
  maxMessageSize: count("Kilobytes; larger posts are held. 0 disables"),
  maxNumRecipients: count("Posts with more To/Cc addresses are held. 0 disables"),
  requireExplicitDestination: bool("Hold posts that do not name the list in To or Cc"),
  acceptableAliases: Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
    maxItems: 1000, description: "Other addresses that count as the list for requireExplicitDestination; entries starting with ^ are regular expressions",
  }),
  administrivia: bool("Hold posts that look like (un)subscribe requests"),
  autoReplyAction: Type.Enum(["hold", "discard", "defer"], {
    description: "Posts a robot wrote (RFC 3834 Auto-Submitted, X-Autoreply, Precedence bulk/junk/list, null sender…): hold them with the reason, discard them, or defer (no decision here; for a list that takes other lists' copies)",
  }),
  headerMatches: Type.Array(HeaderMatch, { maxItems: 1000, description: "Header checks applied in order (Mailman header_matches)" }),
  adminImmedNotify: bool("Tell the moderators at once about each held post"),
  adminNotifyMchanges: bool("Tell the owners about subscriptions and unsubscriptions"),
  replyGoesToList: Type.Enum(["no_munging", "point_to_list", "explicit_header", "explicit_header_only"], { description: "Reply-To munging policy" }),
  replyToAddress: Type.Union([Type.String({ maxLength: 254 }), Type.Null()], { description: "Reply-To for the explicit_header policies" }),
  firstStripReplyTo: bool("Remove the poster's Reply-To first"),
  msgHeader: text("Text added before each post's body", 100_000),
  msgFooter: text("Text added after each post's body", 100_000),
  includeRfc2369Headers: bool("Add List-Post, List-Unsubscribe … headers (RFC 2369)"),
  allowListPosts: bool("Add a List-Post header (off for announce-only lists)"),
  archivePolicy: Type.Enum(["never", "private", "public"], { description: "Archiving of accepted posts" }),
  dmarcMitigateAction: Type.Enum(["no_mitigation", "munge_from", "wrap_message", "reject", "discard"], { description: "What to do with posts from DMARC-protected domains" }),
  dmarcMitigateUnconditionally: bool("Apply dmarcMitigateAction to every post"),
  dmarcModerationNotice: text("Text for rejections caused by DMARC", 10_000),
  anonymousList: bool("Hide the poster's identity"),
  personalize: Type.Enum(["none", "individual", "full"], { description: "Personalised delivery (one copy per member)" }),
  collapseAlternatives: bool("With filterContent: reduce multipart/alternative to its first part (Mailman collapse_alternatives)"),
  filterContent: bool("Filter the MIME parts of posts by the settings below (Mailman filter_content; docs/content-filtering.md)"),
  filterTypes: mimeTypes("MIME types (`image/png`) or main types (`image`) removed from posts"),
  passTypes: mimeTypes("If not empty, only parts of these MIME types or main types are kept (include `multipart` to keep multiparts)"),
  filterExtensions: extensions("File name extensions (`exe`) whose parts are removed"),
  passExtensions: extensions("If not empty, only parts with these file name extensions (or none) are kept"),
  filterAction: Type.Enum(["discard", "reject", "forward", "preserve", "hold", "accept", "defer"], {
    description: "A post the filter removes whole: discard it, reject it with the reason, forward it to the owners and moderators, or preserve it (kept as a shunted job). hold, accept and defer act as discard (as in Mailman)",
  }),
  convertHtmlToPlaintext: bool("With filterContent: turn text/html parts into text/plain"),
  bounceMatchingHeaders: text("Lines `Header: regexp` (Mailman bounce_matching_headers); a post with a matching header is held (suspicious-header rule). # starts a comment", 100_000),
  newsgroupModeration: Type.Enum(["none", "open_moderated", "moderated"], { description: "Mailman newsgroup_moderation: `moderated` holds every post (news-moderation rule)" }),
  subscriptionPolicy: Type.Enum(["open", "confirm", "moderate", "confirm_then_moderate"], { description: "How subscriptions are approved" }),
  unsubscriptionPolicy: Type.Enum(["open", "confirm"], { description: "How unsubscriptions are approved" }),
  memberRosterVisibility: Type.Enum(["public", "members", "moderators"], { description: "Who may see the member list" }),
  sendWelcomeMessage: bool("Mail new members a welcome"),
  sendGoodbyeMessage: bool("Mail leaving members a goodbye"),
  processBounces: bool("Score bounces and disable members that bounce too much"),
  bounceScoreThreshold: count("Bounce score at which delivery is disabled", 1000),
  bounceInfoStaleAfter: count("Seconds after which a bounce score is forgotten"),
  bounceYouAreDisabledWarnings: count("Warnings sent before a disabled member is removed", 100),
  bounceYouAreDisabledWarningsInterval: count("Seconds between those warnings"),
  bounceNotifyOwnerOnDisable: bool("Tell the owners when bounces disable a member"),
  bounceNotifyOwnerOnRemoval: bool("Tell the owners when bounces remove a member"),
  forwardUnrecognizedBouncesTo: Type.Enum(["no_one", "administrators", "site_owner"], { description: "Where bounces that cannot be parsed go" }),
  verpProbes: Type.Union([Type.Boolean(), Type.Null()], {
    description: "Mailman's verp_probes: at the threshold send a VERP probe and disable only if it bounces; null: the site's MAILROOM_VERP_PROBES",
  }),
};

const optionalSettings = Object.fromEntries(Object.entries(SETTINGS).map(([k, s]) => [k, Type.Optional(s)]));

const moderatorPassword = Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()], {
  description: "Write-only: posts carrying it in an Approved: header skip moderation. Stored as an scrypt hash; null or \"\" removes it",
}));

const LIST_EXAMPLE = {
  listId: "mylist.example.com", address: "mylist@example.com", name: "mylist", domain: "example.com",
  displayName: "Mylist", description: "", subjectPrefix: "[Mylist] ", createdAt: "2025-01-01T12:00:00.000Z",
  hasModeratorPassword: false, advertised: true, defaultMemberAction: "accept", defaultNonmemberAction: "hold",
  subscriptionPolicy: "confirm", archivePolicy: "public", personalize: "none",
};

export const MailingList = Type.Object(
  {
    listId: Type.String({ description: "RFC 2919 list id: name.domain" }),
    address: Type.String({ description: "Posting address" }),
    name: Type.String({ description: "Local part of the posting address" }),
    domain: Type.String({ description: "Mail host" }),
    createdAt: Type.String({ format: "date-time" }),
    hasModeratorPassword: Type.Boolean({ description: "Whether a moderator password is set (it is never returned)" }),
    ...(SETTINGS as Record<string, TSchema>),
  },
  { $id: "MailingList", title: "MailingList", description: "A mailing list and all its settings", examples: [LIST_EXAMPLE] },
);

export const NewList = Type.Object(
  {
    address: Type.String({ minLength: 3, maxLength: 254, description: "Posting address; its domain must exist", examples: ["mylist@example.com"] }),
    moderatorPassword,
    ...optionalSettings,
  },
  {
    additionalProperties: false, title: "NewList",
    description: "The posting address plus any settings; unset settings take Mailman's defaults",
    examples: [{ address: "mylist@example.com", description: "Talk about my things", subscriptionPolicy: "open" }],
  },
);

export const ListPatch = Type.Object(
  { moderatorPassword, ...optionalSettings },
  {
    additionalProperties: false, title: "ListPatch",
    description: "Settings to change; fields not given are left as they are",
    examples: [{ displayName: "My List", subjectPrefix: "[my-list] ", defaultNonmemberAction: "discard" }],
  },
);

export const ListPage = Page(MailingList, "MailingListPage");

export const ListParams = Type.Object({
  list: Type.String({
    minLength: 1, maxLength: 320,
    description: "List id (`mylist.example.com`) or posting address (`mylist@example.com`)",
    examples: ["mylist.example.com"],
  }),
});

export const ListQuery = Type.Object(
  {
    domain: Type.Optional(Type.String({ maxLength: 253, description: "Only lists of this mail host", examples: ["example.com"] })),
    advertised: Type.Optional(Type.Boolean({ description: "true: only advertised lists (a public index); false: only hidden ones" })),
    ...PageQuery,
  },
  { additionalProperties: false },
);
