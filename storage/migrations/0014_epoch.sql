-- hecha schema 14: restores start a new epoch (issue 14). A township's bundles are numbered per
-- epoch; `hecha restore` raises the epoch, and the new epoch's first bundle carries every row of
-- the office (a re-baseline the county accepts in place of the broken chain).
-- Frozen: never edit; add a new migration.
ALTER TABLE "office" ADD COLUMN "epoch" INTEGER NOT NULL DEFAULT 1;
