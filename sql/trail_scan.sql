--
-- Trail table: reading CloudTrail log files from the emulator's S3
--
-- test/run generates the trail: 2 accounts x 2 regions, 3 days ending
-- 2026-11-20 00:00 UTC, seed 7; CTEMU_PORT and CTEMU_DATA say where it is.
\getenv port CTEMU_PORT
\getenv data CTEMU_DATA
\set endpoint 'http://127.0.0.1:' :port
\set directory :data '/s3/trail-bucket'
SET timezone = 'UTC';
CREATE EXTENSION cloudtrail_fdw;
CREATE SERVER emu FOREIGN DATA WRAPPER cloudtrail_fdw
  OPTIONS (region 'us-east-1', s3_endpoint :'endpoint');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu
  OPTIONS (access_key_id 'AKIACTFDWEXAMPLE1111',
           secret_access_key 'ctfdwSecret1111/EXAMPLEKEY+aaaaaaaaaaaaaaa');
IMPORT FOREIGN SCHEMA cloudtrail FROM SERVER emu INTO public OPTIONS (bucket 'trail-bucket');

-- ===================================================================
-- whole trail: digests and Insights files are not events
-- ===================================================================
SELECT count(*), count(DISTINCT event_id) AS distinct_ids,
       min(event_time), max(event_time) FROM trail_events;
SELECT recipient_account_id, aws_region, count(*)
  FROM trail_events GROUP BY 1, 2 ORDER BY 1, 2;
-- late deliveries and duplicate event IDs, as real trails have
SELECT count(*) AS duplicated_ids FROM (
  SELECT event_id FROM trail_events GROUP BY 1 HAVING count(*) > 1) d;

-- ===================================================================
-- columns
-- ===================================================================
SELECT event_id, event_time, event_name, event_source, username, user_type,
       read_only, management_event, log_file ~ '^s3://trail-bucket/AWSLogs/' AS log_file_ok
  FROM trail_events ORDER BY event_id LIMIT 5;
SELECT user_type, count(*) FILTER (WHERE username IS NOT NULL) AS with_username, count(*)
  FROM trail_events GROUP BY 1 ORDER BY 1;
-- record is the whole record; the columns agree with it
SELECT count(*) FROM trail_events
 WHERE record->>'eventID' <> event_id::text
    OR (record->>'eventTime')::timestamptz <> event_time
    OR record->'userIdentity' IS DISTINCT FROM user_identity
    OR record->>'eventName' IS DISTINCT FROM event_name;
-- a path option maps any field, converted to the declared type
CREATE FOREIGN TABLE trail_paths (
  issuer text OPTIONS (path 'userIdentity.sessionContext.sessionIssuer.arn'),
  mfa boolean OPTIONS (path 'userIdentity.sessionContext.attributes.mfaAuthenticated'),
  id text OPTIONS (path 'eventID'),
  params_text text OPTIONS (path 'requestParameters')
) SERVER emu OPTIONS (bucket 'trail-bucket', account_ids '111111111111', regions 'us-east-1');
SELECT count(issuer) > 0 AS has_issuers, count(mfa) > 0 AS has_mfa,
       bool_and(params_text IS NULL OR params_text LIKE '{%') AS params_are_json
  FROM trail_paths;

-- ===================================================================
-- pruning: time window, accounts, regions (rechecked locally)
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*) FROM trail_events
 WHERE event_time >= '2026-11-18 00:00Z' AND event_time < '2026-11-18 06:00Z'
   AND recipient_account_id = '111111111111' AND aws_region IN ('us-east-1', 'eu-west-1');
SELECT count(*) FROM trail_events
 WHERE event_time >= '2026-11-18 00:00Z' AND event_time < '2026-11-18 06:00Z'
   AND recipient_account_id = '111111111111' AND aws_region IN ('us-east-1', 'eu-west-1');
-- the same count without any pruning
SELECT count(*) FILTER (WHERE event_time >= '2026-11-18 00:00Z' AND event_time < '2026-11-18 06:00Z'
                           AND recipient_account_id = '111111111111')
  FROM trail_events;
-- BETWEEN, reversed operands, and a parameter of a prepared statement
PREPARE w(timestamptz) AS
  SELECT count(*) FROM trail_events
   WHERE event_time BETWEEN $1 AND $1 + interval '12 hours' AND '2026-11-17 12:00Z' <= event_time;
EXPLAIN (COSTS OFF) EXECUTE w('2026-11-17 06:00Z');
EXECUTE w('2026-11-17 06:00Z');
SELECT count(*) FROM trail_events
 WHERE event_time + interval '0' BETWEEN '2026-11-17 12:00Z' AND '2026-11-17 18:00Z';
