// Subscription requests over REST: pending requests and the moderator's decision
// (/lists/{list}/requests), and starting a workflow with a confirmation (an
// invitation) (/lists/{list}/subscriptions). Thin: validate, call the service, shape.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { problems } from "../common/schemas.js";
import { conflict } from "../../domain/errors.js";
import type { ModerationAction } from "../../services/subscriptions.js";
import {
  ListParams, NewSubscription, Outcome, RequestAction, RequestListQuery, RequestPage, RequestParams, SubscriptionRequest,
} from "./schemas.js";

const tags = ["subscriptions"];

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/lists/:list/requests", {
    schema: {
      operationId: "listRequests", summary: "Pending subscription requests", tags,
      description: "Requests awaiting the subscriber's confirmation or a moderator's decision, oldest first. Expired ones are left out.",
      params: ListParams, querystring: RequestListQuery,
      response: { 200: RequestPage, ...problems(400, 401, 404) },
    },
  }, async (request) => app.services.subscriptions.pending(request.params.list, request.query));

  app.get("/lists/:list/requests/:token", {
    schema: {
      operationId: "getRequest", summary: "One pending subscription request", tags,
      description: "The request with this token on this list; 404 once it was used, decided or expired.",
      params: RequestParams,
      response: { 200: SubscriptionRequest, ...problems(401, 404) },
    },
  }, async (request) => app.services.subscriptions.get(request.params.list, request.params.token));

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
    const view = await app.services.subscriptions.get(list, token);
    const action = request.body.action as ModerationAction;
    if (action === "accept" && view.state === "awaiting_confirmation") return app.services.subscriptions.confirm(list, token);
    return app.services.subscriptions.moderate(list, token, action, request.body.reason);
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
    const o = await app.services.subscriptions.subscribe(request.params.list, request.body, "rest");
    if (o.status === "already_member") throw conflict(`${o.address} is already a member of ${request.params.list}`);
    return reply.code(o.status === "subscribed" ? 201 : 202).send(o);
  });
};

export default plugin;
