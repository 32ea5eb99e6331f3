-- hecha schema 18: the duplicate review pages from stored pairs (issue 15). `dup_pair` holds every
-- open candidate pair as last scored, with both sides as they were then; `dup_dirty` and
-- `dup_dirty_batch` list the persons and reference lists changed since (filled by the triggers
-- below, whatever wrote the change: the form, a merge, a county import, a list import), and
-- storage/pairstore.py rescores only those. Local and derived: never in a bundle.
-- Frozen: never edit; add a new migration.
CREATE TABLE "dup_pair" ("id" INTEGER NOT NULL PRIMARY KEY, "pk_a" VARCHAR(40) NOT NULL, "pk_b" VARCHAR(40) NOT NULL, "kind" VARCHAR(1) NOT NULL, "score" INTEGER NOT NULL, "a_id" INTEGER NOT NULL, "b_id" INTEGER, "b_record_id" INTEGER, "b_batch_id" INTEGER, "a_uid" VARCHAR(36) NOT NULL, "a_name" VARCHAR(255) NOT NULL, "a_id_number" VARCHAR(255) NOT NULL, "a_birth_date" VARCHAR(255) NOT NULL, "a_household_code" VARCHAR(255) NOT NULL, "b_uid" VARCHAR(40) NOT NULL, "b_name" VARCHAR(255) NOT NULL, "b_id_number" VARCHAR(255) NOT NULL, "b_sex" VARCHAR(255) NOT NULL, "b_birth_date" VARCHAR(255) NOT NULL, "b_household_code" VARCHAR(255) NOT NULL, "b_household_uid" VARCHAR(255) NOT NULL, "b_where" VARCHAR(255) NOT NULL, "b_source" VARCHAR(255) NOT NULL, "rule" VARCHAR(255) NOT NULL, "rules" VARCHAR(255) NOT NULL, "differs" VARCHAR(255) NOT NULL);
CREATE UNIQUE INDEX "dup_pair_pk_a_pk_b" ON "dup_pair" ("pk_a", "pk_b");
CREATE INDEX "dup_pair_order" ON "dup_pair" ("kind", "score", "a_household_code");
CREATE INDEX "dup_pair_a_id" ON "dup_pair" ("a_id");
CREATE INDEX "dup_pair_b_id" ON "dup_pair" ("b_id");
CREATE INDEX "dup_pair_b_batch_id" ON "dup_pair" ("b_batch_id");
CREATE TABLE "dup_dirty" ("seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "person_id" INTEGER NOT NULL);
CREATE INDEX "dup_dirty_person_id" ON "dup_dirty" ("person_id");
CREATE TABLE "dup_dirty_batch" ("seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "batch_id" INTEGER NOT NULL);
CREATE TRIGGER "dup_person_insert" AFTER INSERT ON "person" BEGIN INSERT INTO "dup_dirty" ("person_id") VALUES (NEW."id"); END;
CREATE TRIGGER "dup_person_update" AFTER UPDATE OF "name", "id_number", "id_number_18", "sex", "birth_date", "deleted", "household_id" ON "person" BEGIN INSERT INTO "dup_dirty" ("person_id") VALUES (NEW."id"); INSERT INTO "dup_dirty" ("person_id") SELECT "child_id" FROM "birth" WHERE "mother_id" = NEW."id" AND "child_id" IS NOT NULL; END;
CREATE TRIGGER "dup_household_update" AFTER UPDATE OF "household_code", "village_code", "deleted" ON "household" BEGIN INSERT INTO "dup_dirty" ("person_id") SELECT "id" FROM "person" WHERE "household_id" = NEW."id"; END;
CREATE TRIGGER "dup_birth_insert" AFTER INSERT ON "birth" WHEN NEW."child_id" IS NOT NULL BEGIN INSERT INTO "dup_dirty" ("person_id") VALUES (NEW."child_id"); END;
CREATE TRIGGER "dup_birth_update" AFTER UPDATE OF "child_id", "mother_id", "birth_date", "deleted" ON "birth" BEGIN INSERT INTO "dup_dirty" ("person_id") SELECT NEW."child_id" WHERE NEW."child_id" IS NOT NULL; INSERT INTO "dup_dirty" ("person_id") SELECT OLD."child_id" WHERE OLD."child_id" IS NOT NULL AND OLD."child_id" IS NOT NEW."child_id"; END;
CREATE TRIGGER "dup_batch_status" AFTER UPDATE OF "status" ON "import_batch" WHEN NEW."status" IS NOT OLD."status" BEGIN INSERT INTO "dup_dirty_batch" ("batch_id") VALUES (NEW."id"); END;
INSERT INTO "dup_dirty" ("person_id") SELECT "id" FROM "person" WHERE "deleted" = 0;
INSERT INTO "dup_dirty_batch" ("batch_id") SELECT "id" FROM "import_batch" WHERE "status" = 'active';
