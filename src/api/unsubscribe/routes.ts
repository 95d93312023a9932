// RFC 8058 one-click unsubscribe at /u/{token}, without login: the token is signed
// (src/domain/unsubscribe-token.ts) and names the list and the member. POST
// unsubscribes at once (what Gmail and Yahoo send: body `List-Unsubscribe=One-Click`);
// GET only shows a page with a button, because link scanners fetch URLs in mail.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { verifyUnsubscribeToken, type UnsubscribeClaim } from "../../domain/unsubscribe-token.js";
import { notFound } from "../../domain/errors.js";
import { problems } from "../common/schemas.js";
import { confirmPage, donePage, invalidPage } from "./page.js";

const tags = ["unsubscribe"];
const Params = Type.Object({ token: Type.String({ maxLength: 2048, description: "The signed token from the List-Unsubscribe URL" }) });
const Html = Type.String({ description: "An HTML page (text/html)" });
const NotFoundHtml = Type.String({ description: "An HTML page saying the link is not valid, has expired, or its list is gone" });
const Result = Type.Object(
  {
    status: Type.Enum(["unsubscribed", "not_member"]),
    listId: Type.String(),
    address: Type.String(),
  },
  { title: "UnsubscribeResult", description: "The address is not (or no longer) subscribed", examples: [{ status: "unsubscribed", listId: "mylist.example.com", address: "anne@example.com" }] },
);

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const claimOf = async (token: string): Promise<UnsubscribeClaim | null> =>
    verifyUnsubscribeToken(await app.services.secret(), token);

  // RFC 8058 §3.1: the body is form data (urlencoded or multipart); every POST to a valid
  // link is taken as the request, so the body is read as text and not interpreted further.
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));

  app.get("/u/:token", {
    config: { public: true },
    schema: {
      operationId: "unsubscribePage", summary: "One-click unsubscribe: the confirmation page", tags,
      description: "No authentication. Shows a page with a button that POSTs to the same URL; never unsubscribes by itself.",
      security: [],
      params: Params,
      response: { 200: Html, 404: NotFoundHtml },
    },
  }, async (request, reply) => {
    const claim = await claimOf(request.params.token);
    const list = claim ? await app.services.lists.requireList(claim.listId).catch(() => null) : null;
    reply.type("text/html; charset=utf-8").header("cache-control", "no-store");
    if (!claim || !list) return reply.code(404).send(invalidPage());
    return confirmPage(`${list.displayName} <${list.listName}@${list.mailHost}>`, claim.address);
  });

  app.post("/u/:token", {
    config: { public: true },
    schema: {
      operationId: "unsubscribeOneClick", summary: "One-click unsubscribe (RFC 8058)", tags,
      description: "No authentication; the signed token is the authority. Unsubscribes the member from the list at once " +
        "(no confirmation, per RFC 8058) and answers 200 whether or not the address was still subscribed. A browser " +
        "(Accept: text/html) gets a page, anything else JSON. 404 for a forged or expired token (tokens work for 90 days) or a list that is gone.",
      security: [],
      params: Params,
      response: { 200: Type.Union([Result, Html], { description: "Unsubscribed (or was not subscribed): JSON, or an HTML page for browsers" }), ...problems(404) },
    },
  }, async (request, reply) => {
    const claim = await claimOf(request.params.token);
    if (!claim) throw notFound("this unsubscribe link is not valid or has expired");
    const list = await app.services.lists.requireList(claim.listId);
    const o = await app.services.subscriptions.unsubscribe(claim.listId, claim.address, "one-click");
    request.log.info({ list: claim.listId, status: o.status }, "one-click unsubscribe");
    const status = o.status === "unsubscribed" ? "unsubscribed" : "not_member";
    if (String(request.headers.accept ?? "").includes("text/html")) {
      return reply.type("text/html; charset=utf-8").send(donePage(`${list.displayName} <${list.listName}@${list.mailHost}>`, claim.address, status === "unsubscribed"));
    }
    return reply.send({ status, listId: claim.listId, address: o.address });
  });
};

export default plugin;
