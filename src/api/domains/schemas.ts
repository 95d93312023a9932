// Schemas for /domains: what a client sends and what it gets back.
import { Type } from "typebox";

const host = (description: string, example: string) =>
  Type.String({ minLength: 1, maxLength: 253, description, examples: [example] });

export const Domain = Type.Object(
  {
    mailHost: host("Lower-case mail host", "example.com"),
    description: Type.String({ description: "Free text for operators" }),
    aliasDomain: Type.Union([Type.String(), Type.Null()], {
      description: "Postfix virtual alias domain (Mailman's alias_domain): list@mailHost is mapped to list@aliasDomain",
    }),
    createdAt: Type.String({ format: "date-time" }),
  },
  {
    $id: "Domain",
    title: "Domain",
    examples: [{ mailHost: "example.com", description: "Example lists", aliasDomain: null, createdAt: "2025-01-01T12:00:00.000Z" }],
  },
);

export const NewDomain = Type.Object(
  {
    mailHost: host("The mail host; case and a trailing dot are normalised", "example.com"),
    description: Type.Optional(Type.String({ maxLength: 1000, examples: ["Example lists"] })),
    aliasDomain: Type.Optional(Type.Union([host("Alias domain for Postfix virtual_alias_maps", "lists.example.net"), Type.Null()])),
  },
  { additionalProperties: false, title: "NewDomain", examples: [{ mailHost: "example.com", description: "Example lists" }] },
);

export const DomainPatch = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    aliasDomain: Type.Optional(Type.Union([host("Alias domain; null removes it", "lists.example.net"), Type.Null()])),
  },
  { additionalProperties: false, title: "DomainPatch", examples: [{ aliasDomain: "lists.example.net" }] },
);

export const DomainList = Type.Object(
  { items: Type.Array(Type.Ref("Domain")), total: Type.Integer() },
  { $id: "DomainList", title: "DomainList", examples: [{ items: [{ mailHost: "example.com", description: "", aliasDomain: null, createdAt: "2025-01-01T12:00:00.000Z" }], total: 1 }] },
);

export const MailHostParams = Type.Object({
  mailHost: Type.String({ minLength: 1, maxLength: 253, description: "The domain's mail host", examples: ["example.com"] }),
});
