-- Archivers (issue 12): the archive job queue, per-list archiver switches, and the
-- built-in archive's index columns.

-- AlterEnum
ALTER TYPE "QueueName" ADD VALUE 'archive';

-- AlterTable: the switches Mailman's /3.1 archivers resource stored so far move to their own column.
ALTER TABLE "MailingList" ADD COLUMN "archivers" JSONB NOT NULL DEFAULT '{}';
UPDATE "MailingList" SET "archivers" = "mailmanSettings"->'archivers', "mailmanSettings" = "mailmanSettings" - 'archivers'
 WHERE jsonb_typeof("mailmanSettings"->'archivers') = 'object';

-- AlterTable
ALTER TABLE "ArchivedMessage" ADD COLUMN "subject" TEXT NOT NULL DEFAULT '',
ADD COLUMN "sender" TEXT NOT NULL DEFAULT '',
ADD COLUMN "sentAt" TIMESTAMPTZ(3),
ADD COLUMN "parentHash" TEXT,
ADD COLUMN "threadHash" TEXT NOT NULL DEFAULT '';
UPDATE "ArchivedMessage" SET "threadHash" = "messageIdHash";

-- CreateIndex
CREATE INDEX "ArchivedMessage_listId_threadHash_idx" ON "ArchivedMessage"("listId", "threadHash");
