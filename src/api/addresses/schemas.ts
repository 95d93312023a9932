// Schemas for /addresses: the address object, its patch, memberships.
import { Type } from "typebox";
import { Page, PageQuery } from "../common/schemas.js";

export const Address = Type.Object(
  {
    email: Type.String({ description: "The spelling first given" }),
    displayName: Type.String(),
    verifiedOn: Type.Union([Type.String({ format: "date-time" }), Type.Null()], { description: "When the address was verified; null: not verified" }),
    registeredOn: Type.String({ format: "date-time" }),
    userId: Type.Union([Type.String({ format: "uuid" }), Type.Null()], { description: "The linked user, or null" }),
  },
  {
    $id: "Address", title: "Address",
    examples: [{ email: "Anne@example.com", displayName: "Anne Person", verifiedOn: "2025-01-01T12:00:00.000Z", registeredOn: "2025-01-01T12:00:00.000Z", userId: null }],
  },
);

export const AddressPage = Page(Address, "AddressPage");
export const AddressList = Type.Object({ items: Type.Array(Type.Ref("Address")) }, { title: "AddressList" });
export const AddressListQuery = Type.Object(PageQuery, { additionalProperties: false });

export const AddressParams = Type.Object({ email: Type.String({ minLength: 1, maxLength: 254, description: "The address (any case)" }) });

export const AddressPatch = Type.Object(
  {
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    verified: Type.Optional(Type.Boolean({ description: "true stamps verifiedOn (once); false clears it" })),
  },
  { additionalProperties: false, title: "AddressPatch", examples: [{ verified: true }] },
);

export const Memberships = Type.Object(
  {
    items: Type.Array(Type.Object({
      listId: Type.String(), role: Type.Enum(["member", "owner", "moderator", "nonmember"]), address: Type.String(), memberId: Type.Integer(),
    })),
  },
  { title: "Memberships", examples: [{ items: [{ listId: "mylist.example.com", role: "member", address: "anne@example.com", memberId: 1 }] }] },
);
