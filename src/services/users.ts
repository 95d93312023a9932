// Users (Mailman's IUser): a display name, a password, addresses, one preferred
// address, preferences. A membership of the user follows the preferred address
// (address-book.ts followPreferredAddress). Deleting a user deletes its addresses
// and their memberships, as Mailman's delete_user does. Called by api/users and the
// Mailman face.
import { Prisma, type User } from "../generated/prisma/client.js";
import { parseAddress, requireAddress } from "../domain/address.js";
import { conflict, invalid, notFound } from "../domain/errors.js";
import { ownPreferences, type Preferences } from "../domain/preferences.js";
import { addressView, type AddressView, type PreferencePatch } from "./addresses.js";
import { followPreferredAddress } from "./address-book.js";
import type { ServiceDeps } from "./deps.js";
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from "./pagination.js";
import { hashPassword, verifyPassword } from "./password-hash.js";

export interface UserView {
  /** Mailman's user_id: a UUID. */
  userId: string;
  displayName: string;
  createdAt: string;
  isServerOwner: boolean;
  /** The preferred address's spelling, or null. */
  preferredAddress: string | null;
  /** The password hash (Mailman shows it to the admin), or null. */
  password: string | null;
}

export interface NewUser { email?: string; displayName?: string; password?: string; isServerOwner?: boolean }
export interface UserPatch { displayName?: string; password?: string; isServerOwner?: boolean; preferredAddress?: string | null }

type UserRow = User & { preferredAddress: { originalEmail: string } | null };
const withPreferred = { preferredAddress: { select: { originalEmail: true } } } as const;

export function userView(u: UserRow): UserView {
  return {
    userId: u.uid, displayName: u.displayName, createdAt: u.createdAt.toISOString(), isServerOwner: u.isServerOwner,
    preferredAddress: u.preferredAddress?.originalEmail ?? null, password: u.passwordHash,
  };
}

