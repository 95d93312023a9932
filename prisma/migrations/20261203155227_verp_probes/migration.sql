-- Mailman's verp_probes: a probe confirms a bounce-disable (issue 15).

-- CreateEnum
CREATE TYPE "BounceContext" AS ENUM ('normal', 'probe');

-- AlterTable
ALTER TABLE "MailingList" ADD COLUMN "verpProbes" BOOLEAN;

-- AlterTable
ALTER TABLE "BounceEvent" ADD COLUMN "context" "BounceContext" NOT NULL DEFAULT 'normal';

-- CreateTable
CREATE TABLE "BounceProbe" (
    "id" SERIAL NOT NULL,
    "token" TEXT NOT NULL,
    "listId" INTEGER NOT NULL,
    "address" TEXT NOT NULL,
    "addressKey" TEXT NOT NULL,
    "bounceMessageId" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "BounceProbe_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "BounceProbe_token_key" ON "BounceProbe"("token");

-- CreateIndex
CREATE INDEX "BounceProbe_listId_addressKey_idx" ON "BounceProbe"("listId", "addressKey");

-- AddForeignKey
ALTER TABLE "BounceProbe" ADD CONSTRAINT "BounceProbe_listId_fkey" FOREIGN KEY ("listId") REFERENCES "MailingList"("id") ON DELETE CASCADE ON UPDATE CASCADE;
