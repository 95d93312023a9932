// Schemas shared by every resource: the RFC 9457 problem document, pagination query
// and page wrapper, and the standard error responses an operation documents.
import { Type, type TSchema } from "typebox";

export const Problem = Type.Object(
  {
    type: Type.String({ description: "URI naming the kind of problem (urn:mailroom:problem:<code>)" }),
    title: Type.String({ description: "Short summary of the kind of problem" }),
    status: Type.Integer({ description: "HTTP status code" }),
    detail: Type.String({ description: "What went wrong with this request" }),
    code: Type.Optional(Type.String({ description: "Stable error code (see docs/api.md)" })),
  },
  {
    $id: "Problem",
    title: "Problem",
    description: "An RFC 9457 problem document (media type application/problem+json).",
    examples: [{ type: "urn:mailroom:problem:not-found", title: "Not found", status: 404, detail: "list nosuch.example.com does not exist", code: "not-found" }],
  },
);

/**
 * Text that goes into a header of mail mailroom sends (display names, the subject
 * prefix): one line, so a CR or LF is a 400 and what is stored is what goes out.
 */
export const ONE_LINE = "^[^\\r\\n]*$";
export const oneLine = (opts: { minLength?: number; maxLength: number; description?: string; examples?: string[] }) =>
  Type.String({ ...opts, pattern: ONE_LINE, description: `${opts.description ? `${opts.description}. ` : ""}One line: no CR or LF` });

/** Error responses by status, each documented as an application/problem+json document. */
export function problems(...statuses: (400 | 401 | 404 | 409 | 503)[]): Record<number, TSchema> {
  const describe: Record<number, string> = {
    400: "Invalid input (schema violation, unknown field, malformed JSON, bad address)",
    401: "Missing or wrong HTTP Basic credentials",
    404: "No such resource",
    409: "Already exists",
    503: "The MTA's files (Postfix maps, Exim or Sendmail files) or the database could not be updated, or the database is not available now (down, starting up, in recovery); nothing was changed. Carries Retry-After",
  };
  const out: Record<number, TSchema> = {};
  for (const s of statuses) {
    out[s] = { description: describe[s], content: { "application/problem+json": { schema: Type.Ref("Problem") } } } as unknown as TSchema;
  }
  return out;
}

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: "Items per page (1–1000)" })),
  cursor: Type.Optional(Type.String({ maxLength: 100, description: "The nextCursor of the previous page", examples: ["aWQ6NTA"] })),
};

/**
 * `{items, total, nextCursor?}` around an item schema. An item schema with an `$id`
 * is a component (see components.ts) and is referred to, not copied.
 */
export function Page(item: TSchema, name: string) {
  const { examples, $id } = item as { examples?: unknown[]; $id?: string };
  const example = examples?.[0];
  return Type.Object(
    {
      items: Type.Array($id ? Type.Ref($id) : item),
      total: Type.Integer({ description: "Number of items across all pages" }),
      nextCursor: Type.Optional(Type.String({ description: "Pass as ?cursor= for the next page; absent on the last page" })),
    },
    {
      $id: $id ? name : undefined,
      title: name,
      description: `A page of ${name.replace(/Page$/, "")} items in creation order`,
      examples: example ? [{ items: [example], total: 120, nextCursor: "aWQ6NTA" }] : undefined,
    },
  );
}

/** A success response schema with the description OpenAPI shows for it. */
export function described<T extends TSchema>(schema: T, description: string): T {
  return { ...schema, description };
}

/** A response that refers to a component schema (one with an `$id`, listed in components.ts). */
export function ref(schema: TSchema, description: string): TSchema {
  const id = (schema as { $id?: string }).$id;
  if (!id) throw new Error("ref() needs a schema with an $id");
  return Type.Ref(id, { description });
}

export const NoContent = Type.Null({ description: "Done; no body" });
