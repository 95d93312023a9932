// Domain owners (Mailman's IDomain.owners): users, added by address (a user is made
// for an address that has none, as Mailman's add_owner does). Called by the Mailman face.
import { requireAddress } from "../domain/address.js";
import { notFound } from "../domain/errors.js";
import { normaliseMailHost } from "../domain/address.js";
import { ensureAddresses } from "./address-book.js";
import type { ServiceDeps } from "./deps.js";
import { userView, type UserView } from "./users.js";

export function createDomainOwnerService({ db }: ServiceDeps) {
  async function domainId(mailHost: string): Promise<number> {
    const d = await db.prisma.domain.findUnique({ where: { mailHost: normaliseMailHost(mailHost) }, select: { id: true } });
    if (!d) throw notFound(`domain ${mailHost} does not exist`);
    return d.id;
  }

  return {
    async list(mailHost: string): Promise<UserView[]> {
      const id = await domainId(mailHost);
      const rows = await db.prisma.domainOwner.findMany({
        where: { domainId: id }, include: { user: { include: { preferredAddress: { select: { originalEmail: true } } } } }, orderBy: { userId: "asc" },
      });
      return rows.map((r) => userView(r.user));
    },

    async add(mailHost: string, email: string): Promise<void> {
      const id = await domainId(mailHost);
      const a = requireAddress(email, "owner");
      await db.prisma.$transaction(async (tx) => {
        await ensureAddresses(tx, [{ address: a.address, key: a.key, name: "" }], false);
        const addr = await tx.address.findUniqueOrThrow({ where: { email: a.key }, select: { userId: true } });
        await tx.domainOwner.upsert({ where: { domainId_userId: { domainId: id, userId: addr.userId! } }, create: { domainId: id, userId: addr.userId! }, update: {} });
      });
    },

    async clear(mailHost: string): Promise<void> {
      await db.prisma.domainOwner.deleteMany({ where: { domainId: await domainId(mailHost) } });
    },
  };
}

export type DomainOwnerService = ReturnType<typeof createDomainOwnerService>;
