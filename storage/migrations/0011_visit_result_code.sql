-- hecha schema 11: the 编号 a visit result was given under, kept for its birth when the birth's key
-- changes (a confirmed omission added to the forms), so a printed work list's code still finds it.
-- Frozen: never edit; add a new migration.
ALTER TABLE "visit_result" ADD COLUMN "code" VARCHAR(255) NOT NULL DEFAULT '';
