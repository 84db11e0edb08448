/* cloudtrail_fdw--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION cloudtrail_fdw" to load this file. \quit

CREATE FUNCTION cloudtrail_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION cloudtrail_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

-- 'ISA-L 2.30.0' or 'zlib 1.2.13': the library this build inflates log files with
CREATE FUNCTION cloudtrail_fdw_inflater()
RETURNS text
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL SAFE;

CREATE FOREIGN DATA WRAPPER cloudtrail_fdw
  HANDLER cloudtrail_fdw_handler
  VALIDATOR cloudtrail_fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER cloudtrail_fdw
  IS 'AWS CloudTrail: trail log files in S3 and the LookupEvents event history';

-- ---------------------------------------------------------------- sync
-- cloudtrail_sync(): exactly-once incremental copy into a local table.
-- Its progress, per target and account/region folder (event-history
-- sources: one row, folder 'lookup_events'), written with the rows.
CREATE TABLE cloudtrail_sync_state (
  target      regclass NOT NULL,
  folder      text NOT NULL,
  last_key    text,                -- greatest key read (event history: the last call's start)
  recent_keys text[],              -- keys read past the start of the folder's next listing
  synced_at   timestamptz NOT NULL,
  PRIMARY KEY (target, folder)
);
SELECT pg_catalog.pg_extension_config_dump('cloudtrail_sync_state', '');

CREATE FUNCTION cloudtrail_sync(source regclass, target regclass,
  max_files int DEFAULT NULL, max_seconds int DEFAULT NULL, dedup boolean DEFAULT false,
  OUT files bigint, OUT events bigint, OUT bytes bigint, OUT requests bigint,
  OUT seconds double precision, OUT watermark timestamptz)
RETURNS record
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE;
