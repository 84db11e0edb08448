--
-- Options: the extension, its objects, and the validator
--
CREATE EXTENSION cloudtrail_fdw;
\dew+ cloudtrail_fdw

-- ===================================================================
-- server options
-- ===================================================================
CREATE SERVER aws FOREIGN DATA WRAPPER cloudtrail_fdw OPTIONS (region 'us-east-1');
ALTER SERVER aws OPTIONS (ADD regoin 'us-east-1');             -- ERROR, hint: region
ALTER SERVER aws OPTIONS (SET region 'us-east-9x');            -- ERROR, not a region
ALTER SERVER aws OPTIONS (SET region 'mars');                  -- ERROR
ALTER SERVER aws OPTIONS (ADD addressing 'sideways');          -- ERROR, lists the choices
ALTER SERVER aws OPTIONS (ADD max_retries '-1');               -- ERROR, range
ALTER SERVER aws OPTIONS (ADD connect_timeout 'soon');         -- ERROR
ALTER SERVER aws OPTIONS (ADD s3_endpoint 'ftp://x');          -- ERROR, scheme
ALTER SERVER aws OPTIONS (ADD verify_tls 'maybe');             -- ERROR
ALTER SERVER aws OPTIONS (ADD secret_access_key 'x');          -- ERROR, belongs in a user mapping
ALTER SERVER aws OPTIONS (ADD bucket 'b');                     -- ERROR, belongs to the table
ALTER SERVER aws OPTIONS (ADD region 'eu-west-1');             -- ERROR, redundant
ALTER SERVER aws OPTIONS (ADD addressing 'path', max_retries '3', verify_tls 'true');
ALTER FOREIGN DATA WRAPPER cloudtrail_fdw OPTIONS (ADD region 'us-east-1');  -- ERROR, the wrapper takes none

-- ===================================================================
-- user mapping options
-- ===================================================================
CREATE USER MAPPING FOR CURRENT_USER SERVER aws OPTIONS (acess_key_id 'AKIA');  -- ERROR, hint
CREATE USER MAPPING FOR CURRENT_USER SERVER aws OPTIONS (access_key_id 'AKIA'); -- ERROR, needs the secret
CREATE USER MAPPING FOR CURRENT_USER SERVER aws OPTIONS (session_token 't');    -- ERROR
CREATE USER MAPPING FOR CURRENT_USER SERVER aws OPTIONS (region 'us-east-1');   -- ERROR, server option
CREATE USER MAPPING FOR CURRENT_USER SERVER aws
  OPTIONS (access_key_id 'AKIAEXAMPLE', secret_access_key 'example-secret');
ALTER USER MAPPING FOR CURRENT_USER SERVER aws OPTIONS (ADD role_arn 'arn:aws:s3:::bucket');        -- ERROR
ALTER USER MAPPING FOR CURRENT_USER SERVER aws OPTIONS (ADD role_arn 'arn:aws:iam::12345:role/r');  -- ERROR
ALTER USER MAPPING FOR CURRENT_USER SERVER aws OPTIONS (ADD role_session_name 'has space');         -- ERROR
ALTER USER MAPPING FOR CURRENT_USER SERVER aws OPTIONS (ADD duration '60');                         -- ERROR, 900..43200
ALTER USER MAPPING FOR CURRENT_USER SERVER aws OPTIONS (ADD extrnal_id 'x');                        -- ERROR, hint
ALTER USER MAPPING FOR CURRENT_USER SERVER aws
  OPTIONS (ADD role_arn 'arn:aws-us-gov:iam::111122223333:role/cloudtrail-reader',
           ADD external_id 'id-1', ADD role_session_name 'audit@team', ADD duration '900');
