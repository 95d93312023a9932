-- CreateTable
CREATE TABLE "Ban" (
    "id" SERIAL NOT NULL,
    "listId" INTEGER,
    "email" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Ban_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Ban_email_idx" ON "Ban"("email");

-- CreateIndex
CREATE UNIQUE INDEX "Ban_listId_email_key" ON "Ban"("listId", "email");

-- AddForeignKey
ALTER TABLE "Ban" ADD CONSTRAINT "Ban_listId_fkey" FOREIGN KEY ("listId") REFERENCES "MailingList"("id") ON DELETE CASCADE ON UPDATE CASCADE;

