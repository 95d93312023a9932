// Request validation with two ajv instances: query strings and path parameters are
// text, so they are coerced ("?limit=2" → 2); JSON bodies are not, so `"maxMessageSize":"5"`
// or `"moderatorPassword":5` is a 400 rather than silently converted. Neither drops
// unknown properties (Fastify's default does): the contract wants a 400 for them.
// PostgreSQL cannot store NUL in text, so a NUL anywhere in the input is refused here
// rather than failing in the database as a 500; so is input nested deeper than any
// request needs (JSON.parse takes 100,000 levels, a recursive walk would not).
import { Ajv, type Options } from "ajv";
import addFormatsModule from "ajv-formats";
import type { FastifyInstance, FastifySchema } from "fastify";
import { invalid } from "../domain/errors.js";

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const COMMON: Options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false };

/** Deepest nesting any request takes: bulk members are 3 levels (body, members, entry). */
export const MAX_DEPTH = 32;

/**
 * Why `value` cannot be taken ("body.members/3/displayName contains a NUL
 * character"), or null. Iterative, with its own stack, and stops at MAX_DEPTH.
 */
export function inputProblem(value: unknown, path: string): string | null {
  const stack: [unknown, string, number][] = [[value, path, 0]];
  while (stack.length) {
    const [v, at, depth] = stack.pop()!;
    if (typeof v === "string") {
      if (v.includes("\0")) return `${at} contains a NUL character`;
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (depth >= MAX_DEPTH) return `${at} is nested more than ${MAX_DEPTH} levels deep`;
    const entries = Object.entries(v);
    // Pushed in reverse so that the first offending field is the one named.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      if (key.includes("\0")) return `${at} contains a NUL character`;
      stack.push([child, `${at}/${key}`, depth + 1]);
    }
  }
  return null;
}

export function registerValidation(app: FastifyInstance): void {
  app.addHook("preValidation", async (request) => {
    const why = inputProblem(request.params, "params") ?? inputProblem(request.query, "querystring") ?? inputProblem(request.body, "body");
    if (why) throw invalid(why);
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