-- one source of credentials per user mapping
ALTER USER MAPPING FOR CURRENT_USER SERVER aws OPTIONS (ADD profile 'auditor');                   -- ERROR
ALTER USER MAPPING FOR CURRENT_USER SERVER aws OPTIONS (ADD credential_process '/bin/true');       -- ERROR
CREATE SERVER aws2 FOREIGN DATA WRAPPER cloudtrail_fdw;
CREATE USER MAPPING FOR CURRENT_USER SERVER aws2 OPTIONS (profile 'a', credential_process 'b');   -- ERROR
CREATE USER MAPPING FOR CURRENT_USER SERVER aws2 OPTIONS (profile 'auditor');
ALTER USER MAPPING FOR CURRENT_USER SERVER aws2 OPTIONS (ADD credential_source 'default');        -- ERROR
ALTER USER MAPPING FOR CURRENT_USER SERVER aws2 OPTIONS (DROP profile, ADD credential_process 'helper --json');
DROP SERVER aws2 CASCADE;

-- ===================================================================
-- endpoints: the partition's hosts, FIPS and dual-stack (EXPLAIN VERBOSE
-- shows them; nothing is sent)
-- ===================================================================
CREATE SERVER gov FOREIGN DATA WRAPPER cloudtrail_fdw
  OPTIONS (region 'us-gov-west-1', use_fips_endpoint 'true');
CREATE SERVER china FOREIGN DATA WRAPPER cloudtrail_fdw
  OPTIONS (region 'cn-north-1', use_dualstack_endpoint 'on');
ALTER SERVER china OPTIONS (ADD use_fips_endpoint 'sometimes');  -- ERROR
CREATE USER MAPPING FOR CURRENT_USER SERVER gov OPTIONS (access_key_id 'AKIAEXAMPLE', secret_access_key 'x');
CREATE USER MAPPING FOR CURRENT_USER SERVER china OPTIONS (access_key_id 'AKIAEXAMPLE', secret_access_key 'x');
CREATE FOREIGN TABLE gov_trail (event_id text) SERVER gov OPTIONS (bucket 'gov-trail');
CREATE FOREIGN TABLE gov_history (event_id text) SERVER gov
  OPTIONS (source 'lookup_events', regions 'us-gov-west-1,us-gov-east-1');
CREATE FOREIGN TABLE china_trail (event_id text) SERVER china OPTIONS (bucket 'cn-trail');
CREATE FOREIGN TABLE china_history (event_id text) SERVER china OPTIONS (source 'lookup_events');
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM gov_trail;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM gov_history;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM china_trail;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM china_history;
ALTER SERVER gov OPTIONS (ADD use_dualstack_endpoint 'on');
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM gov_history;
DROP SERVER gov, china CASCADE;

