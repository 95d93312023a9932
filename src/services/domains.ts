// Domains (Mailman's mail hosts): create, read, change the alias domain, delete with
// their lists. A change that moves list addresses (alias domain, delete) regenerates
// the Postfix maps and tells other processes to drop cached list lookups, inside the
// same transaction; a new domain has no lists, so it does neither. Called by api/domains.
import type { Domain } from "../generated/prisma/client.js";
import { normaliseMailHost } from "../domain/address.js";
import { conflict, invalid, notFound } from "../domain/errors.js";
import { inMapsTransaction, inTransaction } from "./transaction.js";
import { notifyListsChanged } from "./notify.js";
import type { ServiceDeps } from "./deps.js";

export interface DomainView {
  mailHost: string;
  description: string;
  aliasDomain: string | null;
  createdAt: string;
}

export interface NewDomain {
  mailHost: string;
  description?: string;
  aliasDomain?: string | null;
}

export interface DomainPatch {
  description?: string;
  aliasDomain?: string | null;
}

export function domainView(d: Domain): DomainView {
  return { mailHost: d.mailHost, description: d.description, aliasDomain: d.aliasDomain, createdAt: d.createdAt.toISOString() };
}

function aliasDomainOf(raw: string | null | undefined, mailHost: string): string | null {
  if (raw === undefined || raw === null || raw.trim() === "") return null;
  let host: string;
  try {
    host = normaliseMailHost(raw);
  } catch {
    throw invalid(`aliasDomain: "${raw}" is not a valid domain name`);
  }
  if (host === mailHost) throw invalid("aliasDomain must differ from mailHost");
  return host;
}

/** Told after a commit that removed lists or moved their addresses (so cached lookups are dropped at once). */
export type ListsChanged = (listId: string) => void;

export function createDomainService(deps: ServiceDeps, listsChanged: ListsChanged = () => {}) {
  const { db } = deps;
  return {
    async create(input: NewDomain): Promise<DomainView> {
      const mailHost = normaliseMailHost(input.mailHost);
      const aliasDomain = aliasDomainOf(input.aliasDomain, mailHost);
      return inTransaction(db, async (tx) => {
        if (await tx.domain.findUnique({ where: { mailHost }, select: { id: true } })) {
          throw conflict(`domain ${mailHost} already exists`);
        }
        // A domain without lists is in no Postfix map and changes no list lookup.
        const d = await tx.domain.create({ data: { mailHost, description: input.description ?? "", aliasDomain } });
        return domainView(d);
      });
    },

    async list(): Promise<{ items: DomainView[]; total: number }> {
      const rows = await db.prisma.domain.findMany({ orderBy: { mailHost: "asc" } });
      return { items: rows.map(domainView), total: rows.length };
    },

    async get(rawHost: string): Promise<DomainView> {
      const mailHost = hostOrNotFound(rawHost);
      const d = await db.prisma.domain.findUnique({ where: { mailHost } });
      if (!d) throw notFound(`domain ${mailHost} does not exist`);
      return domainView(d);
    },

    async update(rawHost: string, patch: DomainPatch): Promise<DomainView> {
      const mailHost = hostOrNotFound(rawHost);
      const { view, moved } = await inMapsTransaction(deps, async (tx, regenerateMaps) => {
        const current = await tx.domain.findUnique({ where: { mailHost } });
        if (!current) throw notFound(`domain ${mailHost} does not exist`);
        const aliasDomain = patch.aliasDomain === undefined ? current.aliasDomain : aliasDomainOf(patch.aliasDomain, mailHost);
        const d = await tx.domain.update({
          where: { id: current.id },
          data: { description: patch.description ?? current.description, aliasDomain },
        });
        const moved = aliasDomain !== current.aliasDomain;
        if (moved) {
          await regenerateMaps({ domains: [current.id] });
          await notifyListsChanged(tx, "*");
        }
        return { view: domainView(d), moved };
      });
      // The lists now answer at other addresses.
      if (moved) listsChanged("*");
      return view;
    },

    /** Deletes the domain and, by cascade, its lists, members and held messages. */
    async remove(rawHost: string): Promise<void> {
      const mailHost = hostOrNotFound(rawHost);
      await inMapsTransaction(deps, async (tx, regenerateMaps) => {
        const current = await tx.domain.findUnique({ where: { mailHost }, select: { id: true } });
        if (!current) throw notFound(`domain ${mailHost} does not exist`);
        // Template overrides of the domain and of its lists go with them.
        const lists = await tx.mailingList.findMany({ where: { domainId: current.id }, select: { listId: true } });
        await tx.template.deleteMany({ where: { OR: [{ scope: "domain", scopeKey: mailHost }, { scope: "list", scopeKey: { in: lists.map((l) => l.listId) } }] } });
        await tx.domain.delete({ where: { id: current.id } });
        await regenerateMaps({ domains: [current.id] });
        await notifyListsChanged(tx, "*");
      });
      listsChanged("*");
    },
  };
}

/** A path segment that is not even a domain name names no domain: 404, not 400. */
function hostOrNotFound(raw: string): string {
  try {
    return normaliseMailHost(raw);
  } catch {
    throw notFound(`domain ${raw} does not exist`);
  }
}

export type DomainService = ReturnType<typeof createDomainService>;
