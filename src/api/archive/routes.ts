// /lists/{list}/archivers: which of the site's archivers take the list's posts.
// /lists/{list}/archive: the built-in archive (Mailman's "prototype" archiver), by
// date, by thread, and each post's bytes by Message-ID-Hash. Who may read it follows
// archivePolicy, as HyperKitty does: a public list's archive is open to anyone (no
// credentials), a private one's (and a list archived "never") needs the API's
// credentials; a list that does not exist answers 401 without them, so its name
// is not given away.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { notFound } from "../../domain/errors.js";
import { problems, ref } from "../common/schemas.js";
import { Archivers, ArchiversPatch, ArchiveQuery, ArchiveThreadPage, ArchivedPostPage, ListParams, PostParams, RawPost } from "./schemas.js";

const tags = ["archive"];
const ACCESS = "Open to anyone for a list whose archivePolicy is public; otherwise HTTP Basic auth is required.";

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  /** Lets the request through when the list's archive is public or it carries the API's credentials. */
  async function mayRead(request: FastifyRequest, reply: FastifyReply, list: string): Promise<void> {
    const policy = await app.services.archive.policy(list).catch((err: unknown) => {
      if ((err as { code?: string }).code === "not-found") return null;
      throw err;
    });
    if (policy === "public") return;
    await new Promise<void>((resolve, reject) => {
      app.basicAuth(request, reply, (err?: Error) => (err ? reject(err) : resolve()));
    });
    if (policy === null) throw notFound(`list ${list} does not exist`);
  }
  // Access is decided first (onRequest), before the parameters are validated: a caller
  // without credentials learns nothing about a private archive, not even a 400.
  const readAccess = (request: FastifyRequest, reply: FastifyReply) => mayRead(request, reply, (request.params as { list: string }).list);

  app.get("/lists/:list/archivers", {
    schema: {
      operationId: "getListArchivers", summary: "The list's archivers", tags,
      description: "Each archiver the site offers (by Mailman's name) and whether it takes this list's posts. " +
        "An archiver whose settings are missing is not offered. The same switches as Mailman's /3.1/lists/{list}/archivers.",
      params: ListParams,
      response: { 200: ref(Archivers, "The switches"), ...problems(401, 404) },
    },
  }, async (request) => app.services.archive.switches(request.params.list));

  app.patch("/lists/:list/archivers", {
    schema: {
      operationId: "setListArchivers", summary: "Switch archivers on or off", tags,
      description: "Switch the named archivers on or off for this list; the others keep their state. 400 for an archiver the site does not offer.",
      params: ListParams,
      body: ArchiversPatch,
      response: { 200: ref(Archivers, "The switches now"), ...problems(400, 401, 404) },
    },
  }, async (request) => app.services.archive.setSwitches(request.params.list, request.body as Record<string, boolean>, { all: false }));

  app.get("/lists/:list/archive", {
    config: { public: true },
    onRequest: readAccess,
    schema: {
      operationId: "listArchivedPosts", summary: "The built-in archive by date", tags,
      description: `The list's archived posts, oldest first. ${ACCESS}`,
      params: ListParams,
      querystring: ArchiveQuery,
      security: [{ basicAuth: [] }, {}],
      response: { 200: ref(ArchivedPostPage, "A page of posts"), ...problems(400, 401, 404) },
    },
  }, async (request) => {
    return app.services.archive.byDate(request.params.list, request.query);
  });

  app.get("/lists/:list/archive/threads", {
    config: { public: true },
    onRequest: readAccess,
    schema: {
      operationId: "listArchiveThreads", summary: "The built-in archive by thread", tags,
      description: "The list's threads in the order they started, each with its posts in thread order. A post joins the thread of the " +
        `archived post its In-Reply-To (else the nearest of its References) names; one whose parent is not archived starts a thread. ${ACCESS}`,
      params: ListParams,
      querystring: ArchiveQuery,
      security: [{ basicAuth: [] }, {}],
      response: { 200: ref(ArchiveThreadPage, "A page of threads"), ...problems(400, 401, 404) },
    },
  }, async (request) => {
    return app.services.archive.byThread(request.params.list, request.query);
  });

  app.get("/lists/:list/archive/messages/:hash", {
    config: { public: true },
    onRequest: readAccess,
    schema: {
      operationId: "getArchivedPost", summary: "One archived post, raw", tags,
      description: `The post with this Message-ID-Hash as archived (message/rfc822): the URL of its Archived-At header. ${ACCESS}`,
      params: PostParams,
      security: [{ basicAuth: [] }, {}],
      response: { 200: RawPost, ...problems(400, 401, 404) },
    },
  }, async (request, reply) => {
    const raw = await app.services.archive.raw(request.params.list, request.params.hash);
    // A post's bytes are the poster's: never rendered or sniffed on the API's origin.
    return reply.type("message/rfc822").header("x-content-type-options", "nosniff")
      .header("content-disposition", `attachment; filename="${request.params.hash}.eml"`).send(raw);
  });
};

export default plugin;
