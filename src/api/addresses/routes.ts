// /addresses: page through, read, change (display name, verified), delete, their
// own preferences and their memberships.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { described, NoContent, problems, ref } from "../common/schemas.js";
import { OwnPreferences, PreferencePatch } from "../common/preferences.js";
import { Address, AddressListQuery, AddressPage, AddressParams, AddressPatch, Memberships } from "./schemas.js";

const tags = ["addresses"];

const plugin: FastifyPluginAsyncTypebox = async (app) => {

  app.get("/addresses", {
    schema: {
      operationId: "listAddresses", summary: "List addresses", tags,
      description: "Every known address, in the order first seen, a page at a time.",
      querystring: AddressListQuery,
      response: { 200: ref(AddressPage, "A page of addresses"), ...problems(400, 401) },
    },
  }, async (request) => app.services.addresses.list(request.query));

  app.get("/addresses/:email", {
    schema: {
      operationId: "getAddress", summary: "Get an address", tags,
      description: "Get an address.",
      params: AddressParams,
      response: { 200: ref(Address, "The address"), ...problems(401, 404) },
    },
  }, async (request) => app.services.addresses.get(request.params.email));

  app.patch("/addresses/:email", {
    schema: {
      operationId: "updateAddress", summary: "Change an address", tags,
      description: "Display name, or verified (true stamps verifiedOn if unset; false clears it).",
      params: AddressParams,
      body: AddressPatch,
      response: { 200: ref(Address, "The address as changed"), ...problems(400, 401, 404) },
    },
  }, async (request) => app.services.addresses.update(request.params.email, request.body));

  app.delete("/addresses/:email", {
    schema: {
      operationId: "deleteAddress", summary: "Delete an address", tags,
      description: "Deletes the address and every membership delivering to it.",
      params: AddressParams,
      response: { 204: described(NoContent, "Deleted"), ...problems(401, 404) },
    },
  }, async (request, reply) => {
    await app.services.addresses.remove(request.params.email);
    return reply.code(204).send(null);
  });

  app.get("/addresses/:email/preferences", {
    schema: {
      operationId: "getAddressPreferences", summary: "An address's own preferences", tags,
      description: "An address's own preferences.",
      params: AddressParams,
      response: { 200: ref(OwnPreferences, "Preferences set on the address"), ...problems(401, 404) },
    },
  }, async (request) => app.services.addresses.preferences(request.params.email));

  app.patch("/addresses/:email/preferences", {
    schema: {
      operationId: "updateAddressPreferences", summary: "Set or unset an address's preferences", tags,
      description: "Set or unset an address's preferences.",
      params: AddressParams,
      body: PreferencePatch,
      response: { 200: ref(OwnPreferences, "Preferences set on the address"), ...problems(400, 401, 404) },
    },
  }, async (request) => app.services.addresses.setPreferences(request.params.email, request.body));

  app.get("/addresses/:email/memberships", {
    schema: {
      operationId: "getAddressMemberships", summary: "Memberships delivering to an address", tags,
      description: "Memberships delivering to an address.",
      params: AddressParams,
      response: { 200: described(Memberships, "Lists and roles"), ...problems(401, 404) },
    },
  }, async (request) => ({ items: await app.services.addresses.memberships(request.params.email) }));
};

export default plugin;
