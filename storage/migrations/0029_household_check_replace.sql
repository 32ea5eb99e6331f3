-- hecha schema 29 (issue 19; a helper's findings on schema 28): INSERT OR REPLACE deletes the row it
-- replaces without firing its DELETE trigger (unless recursive_triggers is on, which a hand session
-- in sqlite3 does not set), so a household replaced, or a person, birth, page or episode replaced
-- into another household, kept the old household's check. A BEFORE INSERT trigger on each table
-- forgets the check of the household the replaced row belonged to (by id or by uid), and the
-- household's own INSERT forgets its own. Only where checks are kept (a township): a county's merge
-- of a million rows does not look its rows up twice more. Frozen: never edit; add a new migration.
CREATE TRIGGER "check_household_replace" BEFORE INSERT ON "household" WHEN EXISTS (SELECT 1 FROM "household_check") BEGIN DELETE FROM "household_check" WHERE household_id IN (SELECT id FROM "household" WHERE id = NEW.id OR uid = NEW.uid); END;
CREATE TRIGGER "check_household_insert" AFTER INSERT ON "household" BEGIN DELETE FROM "household_check" WHERE household_id = NEW.id; END;
CREATE TRIGGER "check_person_replace" BEFORE INSERT ON "person" WHEN EXISTS (SELECT 1 FROM "household_check") BEGIN DELETE FROM "household_check" WHERE household_id IN (SELECT household_id FROM "person" WHERE id = NEW.id OR uid = NEW.uid); END;
CREATE TRIGGER "check_birth_replace" BEFORE INSERT ON "birth" WHEN EXISTS (SELECT 1 FROM "household_check") BEGIN DELETE FROM "household_check" WHERE household_id IN (SELECT household_id FROM "birth" WHERE id = NEW.id OR uid = NEW.uid); END;
CREATE TRIGGER "check_woman_fp_replace" BEFORE INSERT ON "woman_fp" WHEN EXISTS (SELECT 1 FROM "household_check") BEGIN DELETE FROM "household_check" WHERE household_id IN (SELECT p.household_id FROM "woman_fp" x JOIN "person" p ON p.id = x.person_id WHERE x.id = NEW.id OR x.uid = NEW.uid); END;
CREATE TRIGGER "check_migration_replace" BEFORE INSERT ON "migration" WHEN EXISTS (SELECT 1 FROM "household_check") BEGIN DELETE FROM "household_check" WHERE household_id IN (SELECT p.household_id FROM "migration" x JOIN "person" p ON p.id = x.person_id WHERE x.id = NEW.id OR x.uid = NEW.uid); END;
