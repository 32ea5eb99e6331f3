-- hecha schema 19: the duplicate rules score differently (issue 16: two valid different ID numbers,
-- dates a year, a month, up to 55 days off), so every stored pair is scored again: every live person
-- and active list is marked changed; the review's next refresh rescores them.
-- Frozen: never edit; add a new migration.
INSERT INTO "dup_dirty" ("person_id") SELECT "id" FROM "person" WHERE "deleted" = 0;
INSERT INTO "dup_dirty_batch" ("batch_id") SELECT "id" FROM "import_batch" WHERE "status" = 'active';
