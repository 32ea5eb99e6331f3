-- hecha schema 20: duplicate candidates are scored by field weights (issue 16, storage/matchmodel.py)
-- and say why in words ("why": 同音、生日差1年、母亲同号). Every stored pair is scored again: every live
-- person and active list is marked changed; the review's next refresh rescores them.
-- Frozen: never edit; add a new migration.
ALTER TABLE "dup_pair" ADD COLUMN "why" VARCHAR(255) NOT NULL DEFAULT '';
INSERT INTO "dup_dirty" ("person_id") SELECT "id" FROM "person" WHERE "deleted" = 0;
INSERT INTO "dup_dirty_batch" ("batch_id") SELECT "id" FROM "import_batch" WHERE "status" = 'active';
