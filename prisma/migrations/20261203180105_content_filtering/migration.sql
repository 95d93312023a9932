-- Content filtering and the suspicious-header and news-moderation rules (issue 15):
-- settings the Mailman API stored in mailmanSettings become columns.

-- CreateEnum
CREATE TYPE "FilterAction" AS ENUM ('hold', 'reject', 'discard', 'accept', 'defer', 'forward', 'preserve');

-- CreateEnum
CREATE TYPE "NewsgroupModeration" AS ENUM ('none', 'open_moderated', 'moderated');

-- AlterTable
ALTER TABLE "MailingList" ADD COLUMN     "bounceMatchingHeaders" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "convertHtmlToPlaintext" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "filterAction" "FilterAction" NOT NULL DEFAULT 'discard',
ADD COLUMN     "filterContent" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "filterExtensions" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "filterTypes" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "newsgroupModeration" "NewsgroupModeration" NOT NULL DEFAULT 'none',
ADD COLUMN     "passExtensions" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "passTypes" TEXT[] DEFAULT ARRAY[]::TEXT[];


-- What the Mailman API stored so far moves into the columns, so no setting is lost.
UPDATE "MailingList" SET
  "filterContent" = COALESCE(("mailmanSettings"->>'filter_content')::boolean, "filterContent"),
  "convertHtmlToPlaintext" = COALESCE(("mailmanSettings"->>'convert_html_to_plaintext')::boolean, "convertHtmlToPlaintext"),
  "filterAction" = COALESCE(("mailmanSettings"->>'filter_action')::"FilterAction", "filterAction"),
  "newsgroupModeration" = COALESCE(("mailmanSettings"->>'newsgroup_moderation')::"NewsgroupModeration", "newsgroupModeration"),
  "filterTypes" = CASE WHEN jsonb_typeof("mailmanSettings"->'filter_types') = 'array'
    THEN ARRAY(SELECT jsonb_array_elements_text("mailmanSettings"->'filter_types')) ELSE "filterTypes" END,
  "passTypes" = CASE WHEN jsonb_typeof("mailmanSettings"->'pass_types') = 'array'
    THEN ARRAY(SELECT jsonb_array_elements_text("mailmanSettings"->'pass_types')) ELSE "passTypes" END,
  "filterExtensions" = CASE WHEN jsonb_typeof("mailmanSettings"->'filter_extensions') = 'array'
    THEN ARRAY(SELECT jsonb_array_elements_text("mailmanSettings"->'filter_extensions')) ELSE "filterExtensions" END,
  "passExtensions" = CASE WHEN jsonb_typeof("mailmanSettings"->'pass_extensions') = 'array'
    THEN ARRAY(SELECT jsonb_array_elements_text("mailmanSettings"->'pass_extensions')) ELSE "passExtensions" END,
  "mailmanSettings" = "mailmanSettings" - ARRAY['filter_content', 'convert_html_to_plaintext', 'filter_action',
    'newsgroup_moderation', 'filter_types', 'pass_types', 'filter_extensions', 'pass_extensions'];
