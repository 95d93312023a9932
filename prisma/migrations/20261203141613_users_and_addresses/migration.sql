-- CreateEnum
CREATE TYPE "DeliveryMode" AS ENUM ('regular', 'plaintext_digests', 'mime_digests', 'summary_digests');

-- AlterTable
ALTER TABLE "Member" ADD COLUMN     "acknowledgePosts" BOOLEAN,
ADD COLUMN     "addressId" INTEGER,
ADD COLUMN     "deliveryMode" "DeliveryMode",
ADD COLUMN     "hideAddress" BOOLEAN,
ADD COLUMN     "preferredLanguage" TEXT,
ADD COLUMN     "userId" INTEGER,
ALTER COLUMN "deliveryStatus" DROP NOT NULL,
ALTER COLUMN "deliveryStatus" DROP DEFAULT,
ALTER COLUMN "receiveOwnPostings" DROP NOT NULL,
ALTER COLUMN "receiveOwnPostings" DROP DEFAULT,
ALTER COLUMN "receiveListCopy" DROP NOT NULL,
ALTER COLUMN "receiveListCopy" DROP DEFAULT;

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "uid" UUID NOT NULL DEFAULT gen_random_uuid(),
    "displayName" TEXT NOT NULL DEFAULT '',
    "passwordHash" TEXT,
    "isServerOwner" BOOLEAN NOT NULL DEFAULT false,
    "preferredAddressId" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveryMode" "DeliveryMode",
    "deliveryStatus" "DeliveryStatus",
    "receiveOwnPostings" BOOLEAN,
    "receiveListCopy" BOOLEAN,
    "acknowledgePosts" BOOLEAN,
    "hideAddress" BOOLEAN,
    "preferredLanguage" TEXT,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Address" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "originalEmail" TEXT NOT NULL,
    "displayName" TEXT NOT NULL DEFAULT '',
    "verifiedOn" TIMESTAMPTZ(3),
    "registeredOn" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "userId" INTEGER,
    "deliveryMode" "DeliveryMode",
    "deliveryStatus" "DeliveryStatus",
    "receiveOwnPostings" BOOLEAN,
    "receiveListCopy" BOOLEAN,
    "acknowledgePosts" BOOLEAN,
    "hideAddress" BOOLEAN,
    "preferredLanguage" TEXT,

    CONSTRAINT "Address_pkey" PRIMARY KEY ("id")
);

-- Today's members become Mailman's model, nothing lost:
-- one Address per distinct address (comparison key), spelled and named as its
-- first subscription was, verified when that subscription was made (a member
-- was either confirmed or added by an administrator); one User per address,
-- as Mailman's subscription workflow makes one for an address that has none
-- (no preferred address: Mailman sets none either).
INSERT INTO "Address" ("email", "originalEmail", "displayName", "verifiedOn", "registeredOn")
SELECT DISTINCT ON (m."addressKey") m."addressKey", m."address",
       coalesce((SELECT n."displayName" FROM "Member" n WHERE n."addressKey" = m."addressKey" AND n."displayName" <> '' ORDER BY n.id LIMIT 1), ''),
       m."createdAt", m."createdAt"
  FROM "Member" m
 ORDER BY m."addressKey", m.id;

INSERT INTO "User" ("id", "displayName", "createdAt")
SELECT a.id, a."displayName", a."registeredOn" FROM "Address" a;
UPDATE "Address" SET "userId" = id;
SELECT setval(pg_get_serial_sequence('"User"', 'id'), coalesce((SELECT max(id) FROM "User"), 0) + 1, false);

UPDATE "Member" m SET "addressId" = a.id FROM "Address" a WHERE a.email = m."addressKey";
ALTER TABLE "Member" ALTER COLUMN "addressId" SET NOT NULL;

-- Preferences were per member only; a value equal to the system default now
-- inherits it (same effect), so address- and user-level preferences can apply.
UPDATE "Member" SET "deliveryStatus" = NULL WHERE "deliveryStatus" = 'enabled';
UPDATE "Member" SET "receiveOwnPostings" = NULL WHERE "receiveOwnPostings";
UPDATE "Member" SET "receiveListCopy" = NULL WHERE "receiveListCopy";

-- CreateIndex
CREATE UNIQUE INDEX "User_uid_key" ON "User"("uid");

-- CreateIndex
CREATE UNIQUE INDEX "User_preferredAddressId_key" ON "User"("preferredAddressId");

-- CreateIndex
CREATE UNIQUE INDEX "Address_email_key" ON "Address"("email");

-- CreateIndex
CREATE INDEX "Address_userId_idx" ON "Address"("userId");

-- CreateIndex
CREATE INDEX "Member_addressId_idx" ON "Member"("addressId");

-- CreateIndex
CREATE INDEX "Member_userId_idx" ON "Member"("userId");

-- AddForeignKey
ALTER TABLE "User" ADD CONSTRAINT "User_preferredAddressId_fkey" FOREIGN KEY ("preferredAddressId") REFERENCES "Address"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Address" ADD CONSTRAINT "Address_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Member" ADD CONSTRAINT "Member_addressId_fkey" FOREIGN KEY ("addressId") REFERENCES "Address"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Member" ADD CONSTRAINT "Member_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

