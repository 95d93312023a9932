-- CreateEnum
CREATE TYPE "AutoReplyAction" AS ENUM ('hold', 'discard', 'defer');

-- AlterTable
ALTER TABLE "MailingList" ADD COLUMN     "autoReplyAction" "AutoReplyAction" NOT NULL DEFAULT 'hold';
