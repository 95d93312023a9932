-- Templates per language, or stored as text through the native API (docs/templates.md).
ALTER TABLE "Template" ADD COLUMN "language" TEXT NOT NULL DEFAULT '';
ALTER TABLE "Template" ADD COLUMN "text" TEXT;
DROP INDEX "Template_scope_scopeKey_name_key";
CREATE UNIQUE INDEX "Template_scope_scopeKey_name_language_key" ON "Template"("scope", "scopeKey", "name", "language");

-- A list's language was stored with the other Mailman-only settings; now it is acted on.
ALTER TABLE "MailingList" ADD COLUMN "preferredLanguage" TEXT NOT NULL DEFAULT 'en';
-- Only a language code as the API takes it (src/domain/template-text.ts LANGUAGE_PATTERN,
-- at most 20 characters) is copied: the old setting was stored unchecked, and the
-- column names template directories. Any other value is dropped; the list keeps 'en'.
UPDATE "MailingList" SET "preferredLanguage" = "mailmanSettings"->>'preferred_language'
  WHERE jsonb_typeof("mailmanSettings"->'preferred_language') = 'string'
    AND length("mailmanSettings"->>'preferred_language') <= 20
    AND "mailmanSettings"->>'preferred_language' ~ '^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$';
UPDATE "MailingList" SET "mailmanSettings" = "mailmanSettings" - 'preferred_language'
  WHERE "mailmanSettings" ? 'preferred_language';
