// Subscription requests over REST: pending requests and the moderator's decision
// (/lists/{list}/requests), starting a workflow with a confirmation (an invitation)
// (/lists/{list}/subscriptions), and a member's bounce record
// (/lists/{list}/members/{address}/bounces). Thin: validate, call the service, shape.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { problems } from "../common/schemas.js";
import { conflict, notFound } from "../../domain/errors.js";
import { createSubscriptionService, type ModerationAction, type SubscriptionService } from "../../services/subscriptions.js";
import { createBounceService, type BounceService } from "../../services/bounce-scores.js";
import {
  BounceRecord, ListParams, MemberParams, NewSubscription, Outcome, RequestAction, RequestListQuery, RequestPage, RequestParams, SubscriptionRequest,
} from "./schemas.js";

const tags = ["subscriptions"];

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  // Built on first use: the OpenAPI export builds the app without any services.
  let built: { subs: SubscriptionService; bounces: BounceService } | null = null;
  const svc = () => (built ??= { subs: createSubscriptionService(app.services.deps), bounces: createBounceService(app.services.deps) });

  app.get("/lists/:list/requests", {
    schema: {
      operationId: "listRequests", summary: "Pending subscription requests", tags,
      description: "Requests awaiting the subscriber's confirmation or a moderator's decision, oldest first. Expired ones are left out.",
      params: ListParams, querystring: RequestListQuery,
      response: { 200: RequestPage, ...problems(400, 401, 404) },
    },
  }, async (request) => svc().subs.pending(request.params.list, request.query));

  app.get("/lists/:list/requests/:token", {
    schema: {
      operationId: "getRequest", summary: "One pending subscription request", tags,
      description: "The request with this token on this list; 404 once it was used, decided or expired.",
      params: RequestParams,
      response: { 200: SubscriptionRequest, ...problems(401, 404) },
    },
  }, async (request) => svc().subs.get(request.params.list, request.params.token));

  app.post("/lists/:list/requests/:token", {
    schema: {
      operationId: "decideRequest", summary: "Accept, reject, discard or defer a request", tags,
      description: "A moderator's decision. `accept` on a request still awaiting confirmation confirms it on the subscriber's " +
        "behalf (the REST way to confirm); the list's moderation policy may then still hold it for approval.",
      params: RequestParams, body: RequestAction,
      response: { 200: Outcome, ...problems(400, 401, 404) },
    },
  }, async (request) => {
    const { list, token } = request.params;
    const view = await svc().subs.get(list, token);
    const action = request.body.action as ModerationAction;
    if (action === "accept" && view.state === "awaiting_confirmation") return svc().subs.confirm(list, token);
    return svc().subs.moderate(list, token, action, request.body.reason);
  });

  app.post("/lists/:list/subscriptions", {
    schema: {
      operationId: "startSubscription", summary: "Subscribe an address through the list's workflow", tags,
      description: "Unlike POST /lists/{list}/members, which adds at once, this runs the subscription workflow: with " +
        "`confirm: true` (default) the address is mailed a confirmation request, and a moderated list holds the request " +
        "for approval. 201 when subscribed at once, 202 while pending, 409 when already a member.",
      params: ListParams, body: NewSubscription,
      response: { 201: Outcome, 202: Outcome, ...problems(400, 401, 404, 409) },
    },
  }, async (request, reply) => {
    const o = await svc().subs.subscribe(request.params.list, request.body, "rest");
    if (o.status === "already_member") throw conflict(`${o.address} is already a member of ${request.params.list}`);
    return reply.code(o.status === "subscribed" ? 201 : 202).send(o);
  });

  app.get("/lists/:list/members/:address/bounces", {
    schema: {
      operationId: "getMemberBounces", summary: "A member's bounce score, delivery status and bounce events", tags: ["members"],
      description: "What bounce processing knows of the member: score, whether delivery is disabled by bounces, warnings " +
        "sent, and the most recent 100 bounce events (from -bounces mail and from 5xx replies during delivery).",
      params: MemberParams,
      response: { 200: BounceRecord, ...problems(401, 404) },
    },
  }, async (request) => {
    const list = await app.services.lists.requireList(request.params.list);
    const record = await svc().bounces.memberRecord(list.id, request.params.address);
    if (!record) throw notFound(`${request.params.address} is not a member of ${list.listId}`);
    return record;
  });
};

export default plugin;
