// Schemas for /templates, /domains/{domain}/templates and /lists/{list}/templates.
import { Type } from "typebox";
import { TEMPLATE_NAMES } from "../../domain/template-text.js";

const language = Type.String({ minLength: 2, maxLength: 20, pattern: "^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$", description: "Language code, e.g. de" });
export const TemplateNameSchema = Type.Enum([...TEMPLATE_NAMES], { description: "Mailman's template name (docs/templates.md)" });

export const TemplateOverride = Type.Object(
  {
    name: Type.String({ description: "Mailman's template name" }),
    language: Type.String({ description: "The language it is for; \"\" for every language" }),
    text: Type.Union([Type.String(), Type.Null()], { description: "The template itself; null when it is fetched from uri" }),
    uri: Type.String({ description: "http(s), file: (under MAILROOM_TEMPLATE_DIR) or mailman:/// URI; \"\" when text is set" }),
    username: Type.String({ description: "Basic auth user for an http(s) URI, \"\" for none" }),
  },
  { examples: [{ name: "list:user:notice:welcome", language: "de", text: "Hallo $user_name, willkommen auf $display_name!", uri: "", username: "" }] },
);

export const TemplateOverrides = Type.Object({
  items: Type.Array(TemplateOverride),
  total: Type.Integer({ description: "Number of overrides" }),
});

export const NewTemplateOverride = Type.Object(
  {
    language: Type.Optional(language),
    text: Type.Optional(Type.String({ maxLength: 100_000, description: "The template, with $-placeholders" })),
    uri: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, pattern: "^(https?|file|mailman):", description: "Where to fetch it (Mailman's uris); may hold $language, $list_id, $listname, $domain_name" })),
    username: Type.Optional(Type.String({ maxLength: 200 })),
    password: Type.Optional(Type.String({ maxLength: 200, description: "Write-only" })),
  },
  {
    additionalProperties: false, title: "NewTemplateOverride",
    description: "Exactly one of text and uri. Without language, the override is for every language.",
    examples: [{ language: "de", text: "Willkommen auf $display_name, $user_name!" }, { uri: "https://example.org/templates/$language/welcome.txt" }],
  },
);

export const ResolvedTemplate = Type.Object(
  {
    name: TemplateNameSchema,
    language: Type.String({ description: "The language it was found in" }),
    source: Type.Enum(["list", "domain", "site", "builtin"], { description: "Where it was found" }),
    text: Type.String({ description: "The template before substitution" }),
  },
  { examples: [{ name: "list:user:notice:welcome", language: "en", source: "builtin", text: "Welcome to the $display_name mailing list, $user_name.\n" }] },
);

export const TemplateQuery = Type.Object({ language: Type.Optional(language) }, { additionalProperties: false });
export const DropQuery = Type.Object({ language: Type.Optional(language) }, { additionalProperties: false });
const ref = { maxLength: 320 };
export const SiteParams = Type.Object({ name: TemplateNameSchema });
export const DomainParams = Type.Object({ domain: Type.String({ maxLength: 253 }) });
export const DomainNameParams = Type.Object({ domain: Type.String({ maxLength: 253 }), name: TemplateNameSchema });
export const ListParams = Type.Object({ list: Type.String(ref) });
export const ListNameParams = Type.Object({ list: Type.String(ref), name: TemplateNameSchema });
