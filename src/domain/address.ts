// Email address normalisation and validation. Mailman compares addresses
// case-insensitively as a whole, and keeps the spelling first given for display.
import { invalid } from "./errors.js";

export interface NormalisedAddress {
  /** As given, trimmed, with the domain lower-cased (the display spelling). */
  address: string;
  /** The whole address lower-cased: the comparison key. */
  key: string;
  localPart: string;
  domain: string;
}

// RFC 5321 dot-atom local part (quoted local parts are rare on lists and
// refused by Mailman too) and an LDH domain name with at least one dot.
const LOCAL = /^[A-Za-z0-9!#$%&'*+\/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+\/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

export function isValidDomain(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.split(".");
  return labels.length >= 2 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels.at(-1)!);
}

/** Normalise or return null when the text is not an address. */
export function parseAddress(raw: string): NormalisedAddress | null {
  const text = raw.trim();
  const at = text.lastIndexOf("@");
  if (at <= 0 || at === text.length - 1 || text.length > 254) return null;
  const localPart = text.slice(0, at);
  const domain = text.slice(at + 1).toLowerCase();
  if (localPart.length > 64 || !LOCAL.test(localPart) || !isValidDomain(domain)) return null;
  const address = `${localPart}@${domain}`;
  return { address, key: address.toLowerCase(), localPart, domain };
}

/** Normalise or throw a 400-class error naming the field. */
export function requireAddress(raw: string, field = "address"): NormalisedAddress {
  const parsed = parseAddress(raw);
  if (!parsed) throw invalid(`${field}: "${raw}" is not a valid email address`);
  return parsed;
}

export function normaliseMailHost(raw: string): string {
  const host = raw.trim().toLowerCase().replace(/\.$/, "");
  if (!isValidDomain(host)) throw invalid(`mailHost: "${raw}" is not a valid domain name`);
  return host;
}
