// /users: create, page through, read, change (name, password, preferred address),
// delete; their addresses, own preferences, and a password check.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { described, NoContent, problems, ref } from "../common/schemas.js";
import { OwnPreferences, PreferencePatch } from "../common/preferences.js";
import { Address, AddressList } from "../addresses/schemas.js";
import { LinkAddress, Login, NewUser, User, UserListQuery, UserPage, UserParams, UserPatch } from "./schemas.js";
import { Type } from "typebox";

const tags = ["users"];

const plugin: FastifyPluginAsyncTypebox = async (app) => {

  app.post("/users", {
    schema: {
      operationId: "createUser", summary: "Create a user", tags,
      description: "A user, with a first address when `email` is given (409 if that address already has a user).",
      body: NewUser,
      response: { 201: ref(User, "The new user"), ...problems(400, 401, 409) },
    },
  }, async (request, reply) => {
    const u = await app.services.users.create(request.body);
    return reply.code(201).header("location", `/users/${u.userId}`).send(u);
  });

  app.get("/users", {
    schema: {
      operationId: "listUsers", summary: "List users", tags,
      description: "List app.services.users.",
      querystring: UserListQuery,
      response: { 200: ref(UserPage, "A page of users"), ...problems(400, 401) },
    },
  }, async (request) => app.services.users.list(request.query));

  app.get("/users/:user", {
    schema: {
      operationId: "getUser", summary: "Get a user", tags,
      description: "By user id, or by one of the user's addresses.",
      params: UserParams,
      response: { 200: ref(User, "The user"), ...problems(401, 404) },
    },
  }, async (request) => app.services.users.get(request.params.user));

  app.patch("/users/:user", {
    schema: {
      operationId: "updateUser", summary: "Change a user", tags,
      description: "Display name, password, server-owner flag, or preferred address (a verified address of the user); " +
        "memberships of the user move to the new preferred address.",
      params: UserParams,
      body: UserPatch,
      response: { 200: ref(User, "The user as changed"), ...problems(400, 401, 404, 409) },
    },
  }, async (request) => app.services.users.update(request.params.user, request.body));

  app.delete("/users/:user", {
    schema: {
      operationId: "deleteUser", summary: "Delete a user", tags,
      description: "Deletes the user, its addresses and every membership of them (as Mailman does).",
      params: UserParams,
      response: { 204: described(NoContent, "Deleted"), ...problems(401, 404) },
    },
  }, async (request, reply) => {
    await app.services.users.remove(request.params.user);
    return reply.code(204).send(null);
  });

  app.get("/users/:user/addresses", {
    schema: {
      operationId: "getUserAddresses", summary: "A user's addresses", tags,
      description: "A user's addresses.",
      params: UserParams,
      response: { 200: described(AddressList, "The addresses"), ...problems(401, 404) },
    },
  }, async (request) => ({ items: await app.services.users.addresses(request.params.user) }));

  app.post("/users/:user/addresses", {
    schema: {
      operationId: "linkUserAddress", summary: "Add an address to a user", tags,
      description: "Creates the address if unknown and links it; 409 if another user has it (unless absorb).",
      params: UserParams,
      body: LinkAddress,
      response: { 201: ref(Address, "The linked address"), ...problems(400, 401, 404, 409) },
    },
  }, async (request, reply) => {
    const { email, ...opts } = request.body;
    const a = await app.services.users.linkAddress(request.params.user, email, opts);
    return reply.code(201).header("location", `/addresses/${encodeURIComponent(a.email)}`).send(a);
  });

  app.get("/users/:user/preferences", {
    schema: {
      operationId: "getUserPreferences", summary: "A user's own preferences", tags,
      description: "A user's own preferences.",
      params: UserParams,
      response: { 200: ref(OwnPreferences, "Preferences set on the user"), ...problems(401, 404) },
    },
  }, async (request) => app.services.users.preferences(request.params.user));

  app.patch("/users/:user/preferences", {
    schema: {
      operationId: "updateUserPreferences", summary: "Set or unset a user's preferences", tags,
      description: "Set or unset a user's preferences.",
      params: UserParams,
      body: PreferencePatch,
      response: { 200: ref(OwnPreferences, "Preferences set on the user"), ...problems(400, 401, 404) },
    },
  }, async (request) => app.services.users.setPreferences(request.params.user, request.body));

  app.post("/users/:user/login", {
    schema: {
      operationId: "checkUserPassword", summary: "Check a user's password", tags,
      description: "Check a user's password.",
      params: UserParams,
      body: Login,
      response: { 200: described(Type.Object({ valid: Type.Boolean() }), "Whether the password matches"), ...problems(400, 401, 404) },
    },
  }, async (request) => ({ valid: await app.services.users.login(request.params.user, request.body.password) }));
};

export default plugin;
