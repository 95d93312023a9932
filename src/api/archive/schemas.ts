// Schemas for /lists/{list}/archivers and the built-in archive under /lists/{list}/archive.
import { Type, type TSchema } from "typebox";
import { Page, PageQuery } from "../common/schemas.js";

const HASH_EXAMPLE = "ZXOEEWD6NJCMFW4YTIXEAHQ7MPKCV7KV";

/** One optional switch per archiver name Mailman clients know (src/domain/archivers.ts). */
const switches = {
  hyperkitty: Type.Optional(Type.Boolean({ description: "HyperKitty (offered when MAILROOM_HYPERKITTY_URL is set)" })),
  "mail-archive": Type.Optional(Type.Boolean({ description: "Copies to MAILROOM_MAIL_ARCHIVE_ADDRESS, public lists only (offered when it is set)" })),
  prototype: Type.Optional(Type.Boolean({ description: "The built-in archive (always offered)" })),
};

export const Archivers = Type.Object(
  switches,
  {
    $id: "Archivers", title: "Archivers", additionalProperties: false,
    description: "Each archiver the site offers, by Mailman's name, and whether it takes this list's posts",
    examples: [{ hyperkitty: true, prototype: true }],
  },
);

export const ArchiversPatch = Type.Object(
  switches,
  { additionalProperties: false, title: "ArchiversPatch", description: "Archivers to switch on or off; one the site does not offer is a 400", examples: [{ hyperkitty: false }] },
);

const post = {
  messageIdHash: Type.String({ description: "Mailman's Message-ID-Hash: the key of the post in every archive", examples: [HASH_EXAMPLE] }),
  messageId: Type.String({ description: "The post's Message-ID, with angle brackets" }),
  subject: Type.String({ description: "Subject as archived (with the list's prefix), decoded" }),
  sender: Type.String({ description: "The From address" }),
  date: Type.Union([Type.String({ format: "date-time" }), Type.Null()], { description: "The post's Date header; null when it had none that parses" }),
  archivedAt: Type.String({ format: "date-time" }),
  threadHash: Type.String({ description: "Message-ID-Hash of the thread's first post" }),
  parentHash: Type.Union([Type.String(), Type.Null()], { description: "Message-ID-Hash of the archived post this one answers (In-Reply-To, else References)" }),
};
const postExample = {
  messageIdHash: HASH_EXAMPLE, messageId: "<first@example.com>", subject: "[Test] Hello", sender: "anne@example.com",
  date: "2025-01-01T12:00:00.000Z", archivedAt: "2025-01-01T12:00:01.000Z", threadHash: HASH_EXAMPLE, parentHash: null,
};

export const ArchivedPost = Type.Object(post, { $id: "ArchivedPost", title: "ArchivedPost", description: "A post in the built-in archive", examples: [postExample] });
export const ArchivedPostPage = Page(ArchivedPost, "ArchivedPostPage");

export const ArchiveThread = Type.Object(
  {
    threadHash: Type.String({ description: "Message-ID-Hash of the first post" }),
    subject: Type.String({ description: "The first post's subject" }),
    startedAt: Type.String({ format: "date-time" }),
    lastPostAt: Type.String({ format: "date-time" }),
    count: Type.Integer({ description: "Posts in the thread" }),
    posts: Type.Array(Type.Object({ ...post, depth: Type.Integer({ minimum: 0, description: "0 for the first post, 1 for a reply to it, …" }) }), {
      description: "Thread order: each post followed by its replies (depth-first; replies in the order they arrived)",
    }),
  },
  {
    $id: "ArchiveThread", title: "ArchiveThread", description: "A thread of the built-in archive",
    examples: [{ threadHash: HASH_EXAMPLE, subject: "[Test] Hello", startedAt: "2025-01-01T12:00:01.000Z", lastPostAt: "2025-01-01T12:00:01.000Z", count: 1, posts: [{ ...postExample, depth: 0 }] }],
  },
);
export const ArchiveThreadPage = Page(ArchiveThread, "ArchiveThreadPage");

export const ArchiveQuery = Type.Object(PageQuery, { additionalProperties: false });
export const ListParams = Type.Object({ list: Type.String({ maxLength: 320 }) });
export const PostParams = Type.Object({
  list: Type.String({ maxLength: 320 }),
  hash: Type.String({ pattern: "^[A-Za-z2-7]{32}$", description: "Message-ID-Hash (32 base32 characters)" }),
});

/** The raw post: message/rfc822 bytes. */
export const RawPost = {
  description: "The post as archived (message/rfc822)",
  content: { "message/rfc822": { schema: { type: "string", format: "binary" } } },
} as unknown as TSchema;
