-- hecha schema 13: the audit log chained by hashes (issue 14). Each audit row's hash covers the
-- row before it and its own fields (storage.audit.chain); the office row keeps the newest hash, so
-- an edited, deleted or reordered audit row, or a cut-off end, is found by `hecha audit verify`.
-- The hashes of the rows already there are computed by the migration's data step.
-- Frozen: never edit; add a new migration.
ALTER TABLE "audit_log" ADD COLUMN "hash" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "office" ADD COLUMN "audit_head" VARCHAR(255) NOT NULL DEFAULT '';
