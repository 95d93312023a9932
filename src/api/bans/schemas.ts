// Schemas for /bans and /lists/{list}/bans.
import { Type } from "typebox";
import { Page, PageQuery } from "../common/schemas.js";

export const Ban = Type.Object(
  {
    email: Type.String({ description: "A lower-cased address, or a regular expression starting with ^ (matched case-insensitively)" }),
    listId: Type.Union([Type.String(), Type.Null()], { description: "The list, or null for a global ban" }),
    createdAt: Type.String({ format: "date-time" }),
  },
  { $id: "Ban", title: "Ban", examples: [{ email: "^.*@spam\\.example$", listId: "mylist.example.com", createdAt: "2025-01-01T12:00:00.000Z" }] },
);

export const BanPage = Page(Ban, "BanPage");
export const BanListQuery = Type.Object(PageQuery, { additionalProperties: false });
export const NewBan = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 1000, description: "An address or a ^pattern" }) },
  { additionalProperties: false, title: "NewBan", examples: [{ email: "spammer@example.org" }, { email: "^.*@spam\\.example$" }] },
);
export const ListBanParams = Type.Object({ list: Type.String({ maxLength: 320 }), email: Type.String({ minLength: 1, maxLength: 1000 }) });
export const ListParams = Type.Object({ list: Type.String({ maxLength: 320 }) });
export const BanParams = Type.Object({ email: Type.String({ minLength: 1, maxLength: 1000 }) });
