// /lists/{list}/held: posts the rule chain held for a moderator (Mailman's held
// message requests). List them, read one with its headers, and decide: accept
// (the post goes to the members), discard, reject (the sender is told why) or defer.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { ModerationAction } from "../../services/moderation.js";
import { described, NoContent, problems } from "../common/schemas.js";
import { HeldItemParams, HeldMessageDetail, HeldPage, HeldParams, HeldQuery, ModerationDecision } from "./schemas.js";

const tags = ["moderation"];

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/lists/:list/held", {
    schema: {
      operationId: "listHeldMessages", summary: "List held posts", tags,
      description: "Posts waiting for a moderator, oldest first, a page at a time.",
      params: HeldParams, querystring: HeldQuery,
      response: { 200: described(HeldPage, "A page of held posts"), ...problems(400, 401, 404) },
    },
  }, async (request) => app.services.moderation.list(request.params.list, request.query));

  app.get("/lists/:list/held/:id", {
    schema: {
      operationId: "getHeldMessage", summary: "Get a held post", tags,
      description: "One held post with the reason it is held, the rules that hit and missed, and its header fields.",
      params: HeldItemParams,
      response: { 200: described(HeldMessageDetail, "The held post"), ...problems(400, 401, 404) },
    },
  }, async (request) => app.services.moderation.get(request.params.list, request.params.id));

  app.post("/lists/:list/held/:id", {
    schema: {
      operationId: "moderateHeldMessage", summary: "Decide a held post", tags,
      description: "accept queues the post for the list's pipeline (without the moderation rules); discard drops it; " +
        "reject drops it and mails the sender the reason; defer leaves it held.",
      params: HeldItemParams, body: ModerationDecision,
      response: { 204: described(NoContent, "Done (for defer: still held)"), ...problems(400, 401, 404) },
    },
  }, async (request, reply) => {
    const { action, reason } = request.body;
    await app.services.moderation.act(request.params.list, request.params.id, action as ModerationAction, reason);
    return reply.code(204).send(null);
  });
};

export default plugin;
