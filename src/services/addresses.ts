// Email addresses (Mailman's IAddress): read, page through, verify and unverify,
// their own preferences, their memberships, delete (which unsubscribes them, as
// Mailman's delete_address does). Called by api/addresses and the Mailman face.
import type { Address, Role, User } from "../generated/prisma/client.js";
import { parseAddress } from "../domain/address.js";
import { notFound } from "../domain/errors.js";
import { ownPreferences, type PreferenceLevel, type Preferences } from "../domain/preferences.js";
import type { ServiceDeps } from "./deps.js";
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from "./pagination.js";

export interface AddressView {
  /** The spelling first given. */
  email: string;
  displayName: string;
  verifiedOn: string | null;
  registeredOn: string;
  /** The linked user's id (Mailman's user_id, a UUID), or null. */
  userId: string | null;
}

export interface MembershipRef { listId: string; role: Role; address: string; memberId: number }

export function addressView(a: Address & { user?: Pick<User, "uid"> | null }): AddressView {
  return {
    email: a.originalEmail, displayName: a.displayName, verifiedOn: a.verifiedOn?.toISOString() ?? null,
    registeredOn: a.registeredOn.toISOString(), userId: a.user?.uid ?? null,
  };
}

/** Writable preference columns; a null unsets (the level above applies again). */
export type PreferencePatch = Partial<PreferenceLevel>;

export function createAddressService({ db }: ServiceDeps) {
  async function row(raw: string) {
    const a = parseAddress(raw);
    const found = a && await db.prisma.address.findUnique({ where: { email: a.key }, include: { user: { select: { uid: true } } } });
    if (!found) throw notFound(`address ${raw.trim()} is not known`);
    return found;
  }

  return {
    /** The Address row (with its user's uid), 404 when unknown. */
    row,

    async get(raw: string): Promise<AddressView> {
      return addressView(await row(raw));
    },

    async list(query: PageRequest): Promise<Page<AddressView>> {
      const limit = pageLimit(query.limit);
      const after = decodeCursor(query.cursor);
      const [rows, total] = await Promise.all([
        db.prisma.address.findMany({ where: { id: { gt: after } }, orderBy: { id: "asc" }, take: limit + 1, include: { user: { select: { uid: true } } } }),
        db.prisma.address.count(),
      ]);
      return toPage(rows, limit, total, addressView);
    },

    async update(raw: string, patch: { displayName?: string; verified?: boolean }): Promise<AddressView> {
      const a = await row(raw);
      const data: { displayName?: string; verifiedOn?: Date | null } = {};
      if (patch.displayName !== undefined) data.displayName = patch.displayName;
      // Verifying again keeps the first date (Mailman's verify leaves a verified address alone).
      if (patch.verified === true && !a.verifiedOn) data.verifiedOn = new Date();
      if (patch.verified === false) data.verifiedOn = null;
      const updated = await db.prisma.address.update({ where: { id: a.id }, data, include: { user: { select: { uid: true } } } });
      return addressView(updated);
    },

    /** Deletes the address and its memberships. */
    async remove(raw: string): Promise<void> {
      const a = await row(raw);
      await db.prisma.address.delete({ where: { id: a.id } });
    },

    async preferences(raw: string): Promise<Partial<Preferences>> {
      return ownPreferences(await row(raw));
    },

    async setPreferences(raw: string, patch: PreferencePatch): Promise<Partial<Preferences>> {
      const a = await row(raw);
      return ownPreferences(await db.prisma.address.update({ where: { id: a.id }, data: patch }));
    },

    /** Every membership delivering to this address (subscribed as the address or as its user). */
    async memberships(raw: string): Promise<MembershipRef[]> {
      const a = await row(raw);
      const rows = await db.prisma.member.findMany({ where: { addressId: a.id }, include: { list: { select: { listId: true } } }, orderBy: { id: "asc" } });
      return rows.map((m) => ({ listId: m.list.listId, role: m.role, address: m.address, memberId: m.id }));
    },
  };
}

export type AddressService = ReturnType<typeof createAddressService>;
