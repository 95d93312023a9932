-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Action" AS ENUM ('accept', 'hold', 'reject', 'discard', 'defer');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('member', 'owner', 'moderator', 'nonmember');

-- CreateEnum
CREATE TYPE "DeliveryStatus" AS ENUM ('enabled', 'by_user', 'by_bounces', 'by_moderator');

-- CreateEnum
CREATE TYPE "ReplyToPolicy" AS ENUM ('no_munging', 'point_to_list', 'explicit_header', 'explicit_header_only');

-- CreateEnum
CREATE TYPE "ArchivePolicy" AS ENUM ('never', 'private', 'public');

-- CreateEnum
CREATE TYPE "DmarcAction" AS ENUM ('no_mitigation', 'munge_from', 'wrap_message', 'reject', 'discard');

-- CreateEnum
CREATE TYPE "Personalization" AS ENUM ('none', 'individual', 'full');

-- CreateEnum
CREATE TYPE "SubscriptionPolicy" AS ENUM ('open', 'confirm', 'moderate', 'confirm_then_moderate');

-- CreateEnum
CREATE TYPE "UnsubscriptionPolicy" AS ENUM ('open', 'confirm');

-- CreateEnum
CREATE TYPE "RosterVisibility" AS ENUM ('public', 'members', 'moderators');

-- CreateEnum
CREATE TYPE "UnrecognizedBounceTarget" AS ENUM ('no_one', 'administrators', 'site_owner');

-- CreateEnum
CREATE TYPE "QueueName" AS ENUM ('list', 'command', 'bounces', 'owner', 'out');

-- CreateEnum
CREATE TYPE "JobState" AS ENUM ('ready', 'running', 'done', 'shunt');

-- CreateEnum
CREATE TYPE "RequestKind" AS ENUM ('subscription', 'unsubscription');

-- CreateEnum
CREATE TYPE "RequestState" AS ENUM ('awaiting_confirmation', 'awaiting_moderation');

-- CreateEnum
CREATE TYPE "BounceKind" AS ENUM ('permanent', 'temporary');

