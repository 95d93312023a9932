// /lists/{list}/members: add one, bulk add, page through, read, change, remove.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { MemberPreferences, NewMember as NewMemberInput, Role } from "../../services/members.js";
import { described, NoContent, problems, ref } from "../common/schemas.js";
import {
  BulkMembers, BulkResult, Member, MemberListQuery, MemberPage, MemberParams, MemberPatch, MembersParams, NewMember, RoleQuery,
} from "./schemas.js";

const tags = ["members"];

function memberLocation(listId: string, address: string, role: Role): string {
  const base = `/lists/${listId}/members/${encodeURIComponent(address)}`;
  return role === "member" ? base : `${base}?role=${role}`;
}

const plugin: FastifyPluginAsyncTypebox = async (app) => {

  app.post("/lists/:list/members", {
    schema: {
      operationId: "addMember", summary: "Add a member, owner, moderator or nonmember", tags,
      description: "Adds the address in the given role (default member) directly, without confirmation. 409 if it already has that role.",
      params: MembersParams,
      body: NewMember,
      response: { 201: ref(Member, "The new member"), ...problems(400, 401, 404, 409) },
    },
  }, async (request, reply) => {
    const m = await app.services.members.add(request.params.list, request.body as NewMemberInput);
    return reply.code(201).header("location", memberLocation(m.listId, m.address, m.role)).send(m);
  });

  app.post("/lists/:list/members/bulk", {
    schema: {
      operationId: "bulkAddMembers", summary: "Add many members at once", tags,
      description: "Adds up to 50,000 addresses in one statement. Invalid addresses are reported and skipped; " +
        "addresses already in the role count as existing.",
      params: MembersParams,
      body: BulkMembers,
      response: { 200: ref(BulkResult, "What was added"), ...problems(400, 401, 404) },
    },
  }, async (request) => app.services.members.bulkAdd(request.params.list, request.body.members, request.body.role as Role | undefined));

  app.get("/lists/:list/members", {
    schema: {
      operationId: "listMembers", summary: "List members", tags,
      description: "Members in the order they were added, of one role or all, a page at a time.",
      params: MembersParams,
      querystring: MemberListQuery,
      response: { 200: ref(MemberPage, "A page of members"), ...problems(400, 401, 404) },
    },
  }, async (request) => app.services.members.list(request.params.list, request.query as { role?: Role; limit?: number; cursor?: string }));

  app.get("/lists/:list/members/:address", {
    schema: {
      operationId: "getMember", summary: "Get a member", tags,
      description: "One address in one role (?role=, default member).",
      params: MemberParams,
      querystring: RoleQuery,
      response: { 200: ref(Member, "The member"), ...problems(400, 401, 404) },
    },
  }, async (request) => app.services.members.get(request.params.list, request.params.address, request.query.role as Role | undefined));

  app.patch("/lists/:list/members/:address", {
    schema: {
      operationId: "updateMember", summary: "Change a member's preferences", tags,
      description: "Changes display name, delivery status, moderation action or copy preferences of one address in one role.",
      params: MemberParams,
      querystring: RoleQuery,
      body: MemberPatch,
      response: { 200: ref(Member, "The member as changed"), ...problems(400, 401, 404) },
    },
  }, async (request) => app.services.members.update(
    request.params.list, request.params.address, (request.query.role ?? "member") as Role, request.body as MemberPreferences));

  app.delete("/lists/:list/members/:address", {
    schema: {
      operationId: "removeMember", summary: "Remove a member", tags,
      description: "Removes the address from the role (?role=, default member), without a goodbye message.",
      params: MemberParams,
      querystring: RoleQuery,
      response: { 204: described(NoContent, "Removed"), ...problems(400, 401, 404) },
    },
  }, async (request, reply) => {
    await app.services.members.remove(request.params.list, request.params.address, request.query.role as Role | undefined);
    return reply.code(204).send(null);
  });
};

export default plugin;
