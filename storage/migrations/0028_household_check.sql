-- hecha schema 28 (issue 19): each household's last check — how many errors the rules found, and
-- under which rules and reference date (key) — so that the export gate checks again only households
-- changed since. Any change to a household's rows forgets its check, through the triggers below,
-- whoever makes it (the form, hecha person set, a county decision, a hand edit in sqlite3).
-- Frozen: never edit; add a new migration.
CREATE TABLE "household_check" ("household_id" INTEGER NOT NULL PRIMARY KEY, "key" VARCHAR(255) NOT NULL, "errors" INTEGER NOT NULL, "at" VARCHAR(255) NOT NULL);
CREATE TRIGGER "check_household_update" AFTER UPDATE ON "household" BEGIN DELETE FROM "household_check" WHERE household_id = OLD.id; END;
CREATE TRIGGER "check_household_delete" AFTER DELETE ON "household" BEGIN DELETE FROM "household_check" WHERE household_id = OLD.id; END;
CREATE TRIGGER "check_person_insert" AFTER INSERT ON "person" BEGIN DELETE FROM "household_check" WHERE household_id = NEW.household_id; END;
CREATE TRIGGER "check_person_update" AFTER UPDATE ON "person" BEGIN DELETE FROM "household_check" WHERE household_id = OLD.household_id; DELETE FROM "household_check" WHERE household_id = NEW.household_id; END;
CREATE TRIGGER "check_person_delete" AFTER DELETE ON "person" BEGIN DELETE FROM "household_check" WHERE household_id = OLD.household_id; END;
CREATE TRIGGER "check_birth_insert" AFTER INSERT ON "birth" BEGIN DELETE FROM "household_check" WHERE household_id = NEW.household_id; END;
CREATE TRIGGER "check_birth_update" AFTER UPDATE ON "birth" BEGIN DELETE FROM "household_check" WHERE household_id = OLD.household_id; DELETE FROM "household_check" WHERE household_id = NEW.household_id; END;
CREATE TRIGGER "check_birth_delete" AFTER DELETE ON "birth" BEGIN DELETE FROM "household_check" WHERE household_id = OLD.household_id; END;
CREATE TRIGGER "check_woman_fp_insert" AFTER INSERT ON "woman_fp" BEGIN DELETE FROM "household_check" WHERE household_id = (SELECT household_id FROM "person" WHERE id = NEW.person_id); END;
CREATE TRIGGER "check_woman_fp_update" AFTER UPDATE ON "woman_fp" BEGIN DELETE FROM "household_check" WHERE household_id = (SELECT household_id FROM "person" WHERE id = OLD.person_id); DELETE FROM "household_check" WHERE household_id = (SELECT household_id FROM "person" WHERE id = NEW.person_id); END;
CREATE TRIGGER "check_woman_fp_delete" AFTER DELETE ON "woman_fp" BEGIN DELETE FROM "household_check" WHERE household_id = (SELECT household_id FROM "person" WHERE id = OLD.person_id); END;
CREATE TRIGGER "check_migration_insert" AFTER INSERT ON "migration" BEGIN DELETE FROM "household_check" WHERE household_id = (SELECT household_id FROM "person" WHERE id = NEW.person_id); END;
CREATE TRIGGER "check_migration_update" AFTER UPDATE ON "migration" BEGIN DELETE FROM "household_check" WHERE household_id = (SELECT household_id FROM "person" WHERE id = OLD.person_id); DELETE FROM "household_check" WHERE household_id = (SELECT household_id FROM "person" WHERE id = NEW.person_id); END;
CREATE TRIGGER "check_migration_delete" AFTER DELETE ON "migration" BEGIN DELETE FROM "household_check" WHERE household_id = (SELECT household_id FROM "person" WHERE id = OLD.person_id); END;
