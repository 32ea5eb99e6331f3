-- hecha schema 15: the campaign's reference date (标准时点, issue 14). Ages and eligibility (a
-- woman's page for 15–49, the marriage age) are judged at this date when it is set, not at the day
-- a check runs: a woman keyed at 49 does not block the export the week she turns 50.
-- Frozen: never edit; add a new migration.
ALTER TABLE "office" ADD COLUMN "reference_date" VARCHAR(255) NOT NULL DEFAULT '';
