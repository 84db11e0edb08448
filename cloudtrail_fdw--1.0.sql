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

-- ---------------------------------------------------------------- sync
-- cloudtrail_sync(): exactly-once incremental copy into a local table.
-- Its progress, per target and account/region folder (event-history
-- sources: one row, folder 'lookup_events'), written with the rows.
CREATE TABLE cloudtrail_sync_state (
  target      regclass NOT NULL,
  folder      text NOT NULL,
  last_key    text,                -- greatest key read (event history: epoch seconds of the last call's start)
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

-- ---------------------------------------------------------------- activity
-- A record as an activity: who did what to which object, when, from where,
-- with what outcome.  Works on the record column of a foreign table or of
-- a local copy alike: SELECT a.* FROM t, LATERAL cloudtrail_activity(t.record) a
CREATE FUNCTION cloudtrail_activity(record jsonb,
  OUT event_time timestamptz, OUT who text, OUT who_arn text, OUT who_type text,
  OUT who_account text, OUT action text, OUT service text,
  OUT object_type text, OUT object text, OUT related_type text, OUT related text,
  OUT source_ip text, OUT region text, OUT outcome text, OUT error_message text)
RETURNS record
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
SELECT (r->>'eventTime')::timestamptz,
       coalesce(u->>'userName',
                CASE u->>'type'
                  WHEN 'AssumedRole' THEN substring(u->>'arn' FROM '/([^/]*)$')
                  WHEN 'FederatedUser' THEN substring(u->>'arn' FROM '/([^/]*)$')
                  WHEN 'Root' THEN 'root'
                  WHEN 'AWSService' THEN u->>'invokedBy'
                END),
       u->>'arn', u->>'type', u->>'accountId',
       n, r->>'eventSource',
       CASE
         WHEN n IN ('CreateUser', 'DeleteUser', 'AddUserToGroup', 'RemoveUserFromGroup') THEN 'user'
         WHEN n IN ('CreateGroup', 'DeleteGroup') THEN 'group'
         WHEN n IN ('CreateLoginProfile', 'DeleteLoginProfile', 'UpdateLoginProfile') THEN 'login_profile'
         WHEN n IN ('CreateAccessKey', 'DeleteAccessKey', 'UpdateAccessKey') THEN 'access_key'
         ELSE r->'resources'->0->>'type'
       END,
       CASE
         WHEN n IN ('CreateUser', 'DeleteUser', 'AddUserToGroup', 'RemoveUserFromGroup') THEN p->>'userName'
         WHEN n IN ('CreateGroup', 'DeleteGroup') THEN p->>'groupName'
         -- without userName the caller acts on its own login profile or key
         WHEN n IN ('CreateLoginProfile', 'DeleteLoginProfile', 'UpdateLoginProfile')
           THEN coalesce(p->>'userName', u->>'userName')
         WHEN n = 'CreateAccessKey' THEN r->'responseElements'->'accessKey'->>'accessKeyId'
         WHEN n IN ('DeleteAccessKey', 'UpdateAccessKey') THEN p->>'accessKeyId'
         ELSE r->'resources'->0->>'ARN'
       END,
       CASE
         WHEN n IN ('AddUserToGroup', 'RemoveUserFromGroup') THEN 'group'
         WHEN n IN ('CreateAccessKey', 'DeleteAccessKey', 'UpdateAccessKey') THEN 'user'
       END,
       CASE
         WHEN n IN ('AddUserToGroup', 'RemoveUserFromGroup') THEN p->>'groupName'
         WHEN n IN ('CreateAccessKey', 'DeleteAccessKey', 'UpdateAccessKey')
           THEN coalesce(p->>'userName', r->'responseElements'->'accessKey'->>'userName', u->>'userName')
       END,
       r->>'sourceIPAddress', r->>'awsRegion',
       coalesce(r->>'errorCode', 'success'), r->>'errorMessage'
  FROM (SELECT record AS r, record->'userIdentity' AS u, record->'requestParameters' AS p,
               record->>'eventName' AS n) x
$fn$;
