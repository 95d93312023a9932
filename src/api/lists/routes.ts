// /lists: create, list (keyset pages), read, patch settings, delete. `{list}` is the
// list id or the posting address.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { ListSettingsInput } from "../../services/list-settings.js";
import type { NewList as NewListInput } from "../../services/lists.js";
import { described, NoContent, problems, ref } from "../common/schemas.js";
import { ListPage, ListParams, ListPatch, ListQuery, MailingList, NewList } from "./schemas.js";

const tags = ["lists"];

const plugin: FastifyPluginAsyncTypebox = async (app) => {

  app.post("/lists", {
    schema: {
      operationId: "createList", summary: "Create a list", tags,
      description: "Creates a list at the given posting address with any settings. The domain must exist (400 otherwise). " +
        "The MTA's files (Postfix maps, Exim or Sendmail files) are regenerated before the answer.",
      body: NewList,
      response: { 201: ref(MailingList, "The new list"), ...problems(400, 401, 409, 503) },
    },
  }, async (request, reply) => {
    const list = await app.services.lists.create(request.body as NewListInput);
    return reply.code(201).header("location", `/lists/${list.listId}`).send(list);
  });

  app.get("/lists", {
    schema: {
      operationId: "listLists", summary: "List lists", tags,
      description: "Lists in creation order, optionally of one domain or only advertised ones (Mailman's public index), a page at a time.",
      querystring: ListQuery,
      response: { 200: ref(ListPage, "A page of lists"), ...problems(400, 401) },
    },
  }, async (request) => app.services.lists.list(request.query));

  app.get("/lists/:list", {
    schema: {
      operationId: "getList", summary: "Get a list", tags,
      description: "One list with all its settings, by list id or posting address.",
      params: ListParams,
      response: { 200: ref(MailingList, "The list"), ...problems(401, 404) },
    },
  }, async (request) => app.services.lists.get(request.params.list));

  app.patch("/lists/:list", {
    schema: {
      operationId: "updateList", summary: "Change list settings", tags,
      description: "Applies the given settings; the others stay as they are.",
      params: ListParams,
      body: ListPatch,
      response: { 200: ref(MailingList, "The list as changed"), ...problems(400, 401, 404) },
    },
  }, async (request) => app.services.lists.update(request.params.list, request.body as ListSettingsInput));

  app.delete("/lists/:list", {
    schema: {
      operationId: "deleteList", summary: "Delete a list", tags,
      description: "Deletes the list with its members, held messages and pending requests. The MTA's files are regenerated.",
      params: ListParams,
      response: { 204: described(NoContent, "Deleted"), ...problems(401, 404, 503) },
    },
  }, async (request, reply) => {
    await app.services.lists.remove(request.params.list);
    return reply.code(204).send(null);
  });
};

export default plugin;