-- CreateTable
CREATE TABLE "Domain" (
    "id" SERIAL NOT NULL,
    "mailHost" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "aliasDomain" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Domain_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MailingList" (
    "id" SERIAL NOT NULL,
    "listName" TEXT NOT NULL,
    "mailHost" TEXT NOT NULL,
    "listId" TEXT NOT NULL,
    "domainId" INTEGER NOT NULL,
    "displayName" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "subjectPrefix" TEXT NOT NULL,
    "advertised" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "postId" INTEGER NOT NULL DEFAULT 1,
    "defaultMemberAction" "Action" NOT NULL DEFAULT 'accept',
    "defaultNonmemberAction" "Action" NOT NULL DEFAULT 'hold',
    "moderatorPassword" TEXT,
    "emergency" BOOLEAN NOT NULL DEFAULT false,
    "maxMessageSize" INTEGER NOT NULL DEFAULT 40,
    "maxNumRecipients" INTEGER NOT NULL DEFAULT 10,
    "requireExplicitDestination" BOOLEAN NOT NULL DEFAULT true,
    "acceptableAliases" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "administrivia" BOOLEAN NOT NULL DEFAULT true,
    "headerMatches" JSONB NOT NULL DEFAULT '[]',
    "adminImmedNotify" BOOLEAN NOT NULL DEFAULT true,
    "adminNotifyMchanges" BOOLEAN NOT NULL DEFAULT false,
    "replyGoesToList" "ReplyToPolicy" NOT NULL DEFAULT 'no_munging',
    "replyToAddress" TEXT,
    "firstStripReplyTo" BOOLEAN NOT NULL DEFAULT false,
    "msgHeader" TEXT NOT NULL DEFAULT '',
    "msgFooter" TEXT NOT NULL DEFAULT '',
    "includeRfc2369Headers" BOOLEAN NOT NULL DEFAULT true,
    "allowListPosts" BOOLEAN NOT NULL DEFAULT true,
    "archivePolicy" "ArchivePolicy" NOT NULL DEFAULT 'public',
    "dmarcMitigateAction" "DmarcAction" NOT NULL DEFAULT 'munge_from',
    "dmarcMitigateUnconditionally" BOOLEAN NOT NULL DEFAULT false,
    "dmarcModerationNotice" TEXT NOT NULL DEFAULT '',
    "anonymousList" BOOLEAN NOT NULL DEFAULT false,
    "personalize" "Personalization" NOT NULL DEFAULT 'none',
    "collapseAlternatives" BOOLEAN NOT NULL DEFAULT true,
    "subscriptionPolicy" "SubscriptionPolicy" NOT NULL DEFAULT 'confirm',
    "unsubscriptionPolicy" "UnsubscriptionPolicy" NOT NULL DEFAULT 'confirm',
    "memberRosterVisibility" "RosterVisibility" NOT NULL DEFAULT 'moderators',
    "sendWelcomeMessage" BOOLEAN NOT NULL DEFAULT true,
    "sendGoodbyeMessage" BOOLEAN NOT NULL DEFAULT true,
    "processBounces" BOOLEAN NOT NULL DEFAULT true,
    "bounceScoreThreshold" INTEGER NOT NULL DEFAULT 5,
    "bounceInfoStaleAfter" INTEGER NOT NULL DEFAULT 604800,
    "bounceYouAreDisabledWarnings" INTEGER NOT NULL DEFAULT 3,
    "bounceYouAreDisabledWarningsInterval" INTEGER NOT NULL DEFAULT 604800,
    "bounceNotifyOwnerOnDisable" BOOLEAN NOT NULL DEFAULT true,
    "bounceNotifyOwnerOnRemoval" BOOLEAN NOT NULL DEFAULT true,
    "forwardUnrecognizedBouncesTo" "UnrecognizedBounceTarget" NOT NULL DEFAULT 'administrators',

    CONSTRAINT "MailingList_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Member" (
    "id" SERIAL NOT NULL,
    "listId" INTEGER NOT NULL,
    "address" TEXT NOT NULL,
    "addressKey" TEXT NOT NULL,
    "displayName" TEXT NOT NULL DEFAULT '',
    "role" "Role" NOT NULL DEFAULT 'member',
    "deliveryStatus" "DeliveryStatus" NOT NULL DEFAULT 'enabled',
    "moderationAction" "Action",
    "receiveOwnPostings" BOOLEAN NOT NULL DEFAULT true,
    "receiveListCopy" BOOLEAN NOT NULL DEFAULT true,
    "bounceScore" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "lastBounceReceived" TIMESTAMPTZ(3),
    "lastWarningSent" TIMESTAMPTZ(3),
    "totalWarningsSent" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Member_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Message" (
    "id" BIGSERIAL NOT NULL,
    "messageId" TEXT NOT NULL,
    "messageIdHash" TEXT NOT NULL,
    "mailFrom" TEXT NOT NULL,
    "rcptTo" TEXT[],
    "size" INTEGER NOT NULL,
    "raw" BYTEA NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Job" (
    "id" BIGSERIAL NOT NULL,
    "queue" "QueueName" NOT NULL,
    "state" "JobState" NOT NULL DEFAULT 'ready',
    "messageId" BIGINT,
    "listId" TEXT,
    "recipient" TEXT,
    "data" JSONB NOT NULL DEFAULT '{}',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "runAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedAt" TIMESTAMPTZ(3),
    "lockedBy" TEXT,
    "lastError" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HeldMessage" (
    "id" SERIAL NOT NULL,
    "listId" INTEGER NOT NULL,
    "messageId" BIGINT NOT NULL,
    "sender" TEXT NOT NULL,
    "subject" TEXT NOT NULL DEFAULT '',
    "reason" TEXT NOT NULL,
    "context" JSONB NOT NULL DEFAULT '{}',
    "heldAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "HeldMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SubscriptionRequest" (
    "id" SERIAL NOT NULL,
    "token" TEXT NOT NULL,
    "listId" INTEGER NOT NULL,
    "kind" "RequestKind" NOT NULL,
    "address" TEXT NOT NULL,
    "addressKey" TEXT NOT NULL,
    "displayName" TEXT NOT NULL DEFAULT '',
    "state" "RequestState" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SubscriptionRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ArchivedMessage" (
    "id" BIGSERIAL NOT NULL,
    "listId" INTEGER NOT NULL,
    "messageId" TEXT NOT NULL,
    "messageIdHash" TEXT NOT NULL,
    "raw" BYTEA NOT NULL,
    "archivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ArchivedMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BounceEvent" (
    "id" BIGSERIAL NOT NULL,
    "listId" INTEGER NOT NULL,
    "address" TEXT NOT NULL,
    "addressKey" TEXT NOT NULL,
    "messageId" TEXT NOT NULL DEFAULT '',
    "kind" "BounceKind" NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "processed" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BounceEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Domain_mailHost_key" ON "Domain"("mailHost");

-- CreateIndex
CREATE UNIQUE INDEX "MailingList_listId_key" ON "MailingList"("listId");

-- CreateIndex
CREATE INDEX "MailingList_mailHost_id_idx" ON "MailingList"("mailHost", "id");

-- CreateIndex
CREATE UNIQUE INDEX "MailingList_listName_mailHost_key" ON "MailingList"("listName", "mailHost");

-- CreateIndex
CREATE INDEX "Member_addressKey_idx" ON "Member"("addressKey");

-- CreateIndex
CREATE INDEX "Member_listId_id_idx" ON "Member"("listId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Member_listId_role_addressKey_key" ON "Member"("listId", "role", "addressKey");

-- CreateIndex
CREATE INDEX "Message_messageIdHash_idx" ON "Message"("messageIdHash");

-- CreateIndex
CREATE INDEX "Job_queue_state_runAt_idx" ON "Job"("queue", "state", "runAt");

-- CreateIndex
CREATE INDEX "Job_messageId_idx" ON "Job"("messageId");

-- CreateIndex
CREATE INDEX "Job_state_queue_idx" ON "Job"("state", "queue");

-- CreateIndex
CREATE INDEX "HeldMessage_listId_id_idx" ON "HeldMessage"("listId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "SubscriptionRequest_token_key" ON "SubscriptionRequest"("token");

-- CreateIndex
CREATE INDEX "SubscriptionRequest_listId_id_idx" ON "SubscriptionRequest"("listId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "ArchivedMessage_listId_messageIdHash_key" ON "ArchivedMessage"("listId", "messageIdHash");

-- CreateIndex
CREATE INDEX "BounceEvent_listId_addressKey_idx" ON "BounceEvent"("listId", "addressKey");

-- CreateIndex
CREATE INDEX "BounceEvent_processed_id_idx" ON "BounceEvent"("processed", "id");

-- AddForeignKey
ALTER TABLE "MailingList" ADD CONSTRAINT "MailingList_domainId_fkey" FOREIGN KEY ("domainId") REFERENCES "Domain"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Member" ADD CONSTRAINT "Member_listId_fkey" FOREIGN KEY ("listId") REFERENCES "MailingList"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HeldMessage" ADD CONSTRAINT "HeldMessage_listId_fkey" FOREIGN KEY ("listId") REFERENCES "MailingList"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SubscriptionRequest" ADD CONSTRAINT "SubscriptionRequest_listId_fkey" FOREIGN KEY ("listId") REFERENCES "MailingList"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ArchivedMessage" ADD CONSTRAINT "ArchivedMessage_listId_fkey" FOREIGN KEY ("listId") REFERENCES "MailingList"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BounceEvent" ADD CONSTRAINT "BounceEvent_listId_fkey" FOREIGN KEY ("listId") REFERENCES "MailingList"("id") ON DELETE CASCADE ON UPDATE CASCADE;

