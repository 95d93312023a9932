-- AlterTable
ALTER TABLE "MailingList" ADD COLUMN     "mailmanSettings" JSONB NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "DomainOwner" (
    "domainId" INTEGER NOT NULL,
    "userId" INTEGER NOT NULL,

    CONSTRAINT "DomainOwner_pkey" PRIMARY KEY ("domainId","userId")
);

-- CreateTable
CREATE TABLE "Template" (
    "id" SERIAL NOT NULL,
    "scope" TEXT NOT NULL,
    "scopeKey" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "uri" TEXT NOT NULL,
    "username" TEXT NOT NULL DEFAULT '',
    "password" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "Template_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Template_scope_scopeKey_name_key" ON "Template"("scope", "scopeKey", "name");

-- CreateIndex
CREATE INDEX "Member_listId_role_id_idx" ON "Member"("listId", "role", "id");

-- AddForeignKey
ALTER TABLE "DomainOwner" ADD CONSTRAINT "DomainOwner_domainId_fkey" FOREIGN KEY ("domainId") REFERENCES "Domain"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DomainOwner" ADD CONSTRAINT "DomainOwner_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