-- contradictory bounds read nothing at all
EXPLAIN (COSTS OFF) SELECT * FROM trail_events
 WHERE event_time > '2026-11-19Z' AND event_time < '2026-11-18Z';
SELECT count(*) FROM trail_events WHERE event_time > '2026-11-19Z' AND event_time < '2026-11-18Z';
SELECT count(*) FROM trail_events WHERE aws_region = 'us-east-1' AND aws_region = 'eu-west-1';
-- a NULL bound can match nothing
SELECT count(*) FROM trail_events WHERE event_time > NULL::timestamptz;

-- ===================================================================
-- run-time values: initplans, correlated and lateral bounds, generic
-- plans.  Each pruned count is compared with the same condition checked
-- on an unpruned scan.
-- ===================================================================
SELECT (SELECT count(*) FROM trail_events WHERE event_time < (SELECT now())) AS pruned,
       (SELECT count(*) FROM trail_events) AS unpruned;
SELECT (SELECT count(*) FROM trail_events WHERE event_time >= (SELECT timestamptz '2026-11-18 12:00Z')) AS pruned,
       (SELECT count(*) FILTER (WHERE event_time >= '2026-11-18 12:00Z') FROM trail_events) AS unpruned;
SELECT (SELECT count(*) FROM trail_events
         WHERE event_time = (SELECT min(event_time) FROM trail_events)) AS pruned,
       (SELECT count(*) FILTER (WHERE event_time = (SELECT min(event_time) FROM trail_events))
          FROM trail_events) AS unpruned;
-- a text initplan on a pruning column (crashed the backend, even in EXPLAIN)
SELECT explain_filter($$EXPLAIN (COSTS OFF)
SELECT count(*) FROM trail_events WHERE recipient_account_id = (SELECT '111111111111'::text)$$);
SELECT (SELECT count(*) FROM trail_events WHERE recipient_account_id = (SELECT '111111111111'::text)) AS pruned,
       (SELECT count(*) FILTER (WHERE recipient_account_id = '111111111111') FROM trail_events) AS unpruned;
SELECT count(*) FROM trail_events WHERE aws_region = (SELECT NULL::text);
-- correlated: a day's events for each day
SELECT d::date AS day,
       (SELECT count(*) FROM trail_events WHERE event_time >= d AND event_time < d + interval '1 day') AS pruned,
       (SELECT count(*) FILTER (WHERE event_time >= d AND event_time < d + interval '1 day')
          FROM trail_events) AS unpruned
  FROM generate_series(timestamptz '2026-11-16 12:00Z', '2026-11-19 12:00Z', '1 day') d ORDER BY 1;
-- lateral (LIMIT keeps the sub-query from being flattened into a join)
SELECT a.acct, a.region, l.n AS pruned,
       (SELECT count(*) FILTER (WHERE recipient_account_id = a.acct AND aws_region = a.region)
          FROM trail_events) AS unpruned
  FROM (VALUES ('111111111111', 'us-east-1'), ('222222222222', 'eu-west-1'),
               ('222222222222', 'mars-north-1')) a(acct, region),
       LATERAL (SELECT count(*) AS n FROM (SELECT 1 FROM trail_events t
                 WHERE t.recipient_account_id = a.acct AND t.aws_region = a.region LIMIT 100000) q) l
 ORDER BY 1, 2;
-- a generic plan: parameters are evaluated when the scan starts
SET plan_cache_mode = force_generic_plan;
PREPARE g(text, timestamptz) AS
  SELECT count(*) FROM trail_events WHERE aws_region = $1 AND event_time >= $2;
EXPLAIN (COSTS OFF) EXECUTE g('eu-west-1', '2026-11-19 12:00Z');
EXECUTE g('eu-west-1', '2026-11-19 12:00Z');
EXECUTE g('us-east-1', '2026-11-19 12:00Z');
EXECUTE g(NULL, '2026-11-19 12:00Z');
RESET plan_cache_mode;
SELECT aws_region, count(*) FILTER (WHERE event_time >= '2026-11-19 12:00Z')
  FROM trail_events GROUP BY 1 ORDER BY 1;
-- EXPLAIN ANALYZE shows the values the scan used
SELECT explain_filter($$EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*) FROM trail_events
 WHERE event_time >= (SELECT timestamptz '2026-11-19 12:00Z') AND aws_region = (SELECT 'eu-west-1'::text)
   AND recipient_account_id = '111111111111'$$);
-- a join on event_time: a nested loop hands each outer row's bounds to the scan
CREATE TEMP TABLE alerts (at timestamptz, acct text);
INSERT INTO alerts VALUES ('2026-11-18 06:00Z', '111111111111'), ('2026-11-19 18:00Z', '222222222222');
ANALYZE alerts;
EXPLAIN (COSTS OFF)
SELECT a.at, count(*) FROM alerts a JOIN trail_events t
    ON t.event_time BETWEEN a.at - interval '1 hour' AND a.at AND t.recipient_account_id = a.acct
 GROUP BY 1;
