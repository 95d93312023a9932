-- AlterTable
ALTER TABLE "MailingList" ADD COLUMN     "memberCount" INTEGER NOT NULL DEFAULT 0;


-- Existing lists start from their current rosters.
UPDATE "MailingList" l SET "memberCount" = (SELECT count(*) FROM "Member" m WHERE m."listId" = l.id AND m.role = 'member');

-- One statement changes the counts of the lists it touched once (transition tables),
-- and tells every process's list cache (services/notify.ts LISTS_CHANNEL) at commit.
CREATE FUNCTION mailroom_member_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    FOR changed IN
      WITH d AS (SELECT "listId", count(*) AS n FROM new_rows WHERE role = 'member' GROUP BY "listId")
      UPDATE "MailingList" l SET "memberCount" = l."memberCount" + d.n FROM d WHERE l.id = d."listId" RETURNING l."listId"
    LOOP PERFORM pg_notify('mailroom_lists', changed); END LOOP;
  ELSIF TG_OP = 'DELETE' THEN
    FOR changed IN
      WITH d AS (SELECT "listId", count(*) AS n FROM old_rows WHERE role = 'member' GROUP BY "listId")
      UPDATE "MailingList" l SET "memberCount" = greatest(l."memberCount" - d.n, 0) FROM d WHERE l.id = d."listId" RETURNING l."listId"
    LOOP PERFORM pg_notify('mailroom_lists', changed); END LOOP;
  ELSE
    FOR changed IN
      WITH d AS (
        SELECT "listId", sum(n) AS n FROM (
          SELECT "listId", 1 AS n FROM new_rows WHERE role = 'member'
          UNION ALL SELECT "listId", -1 FROM old_rows WHERE role = 'member') x
        GROUP BY "listId" HAVING sum(n) <> 0)
      UPDATE "MailingList" l SET "memberCount" = greatest(l."memberCount" + d.n, 0) FROM d WHERE l.id = d."listId" RETURNING l."listId"
    LOOP PERFORM pg_notify('mailroom_lists', changed); END LOOP;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER mailroom_member_count_insert AFTER INSERT ON "Member"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mailroom_member_count();
CREATE TRIGGER mailroom_member_count_delete AFTER DELETE ON "Member"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mailroom_member_count();
CREATE TRIGGER mailroom_member_count_update AFTER UPDATE ON "Member"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mailroom_member_count();
