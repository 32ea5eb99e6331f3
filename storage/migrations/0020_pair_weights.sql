-- hecha schema 20: duplicate candidates are scored by field weights (issue 16, storage/matchmodel.py)
-- and say why in words ("why": 同音、生日差1年、母亲同号). Every stored pair is scored again: every live
-- person and active list is marked changed; the review's next refresh rescores them.
-- Frozen: never edit; add a new migration.
ALTER TABLE "dup_pair" ADD COLUMN "why" VARCHAR(255) NOT NULL DEFAULT '';
INSERT INTO "dup_dirty" ("person_id") SELECT "id" FROM "person" WHERE "deleted" = 0;
INSERT INTO "dup_dirty_batch" ("batch_id") SELECT "id" FROM "import_batch" WHERE "status" = 'active';
-- The searches read a window of birth dates and the names in it, and each found person's keys:
-- both from the index alone (at 1,000,000 persons the table reads were most of a search's time).
DROP INDEX IF EXISTS "person_birth_date";
CREATE INDEX "person_birth_date" ON "person" ("birth_date", "deleted", "name");
DROP INDEX IF EXISTS "person_key_person_id";
CREATE INDEX "person_key_person_id" ON "person_key" ("person_id", "kind", "key");
DROP INDEX IF EXISTS "ref_key_record_id";
CREATE INDEX "ref_key_record_id" ON "ref_key" ("record_id", "kind", "key");