SELECT a.at, count(*) FROM alerts a JOIN trail_events t
    ON t.event_time BETWEEN a.at - interval '1 hour' AND a.at AND t.recipient_account_id = a.acct
 GROUP BY 1 ORDER BY 1;
SELECT a.at, count(*) FILTER (WHERE t.event_time BETWEEN a.at - interval '1 hour' AND a.at
                                AND t.recipient_account_id = a.acct)
  FROM alerts a, trail_events t GROUP BY 1 ORDER BY 1;
-- infinities bound nothing, or everything
SELECT (SELECT count(*) FROM trail_events WHERE event_time < 'infinity' AND event_time > '-infinity') AS pruned,
       (SELECT count(*) FROM trail_events) AS unpruned;
EXPLAIN (COSTS OFF) SELECT * FROM trail_events WHERE event_time > 'infinity';
SELECT count(*) FROM trail_events WHERE event_time < (SELECT '-infinity'::timestamptz);

-- ===================================================================
-- table options bound what is read; WHERE narrows within them
-- ===================================================================
CREATE FOREIGN TABLE trail_one (event_id uuid, event_time timestamptz, aws_region text,
                                recipient_account_id text)
  SERVER emu OPTIONS (bucket 'trail-bucket', account_ids '111111111111', regions 'us-east-1');
SELECT recipient_account_id, aws_region, count(*) FROM trail_one GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) FROM trail_one WHERE recipient_account_id = '222222222222' AND aws_region = 'eu-west-1';
SELECT count(*) FROM trail_one
 WHERE recipient_account_id IN ('111111111111', '222222222222') AND aws_region IN ('us-east-1', 'eu-west-1');
EXPLAIN (COSTS OFF) SELECT * FROM trail_one WHERE aws_region = 'eu-west-1';
EXPLAIN (COSTS OFF) SELECT * FROM trail_one WHERE aws_region IN ('eu-west-1', 'us-east-1');
-- a value that cannot be an account or a region matches nothing and reads nothing
EXPLAIN (COSTS OFF) SELECT * FROM trail_events WHERE aws_region = 'us-east-1/../../../../etc';
SELECT count(*) FROM trail_events WHERE recipient_account_id = '111111111111/../222222222222';

-- ===================================================================
-- Insights files, directory tables
-- ===================================================================
CREATE FOREIGN TABLE insights (event_time timestamptz, event_type text, insight_details jsonb)
  SERVER emu OPTIONS (bucket 'trail-bucket', event_files 'insight');
SELECT count(*), bool_and(event_type = 'AwsCloudTrailInsight') AS all_insights,
       bool_and(insight_details IS NOT NULL) AS with_details FROM insights;
CREATE FOREIGN TABLE trail_dir (event_id uuid, event_time timestamptz, aws_region text,
                                recipient_account_id text)
  SERVER emu OPTIONS (directory :'directory');
-- the same events as through S3
SELECT (SELECT count(*) FROM trail_dir) AS dir_count,
       (SELECT count(*) FROM (SELECT event_id FROM trail_dir EXCEPT ALL SELECT event_id FROM trail_events) x) AS only_in_dir,
       (SELECT count(*) FROM (SELECT event_id FROM trail_events EXCEPT ALL SELECT event_id FROM trail_dir) x) AS only_in_s3;
SELECT count(*) FROM trail_dir
 WHERE event_time >= '2026-11-18 00:00Z' AND event_time < '2026-11-18 06:00Z'
   AND recipient_account_id = '111111111111';
-- pushed values never become paths outside the directory
SELECT count(*) FROM trail_dir WHERE aws_region = 'us-east-1/../../../../../../etc';
SELECT count(*) FROM trail_dir WHERE recipient_account_id = '../../../../../../../etc';

-- ===================================================================
-- a listing that finds no folder at all says so
-- ===================================================================
CREATE FOREIGN TABLE wrong_prefix (event_id uuid) SERVER emu
  OPTIONS (bucket 'trail-bucket', prefix 'no-such-prefix');
SELECT count(*) FROM wrong_prefix;
CREATE FOREIGN TABLE wrong_org (event_id uuid) SERVER emu
  OPTIONS (bucket 'trail-bucket', organization_id 'o-nosuchorg00');
SELECT count(*) FROM wrong_org;
-- folders the WHERE clause leaves out are no reason for a notice
SELECT count(*) FROM trail_events WHERE recipient_account_id = '999999999999';

DROP EXTENSION cloudtrail_fdw CASCADE;
