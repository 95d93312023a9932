-- Templates per language, or stored as text through the native API (docs/templates.md).
ALTER TABLE "Template" ADD COLUMN "language" TEXT NOT NULL DEFAULT '';
ALTER TABLE "Template" ADD COLUMN "text" TEXT;
DROP INDEX "Template_scope_scopeKey_name_key";
CREATE UNIQUE INDEX "Template_scope_scopeKey_name_language_key" ON "Template"("scope", "scopeKey", "name", "language");

-- A list's language was stored with the other Mailman-only settings; now it is acted on.
ALTER TABLE "MailingList" ADD COLUMN "preferredLanguage" TEXT NOT NULL DEFAULT 'en';
UPDATE "MailingList" SET "preferredLanguage" = "mailmanSettings"->>'preferred_language',
  "mailmanSettings" = "mailmanSettings" - 'preferred_language'
  WHERE "mailmanSettings" ? 'preferred_language' AND jsonb_typeof("mailmanSettings"->'preferred_language') = 'string';
