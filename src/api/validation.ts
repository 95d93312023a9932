// Request validation with two ajv instances: query strings and path parameters are
// text, so they are coerced ("?limit=2" → 2); JSON bodies are not, so `"maxMessageSize":"5"`
// or `"moderatorPassword":5` is a 400 rather than silently converted. Neither drops
// unknown properties (Fastify's default does): the contract wants a 400 for them.
// PostgreSQL cannot store NUL in text, so a NUL anywhere in the input is refused here
// rather than failing in the database as a 500.
import { Ajv, type Options } from "ajv";
import addFormatsModule from "ajv-formats";
import type { FastifyInstance, FastifySchema } from "fastify";
import { invalid } from "../domain/errors.js";

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const COMMON: Options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false };

/** The path (`body.members/3/displayName`) of the first string holding a NUL, or null. */
function findNul(value: unknown, path: string): string | null {
  if (typeof value === "string") return value.includes("\0") ? path : null;
  if (value === null || typeof value !== "object") return null;
  for (const [key, v] of Object.entries(value)) {
    if (key.includes("\0")) return path;
    const found = findNul(v, `${path}/${key}`);
    if (found) return found;
  }
  return null;
}

export function registerValidation(app: FastifyInstance): void {
  app.addHook("preValidation", async (request) => {
    const where = findNul(request.params, "params") ?? findNul(request.query, "querystring") ?? findNul(request.body, "body");
    if (where) throw invalid(`${where} contains a NUL character`);
  });
  const bodies = addFormats(new Ajv({ ...COMMON, coerceTypes: false }));
  const text = addFormats(new Ajv({ ...COMMON, coerceTypes: "array" }));
  const added = new Set<string>();
  app.setValidatorCompiler(({ schema, httpPart }) => {
    // Shared schemas (app.addSchema) may be referenced by $ref: give both instances every one.
    for (const [id, shared] of Object.entries(app.getSchemas())) {
      if (added.has(id)) continue;
      added.add(id);
      bodies.addSchema(shared as object);
      text.addSchema(shared as object);
    }
    const ajv = httpPart === "body" ? bodies : text;
    const id = (schema as FastifySchema & { $id?: string }).$id;
    return (id && ajv.getSchema(id)) || ajv.compile(schema as object);
  });
}
