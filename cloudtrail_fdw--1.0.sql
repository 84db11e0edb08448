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

-- ---------------------------------------------------------------- integrity

CREATE FUNCTION cloudtrail_validate(
    trail regclass,
    start_time timestamptz,
    end_time timestamptz DEFAULT now(),
    account_ids text[] DEFAULT NULL,
    regions text[] DEFAULT NULL,
    OUT kind text,
    OUT url text,
    OUT account_id text,
    OUT region text,
    OUT window_start timestamptz,
    OUT window_end timestamptz,
    OUT status text,
    OUT detail text,
    OUT digest_url text)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION cloudtrail_validate(regclass, timestamptz, timestamptz, text[], text[])
  IS 'validate the digest chains and log files of a trail table: one row per digest, log file and gap';

CREATE FUNCTION cloudtrail_validate_summary(
    trail regclass,
    start_time timestamptz,
    end_time timestamptz DEFAULT now(),
    account_ids text[] DEFAULT NULL,
    regions text[] DEFAULT NULL,
    OUT kind text,
    OUT status text,
    OUT files bigint,
    OUT covered_start timestamptz,
    OUT covered_end timestamptz,
    OUT requests bigint,
    OUT bytes bigint,
    OUT retries bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION cloudtrail_validate_summary(regclass, timestamptz, timestamptz, text[], text[])
  IS 'counts of cloudtrail_validate by kind and status, the window covered, requests, bytes and retries';
