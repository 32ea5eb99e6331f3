-- hecha schema 30 (issue 21): the province's platform keeps the cross-county pairs its comparison
-- found (platform_pair) and the assistance requests it sent about each side. Only a province's
-- database has rows in it. Frozen: never edit; add a new migration.
CREATE TABLE "platform_pair" ("id" INTEGER NOT NULL PRIMARY KEY, "kind" VARCHAR(8) NOT NULL, "uid_l" VARCHAR(36) NOT NULL, "uid_r" VARCHAR(36) NOT NULL, "county_l" VARCHAR(12) NOT NULL, "county_r" VARCHAR(12) NOT NULL, "township_l" VARCHAR(12) NOT NULL, "township_r" VARCHAR(12) NOT NULL, "probability" REAL NOT NULL, "run" VARCHAR(255) NOT NULL, "found_at" VARCHAR(255) NOT NULL, "request_l" VARCHAR(255) NOT NULL, "request_r" VARCHAR(255) NOT NULL);
CREATE UNIQUE INDEX "platform_pair_kind_uid_l_uid_r" ON "platform_pair" ("kind", "uid_l", "uid_r");
