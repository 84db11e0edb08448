--
-- Event-history table: LookupEvents through the emulator
--
-- The emulator's LookupEvents "now" is 2026-11-20 00:00 UTC (test/run), the
-- end of the generated trail, so the 90-day window holds all of it.
\getenv port CTEMU_PORT
\set endpoint 'http://127.0.0.1:' :port
SET timezone = 'UTC';
CREATE EXTENSION cloudtrail_fdw;
CREATE SERVER emu FOREIGN DATA WRAPPER cloudtrail_fdw
  OPTIONS (region 'us-east-1', endpoint :'endpoint', s3_endpoint :'endpoint');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu
  OPTIONS (access_key_id 'AKIACTFDWEXAMPLE1111',
           secret_access_key 'ctfdwSecret1111/EXAMPLEKEY+aaaaaaaaaaaaaaa');

-- options of event-history tables
CREATE FOREIGN TABLE h_bad (event_id uuid) SERVER emu OPTIONS (source 'lookup_events', prefix 'p');  -- ERROR
CREATE FOREIGN TABLE h_bad (event_id uuid) SERVER emu OPTIONS (source 'lookup_events', event_category 'data');  -- ERROR
CREATE FOREIGN TABLE h_bad (event_id uuid) SERVER emu OPTIONS (bucket 'bkt', event_category 'insight');  -- ERROR
CREATE FOREIGN TABLE h_bad (log_file text) SERVER emu OPTIONS (source 'lookup_events');
SELECT * FROM h_bad;  -- ERROR, trail tables only
DROP FOREIGN TABLE h_bad;

-- IMPORT creates event_history always, trail_events with a bucket
CREATE SCHEMA ct;
IMPORT FOREIGN SCHEMA cloudtrail FROM SERVER emu INTO ct
  OPTIONS (bucket 'trail-bucket', regions 'us-east-1,eu-west-1', lookup_max_wait '30 seconds');
\det+ ct.*

-- ===================================================================
-- what is sent, as EXPLAIN shows it
-- ===================================================================
EXPLAIN (COSTS OFF) SELECT * FROM ct.event_history;
EXPLAIN (COSTS OFF) SELECT * FROM ct.event_history
 WHERE event_name = 'ConsoleLogin' AND username = 'root' AND aws_region = 'eu-west-1'
   AND event_time >= '2026-11-18' AND event_time < '2026-11-19';
EXPLAIN (COSTS OFF) SELECT * FROM ct.event_history
 WHERE event_source IN ('iam.amazonaws.com', 's3.amazonaws.com') AND read_only;
EXPLAIN (COSTS OFF) SELECT * FROM ct.event_history
 WHERE 'arn:aws:s3:::bucket' = ANY(resource_names) AND event_id = '3b5f3a4e-4a4b-4c5d-8e9f-0a1b2c3d4e5f';
EXPLAIN (COSTS OFF) SELECT event_time FROM ct.event_history WHERE aws_region = 'us-east-1'
 ORDER BY event_time DESC LIMIT 5;
SELECT explain_filter($$EXPLAIN (COSTS OFF) SELECT * FROM ct.event_history WHERE event_name = 'a' AND event_name = 'b'$$);

-- ===================================================================
-- results
-- ===================================================================
SELECT aws_region, count(*), min(event_time), max(event_time)
  FROM ct.event_history GROUP BY 1 ORDER BY 1;
-- every history event is a management event of the trail, with the same columns
SELECT count(*) AS in_history,
       count(*) FILTER (WHERE EXISTS (
         SELECT 1 FROM ct.trail_events t
          WHERE t.event_id = h.event_id AND t.record = h.record
            AND t.username IS NOT DISTINCT FROM h.username)) AS same_in_trail
  FROM ct.event_history h;
SELECT event_time, event_name, username, aws_region
  FROM ct.event_history WHERE aws_region = 'us-east-1'
 ORDER BY event_time DESC LIMIT 5;
SELECT event_name, count(*) FROM ct.event_history
 WHERE event_name IN ('ConsoleLogin', 'AssumeRole', 'CreateUser') GROUP BY 1 ORDER BY 1;

-- ===================================================================
-- run-time values and regions
-- ===================================================================
SELECT (SELECT count(*) FROM ct.event_history WHERE read_only = (SELECT true)) AS pruned,
       (SELECT count(*) FILTER (WHERE read_only) FROM ct.event_history) AS unpruned;
