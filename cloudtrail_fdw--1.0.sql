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
