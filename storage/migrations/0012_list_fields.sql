-- hecha schema 12: reference lists as offices really get them (issue 12). A list row may carry the
-- child's birth order (孩次), the village (as written and resolved to its 12-digit code), a parent
-- whose role the list does not say (家长姓名), the household number and relationship of a police
-- register (户号, 与户主关系); an import keeps the columns it did not use; a row loaded with an
-- unusable ID number is reported as a warning (level 'warning'), not refused.
-- Frozen: never edit; add a new migration.
ALTER TABLE "ref_record" ADD COLUMN "birth_order" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "ref_record" ADD COLUMN "village" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "ref_record" ADD COLUMN "village_code" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "ref_record" ADD COLUMN "parent_name" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "ref_record" ADD COLUMN "household_no" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "ref_record" ADD COLUMN "relation" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "import_batch" ADD COLUMN "unused_columns" TEXT NOT NULL DEFAULT '[]';
ALTER TABLE "import_batch" ADD COLUMN "rows_warned" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "row_error" ADD COLUMN "level" VARCHAR(255) NOT NULL DEFAULT 'rejected';
