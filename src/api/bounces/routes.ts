// /lists/{list}/members/{address}/bounces: what bounce processing knows of a member
// (Mailman's bounce score and warnings, model/bounce.py). Read only; the scores are
// kept by services/bounce-scores.ts for the bounces queue handler. Thin: validate,
// call the services, shape.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { notFound } from "../../domain/errors.js";
import { problems } from "../common/schemas.js";
import { MemberParams } from "../members/schemas.js";
import { BounceRecord } from "./schemas.js";

const plugin: FastifyPluginAsyncTypebox = async (app) => {
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
    const record = await app.services.bounces.memberRecord(list.id, request.params.address);
    if (!record) throw notFound(`${request.params.address} is not a member of ${list.listId}`);
    return record;
  });
};

export default plugin;