-- text initplans on attributes (crashed the backend)
SELECT (SELECT count(*) FROM ct.event_history WHERE event_name = (SELECT 'ConsoleLogin'::text)) AS pruned,
       (SELECT count(*) FILTER (WHERE event_name = 'ConsoleLogin') FROM ct.event_history) AS unpruned;
SELECT count(*) FROM ct.event_history
 WHERE event_id = (SELECT event_id FROM ct.event_history ORDER BY event_time, event_id LIMIT 1);
SELECT explain_filter($$EXPLAIN (COSTS OFF) SELECT event_time FROM ct.event_history
 WHERE event_time < (SELECT max(event_time) FROM ct.event_history) ORDER BY event_time DESC LIMIT 4$$);
SELECT (SELECT array_agg(event_time) FROM (SELECT event_time FROM ct.event_history
         WHERE event_time < (SELECT max(event_time) FROM ct.event_history)
         ORDER BY event_time DESC LIMIT 4) q) =
       (SELECT array_agg(event_time) FROM (SELECT event_time FROM ct.event_history
         WHERE event_time + interval '0' < (SELECT max(event_time) FROM ct.event_history)
         ORDER BY event_time DESC LIMIT 4) q) AS same;
-- a value LookupEvents cannot take (empty, over 2000 characters) is not sent:
-- that attribute is checked on each row instead
EXPLAIN (COSTS OFF) SELECT * FROM ct.event_history
 WHERE access_key_id = lower('') AND event_name = 'ConsoleLogin';
SELECT count(*) FROM ct.event_history WHERE access_key_id = lower('');
SELECT count(*) FROM ct.event_history WHERE event_name = repeat('x', 2001);
-- an EndTime comes with a StartTime: one older than what AWS keeps is no error
EXPLAIN (COSTS OFF) SELECT * FROM ct.event_history WHERE event_time < '2026-11-19';
SELECT count(*) FROM ct.event_history WHERE event_time < now() - interval '400 days';
SELECT (SELECT count(*) FROM ct.event_history WHERE event_time < '2026-11-19') AS pruned,
       (SELECT count(*) FILTER (WHERE event_time < '2026-11-19') FROM ct.event_history) AS unpruned;
-- bounds beyond the times AWS can read are sent within them
SELECT (SELECT count(*) FROM ct.event_history
         WHERE event_time > '4713-01-01 BC' AND event_time < '294270-01-01') AS both,
       (SELECT count(*) FROM ct.event_history WHERE event_time >= '0001-01-01') AS lower,
       (SELECT count(*) FROM ct.event_history WHERE event_time <= '9999-12-31') AS upper,
       (SELECT count(*) FROM ct.event_history) AS unbounded;
-- an event may hold two resource types: two ANY conditions are no contradiction
SELECT (SELECT count(*) FROM ct.event_history
         WHERE 'AWS::S3::Object' = ANY(resource_types) AND 'AWS::S3::Bucket' = ANY(resource_types)) AS pruned,
       (SELECT count(*) FILTER (WHERE 'AWS::S3::Object' = ANY(resource_types)
                                  AND 'AWS::S3::Bucket' = ANY(resource_types)) FROM ct.event_history) AS unpruned;
-- a StartTime after AWS's clock matches nothing, and is not sent
EXPLAIN (COSTS OFF) SELECT * FROM ct.event_history WHERE event_time > now() + interval '1 day';
-- without a regions option: the regions WHERE names, else the server's
CREATE FOREIGN TABLE h_any (event_time timestamptz, aws_region text, event_name text)
  SERVER emu OPTIONS (source 'lookup_events');
EXPLAIN (COSTS OFF) SELECT * FROM h_any;
EXPLAIN (COSTS OFF) SELECT * FROM h_any WHERE aws_region IN ('eu-west-1', 'us-east-1');
SELECT aws_region, count(*) FROM h_any WHERE aws_region = 'eu-west-1' GROUP BY 1;
SELECT aws_region, count(*) FROM h_any GROUP BY 1;
SELECT count(*) FROM h_any WHERE aws_region = 'eu-west-1.example.com/x';
-- the table's regions bound the calls
CREATE FOREIGN TABLE h_east (event_time timestamptz, aws_region text)
  SERVER emu OPTIONS (source 'lookup_events', regions 'us-east-1');
SELECT count(*) FROM h_east WHERE aws_region = 'eu-west-1';

DROP EXTENSION cloudtrail_fdw CASCADE;