-- ===================================================================
-- table and column options
-- ===================================================================
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws;                      -- ERROR, needs bucket
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (buckett 'b'); -- ERROR, hint
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (bucket 's3://b'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (bucket 'bkt', directory '/tmp'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (source 's3', directory '/tmp'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (bucket 'bkt', regions 'us-east-1,atlantis'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (bucket 'bkt', account_ids '1234'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (bucket 'bkt', organization_id 'org1'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (bucket 'bkt', max_delivery_delay '-1 hour'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (bucket 'bkt', max_delivery_delay 'a while'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (bucket 'bkt', max_concurrency '0'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (bucket 'bkt', event_files 'digest'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (bucket 'bkt', on_error 'ignore'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid) SERVER aws OPTIONS (bucket 'bkt', access_key_id 'x'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid OPTIONS (paht 'eventID')) SERVER aws OPTIONS (bucket 'bkt'); -- ERROR
CREATE FOREIGN TABLE t_bad (event_id uuid OPTIONS (path 'a..b')) SERVER aws OPTIONS (bucket 'bkt'); -- ERROR
CREATE FOREIGN TABLE t_ok (
  event_id uuid,
  event_time timestamptz,
  session_arn text OPTIONS (path 'userIdentity.sessionContext.sessionIssuer.arn')
) SERVER aws OPTIONS (bucket 'my-trail-bucket', prefix 'org', organization_id 'o-abcdefghij',
                      account_ids '111111111111, 222222222222', regions 'us-east-1,eu-west-1',
                      max_delivery_delay '2 hours', max_concurrency '16', on_error 'skip');
ALTER FOREIGN TABLE t_ok OPTIONS (SET max_concurrency '300');  -- ERROR
ALTER FOREIGN TABLE t_ok ALTER COLUMN event_id OPTIONS (ADD path 'eventID');

-- a column the FDW does not know is rejected when it is used, with a hint
CREATE FOREIGN TABLE t_cols (event_nmae text) SERVER aws OPTIONS (bucket 'my-trail-bucket');
SELECT * FROM t_cols;   -- ERROR, hint event_name

-- ===================================================================
-- superuser-only options
-- ===================================================================
CREATE ROLE regress_ct_user;
GRANT USAGE ON FOREIGN DATA WRAPPER cloudtrail_fdw TO regress_ct_user;
GRANT CREATE ON SCHEMA public TO regress_ct_user;
SET ROLE regress_ct_user;
CREATE SERVER user_srv FOREIGN DATA WRAPPER cloudtrail_fdw OPTIONS (s3_endpoint 'http://127.0.0.1:1'); -- ERROR
CREATE SERVER user_srv FOREIGN DATA WRAPPER cloudtrail_fdw OPTIONS (verify_tls 'false'); -- ERROR
CREATE SERVER user_srv FOREIGN DATA WRAPPER cloudtrail_fdw OPTIONS (sts_endpoint 'http://127.0.0.1:1'); -- ERROR
CREATE SERVER user_srv FOREIGN DATA WRAPPER cloudtrail_fdw OPTIONS (region 'eu-west-1');
CREATE FOREIGN TABLE user_dir (event_id uuid) SERVER user_srv OPTIONS (directory '/etc'); -- ERROR
-- the database server's own identity is not theirs to use
CREATE USER MAPPING FOR CURRENT_USER SERVER user_srv OPTIONS (credential_source 'default');   -- ERROR
CREATE USER MAPPING FOR CURRENT_USER SERVER user_srv OPTIONS (profile 'default');             -- ERROR
CREATE USER MAPPING FOR CURRENT_USER SERVER user_srv OPTIONS (credential_process '/bin/id');  -- ERROR
CREATE USER MAPPING FOR CURRENT_USER SERVER user_srv
  OPTIONS (access_key_id 'AKIAEXAMPLE', secret_access_key 'theirs',
           role_arn 'arn:aws:iam::111122223333:role/reader');
ALTER USER MAPPING FOR CURRENT_USER SERVER user_srv OPTIONS (DROP access_key_id, DROP secret_access_key, ADD profile 'x'); -- ERROR
DROP SERVER user_srv CASCADE;
RESET ROLE;
REVOKE CREATE ON SCHEMA public FROM regress_ct_user;
DROP OWNED BY regress_ct_user;
DROP ROLE regress_ct_user;

-- ===================================================================
-- IMPORT FOREIGN SCHEMA
-- ===================================================================
CREATE SCHEMA imported;
IMPORT FOREIGN SCHEMA nope FROM SERVER aws INTO imported;                -- ERROR
-- without a bucket IMPORT asks DescribeTrails for the trails (never here:
-- this server is AWS's); LIMIT TO (event_history) asks nothing
IMPORT FOREIGN SCHEMA cloudtrail LIMIT TO (event_history) FROM SERVER aws INTO imported
  OPTIONS (regions 'us-east-1');
\det imported.*
IMPORT FOREIGN SCHEMA cloudtrail LIMIT TO (trail_events) FROM SERVER aws INTO imported;  -- ERROR, needs bucket
IMPORT FOREIGN SCHEMA cloudtrail LIMIT TO (trail_events) FROM SERVER aws INTO imported
  OPTIONS (bucket 'b-k-t', regions 'us-east-1', event_category 'insight');
\d imported.trail_events
IMPORT FOREIGN SCHEMA cloudtrail EXCEPT (trail_events, event_history) FROM SERVER aws INTO imported
  OPTIONS (bucket 'b-k-t');

-- the secret is in the catalog only for whoever may read user mappings
SELECT count(*) FROM pg_user_mappings WHERE srvname = 'aws';

-- ===================================================================
-- DROP EXTENSION ... CASCADE takes everything with it
-- ===================================================================
DROP EXTENSION cloudtrail_fdw CASCADE;
SELECT count(*) FROM pg_foreign_server WHERE srvname = 'aws';
DROP SCHEMA imported;
