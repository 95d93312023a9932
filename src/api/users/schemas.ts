// Schemas for /users: the user object, create, patch, an address to link, login.
import { Type } from "typebox";
import { Page, PageQuery } from "../common/schemas.js";

const USER_ID = "4a1c0d3e-5a0b-4f9a-9b6e-0c8e2f1d7a55";

export const User = Type.Object(
  {
    userId: Type.String({ format: "uuid", description: "Mailman's user_id" }),
    displayName: Type.String(),
    createdAt: Type.String({ format: "date-time" }),
    isServerOwner: Type.Boolean(),
    preferredAddress: Type.Union([Type.String(), Type.Null()], { description: "The preferred address; memberships of the user deliver there" }),
    password: Type.Union([Type.String(), Type.Null()], { description: "The password's scrypt hash, or null" }),
  },
  {
    $id: "User", title: "User",
    examples: [{ userId: USER_ID, displayName: "Anne Person", createdAt: "2025-01-01T12:00:00.000Z", isServerOwner: false, preferredAddress: "anne@example.com", password: null }],
  },
);

export const UserPage = Page(User, "UserPage");
export const UserListQuery = Type.Object(PageQuery, { additionalProperties: false });

export const UserParams = Type.Object({
  user: Type.String({ minLength: 1, maxLength: 254, description: "The user id, or one of the user's addresses" }),
});

const displayName = Type.String({ maxLength: 200, examples: ["Anne Person"] });
const password = Type.String({ minLength: 1, maxLength: 1000, description: "Stored as an scrypt hash" });

export const NewUser = Type.Object(
  {
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 254, description: "A first address (created and linked)" })),
    displayName: Type.Optional(displayName),
    password: Type.Optional(password),
    isServerOwner: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, title: "NewUser", examples: [{ email: "anne@example.com", displayName: "Anne Person", password: "secret" }] },
);

export const UserPatch = Type.Object(
  {
    displayName: Type.Optional(displayName),
    password: Type.Optional(password),
    isServerOwner: Type.Optional(Type.Boolean()),
    preferredAddress: Type.Optional(Type.Union([Type.String({ maxLength: 254 }), Type.Null()], {
      description: "One of the user's verified addresses; null: none",
    })),
  },
  { additionalProperties: false, title: "UserPatch", examples: [{ preferredAddress: "anne@example.com" }] },
);

export const LinkAddress = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254 }),
    displayName: Type.Optional(displayName),
    absorb: Type.Optional(Type.Boolean({ description: "Take the address over from another user instead of a 409" })),
  },
  { additionalProperties: false, title: "LinkAddress", examples: [{ email: "anne@work.example.com" }] },
);

export const Login = Type.Object(
  { password: Type.String({ maxLength: 1000 }) },
  { additionalProperties: false, title: "Login", examples: [{ password: "secret" }] },
);
