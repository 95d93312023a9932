// The schemas published as OpenAPI components (#/components/schemas/<$id>), so that
// generated clients get named models. Each has an `$id`; routes refer to them with
// ref() and Page(). openapi.ts registers them on the root instance, before any route.
import type { TSchema } from "typebox";
import { Problem } from "./schemas.js";
import { Domain, DomainList } from "../domains/schemas.js";
import { ListPage, MailingList } from "../lists/schemas.js";
import { BulkResult, Member, MemberPage } from "../members/schemas.js";
import { Queues } from "../queues/schemas.js";
import { OwnPreferences } from "./preferences.js";
import { User, UserPage } from "../users/schemas.js";
import { Address, AddressPage } from "../addresses/schemas.js";
import { Ban, BanPage } from "../bans/schemas.js";
import { Archivers, ArchivedPost, ArchivedPostPage, ArchiveThread, ArchiveThreadPage } from "../archive/schemas.js";

export const components: TSchema[] = [Problem, Domain, DomainList, MailingList, ListPage, Member, MemberPage, BulkResult, Queues, OwnPreferences, User, UserPage, Address, AddressPage, Ban, BanPage,
  Archivers, ArchivedPost, ArchivedPostPage, ArchiveThread, ArchiveThreadPage];
