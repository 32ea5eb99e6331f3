-- hecha schema 8: a reference record's ID number as written is not looked up (searches use
-- id_number_18), and its index cost a fifth of an import's insert time. Frozen: never edit.
DROP INDEX IF EXISTS "ref_record_id_number";