const HEX_UUID = /^[0-9a-f]{32}$/i;
const DASHED_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user id in any of Mailman's spellings (dashed UUID, 32 hex digits, or the 128-bit integer /3.0 uses) as a dashed UUID, or null. */
export function parseUserId(raw: string): string | null {
  let hex: string;
  if (DASHED_UUID.test(raw)) hex = raw.replaceAll("-", "");
  else if (HEX_UUID.test(raw)) hex = raw;
  else if (/^\d{1,39}$/.test(raw) && BigInt(raw) < 2n ** 128n) hex = BigInt(raw).toString(16).padStart(32, "0");
  else return null;
  hex = hex.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function createUserService({ db }: ServiceDeps) {
  /** By user id, or by one of the user's addresses. */
  async function row(ref: string): Promise<UserRow> {
    const uid = parseUserId(ref);
    let u: UserRow | null = null;
    if (uid) u = await db.prisma.user.findUnique({ where: { uid }, include: withPreferred });
    else {
      const a = parseAddress(ref);
      if (a) u = (await db.prisma.address.findUnique({ where: { email: a.key }, select: { user: { include: withPreferred } } }))?.user ?? null;
    }
    if (!u) throw notFound(`user ${ref} does not exist`);
    return u;
  }

  return {
    row,

    async get(ref: string): Promise<UserView> {
      return userView(await row(ref));
    },

    async list(query: PageRequest): Promise<Page<UserView>> {
      const limit = pageLimit(query.limit);
      const after = decodeCursor(query.cursor);
      const [rows, total] = await Promise.all([
        db.prisma.user.findMany({ where: { id: { gt: after } }, orderBy: { id: "asc" }, take: limit + 1, include: withPreferred }),
        db.prisma.user.count(),
      ]);
      return toPage(rows, limit, total, userView);
    },

    /** A new user, with a new address when `email` is given (409 when that address already has a user). */
    async create(input: NewUser): Promise<UserView> {
      const a = input.email !== undefined ? requireAddress(input.email, "email") : null;
      const passwordHash = input.password !== undefined ? await hashPassword(input.password) : null;
      return db.prisma.$transaction(async (tx) => {
        if (a) {
          const existing = await tx.address.findUnique({ where: { email: a.key } });
          if (existing?.userId) throw conflict(`a user with the address ${a.address} already exists`);
        }
        const u = await tx.user.create({ data: { displayName: input.displayName ?? "", passwordHash, isServerOwner: input.isServerOwner ?? false } });
        if (a) {
          await tx.address.upsert({
            where: { email: a.key },
            create: { email: a.key, originalEmail: a.address, displayName: input.displayName ?? "", userId: u.id },
            update: { userId: u.id },
          });
        }
        return userView({ ...u, preferredAddress: null });
      });
    },

    async update(ref: string, patch: UserPatch): Promise<UserView> {
      const u = await row(ref);
      const data: Prisma.UserUncheckedUpdateInput = {};
      if (patch.displayName !== undefined) data.displayName = patch.displayName;
      if (patch.isServerOwner !== undefined) data.isServerOwner = patch.isServerOwner;
      if (patch.password !== undefined) data.passwordHash = await hashPassword(patch.password);
      return db.prisma.$transaction(async (tx) => {
        if (patch.preferredAddress === null) data.preferredAddressId = null;
        else if (patch.preferredAddress !== undefined) {
          const key = parseAddress(patch.preferredAddress)?.key;
          const a = key ? await tx.address.findUnique({ where: { email: key } }) : null;
          if (!a) throw invalid(`preferredAddress: ${patch.preferredAddress} is not a known address`);
          if (a.userId !== u.id) throw invalid(`preferredAddress: ${patch.preferredAddress} is not an address of this user`);
          // Mailman: "Only verified addresses can be preferred".
          if (!a.verifiedOn) throw invalid(`preferredAddress: ${patch.preferredAddress} is not verified`);
          data.preferredAddressId = a.id;
        }
        const updated = await tx.user.update({ where: { id: u.id }, data, include: withPreferred });
        if (data.preferredAddressId !== undefined) await followPreferredAddress(tx, u.id);
        return userView(updated);
      });
    },

    /** Deletes the user, its addresses and their memberships. */
    async remove(ref: string): Promise<void> {
      const u = await row(ref);
      await db.prisma.$transaction(async (tx) => {
        await tx.address.deleteMany({ where: { userId: u.id } });
        await tx.user.delete({ where: { id: u.id } });
      });
    },

    async addresses(ref: string): Promise<AddressView[]> {
      const u = await row(ref);
      const rows = await db.prisma.address.findMany({ where: { userId: u.id }, orderBy: { id: "asc" } });
      return rows.map((a) => addressView({ ...a, user: { uid: u.uid } }));
    },

    /**
     * Links an address to the user, creating it when unknown. An address of another
     * user is a 409 unless `absorb` moves it over (Mailman's absorb_existing).
     */
    async linkAddress(ref: string, email: string, opts: { displayName?: string; absorb?: boolean } = {}): Promise<AddressView> {
      const u = await row(ref);
      const a = requireAddress(email, "email");
      return db.prisma.$transaction(async (tx) => {
        const existing = await tx.address.findUnique({ where: { email: a.key } });
        if (existing?.userId && existing.userId !== u.id && !opts.absorb) throw conflict(`${a.address} belongs to another user`);
        const linked = await tx.address.upsert({
          where: { email: a.key },
          create: { email: a.key, originalEmail: a.address, displayName: opts.displayName ?? "", userId: u.id },
          update: { userId: u.id },
        });
        return addressView({ ...linked, user: { uid: u.uid } });
      });
    },

    async unlinkAddress(ref: string, email: string): Promise<void> {
      const u = await row(ref);
      const key = parseAddress(email)?.key;
      const gone = key ? await db.prisma.address.updateMany({ where: { email: key, userId: u.id }, data: { userId: null } }) : { count: 0 };
      if (gone.count === 0) throw notFound(`${email} is not an address of user ${ref}`);
    },

    async preferences(ref: string): Promise<Partial<Preferences>> {
      return ownPreferences(await row(ref));
    },

    async setPreferences(ref: string, patch: PreferencePatch): Promise<Partial<Preferences>> {
      const u = await row(ref);
      return ownPreferences(await db.prisma.user.update({ where: { id: u.id }, data: patch }));
    },

    /** True when the password matches (Mailman's POST users/{id}/login: 204 or 403). */
    async login(ref: string, password: string): Promise<boolean> {
      const u = await row(ref);
      return u.passwordHash !== null && verifyPassword(password, u.passwordHash);
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
