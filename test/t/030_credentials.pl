# Credentials: AssumeRole for cross-account reading, with external_id;
# caching in the backend, refresh before expiry and on ExpiredToken; ALTER
# USER MAPPING takes effect at once; no secret in the server log.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $emu = start_emulator(gen => [ '--days', '1', '--events-per-day', '20',
	'--regions', 'us-east-1', '--end', '2026-11-20T00:00:00Z', '--seed', '2', '--no-digests' ]);
my $node = node_with_server('creds', server_options => ", sts_endpoint '$emu->{url}'",
	# statement logging would write the CREATE USER MAPPING text itself (a
	# PostgreSQL setting, documented); what is checked is everything else
	conf => "log_min_messages = debug5\nlog_statement = none\nmax_parallel_workers_per_gather = 0\n");
my ($akid, $secret) = @{ $KEYS{key1} };
$node->safe_psql('postgres', qq{
	CREATE SERVER xacct FOREIGN DATA WRAPPER cloudtrail_fdw
	  OPTIONS (s3_endpoint '$emu->{url}', sts_endpoint '$emu->{url}');
	CREATE USER MAPPING FOR CURRENT_USER SERVER xacct
	  OPTIONS (access_key_id '$akid', secret_access_key '$secret',
	           role_arn 'arn:aws:iam::222222222222:role/reader-external',
	           external_id 'ctfdw-external-id', role_session_name 'audit-1');
	CREATE FOREIGN TABLE cross_t (event_id uuid) SERVER xacct
	  OPTIONS (bucket 'trail-bucket', account_ids '222222222222', regions 'us-east-1');
});
my @files = grep { /"account": "222222222222"/ && !/"insight": true/ } split /\n/, slurp_file("$emu->{data}/files.ndjson");
my $want = 0;
$want += $_ =~ /"records": (\d+)/ ? $1 : 0 for @files;

sub assumes { grep { ($_->{op} || '') eq 'AssumeRole' } requests() }

# ---- AssumeRole with external_id, cached for the backend
reset_emulator();
my $bg = $node->background_psql('postgres');
is($bg->query_safe('SELECT count(*) FROM cross_t'), $want, 'reads the other account through the assumed role');
my @a = assumes();
is(scalar @a, 1, 'one AssumeRole');
is($a[0]{role_arn}, 'arn:aws:iam::222222222222:role/reader-external', 'for the role');
is($a[0]{external_id}, 'ctfdw-external-id', 'with the external id');
my @s3 = grep { ($_->{service} || '') eq 's3' } requests();
ok(@s3 && !(grep { ($_->{akid} || '') !~ /^ASIA/ } @s3), 'S3 requests are signed with the temporary key');
is($bg->query_safe('SELECT count(*) FROM cross_t'), $want, 'a second query');
is(scalar(assumes()), 1, 'reuses the cached credentials: still one AssumeRole');

# ---- ALTER USER MAPPING takes effect at once
$node->safe_psql('postgres', q{ALTER USER MAPPING FOR CURRENT_USER SERVER xacct OPTIONS (SET role_session_name 'audit-2')});
$bg->query_safe('SELECT count(*) FROM cross_t');
is(scalar(assumes()), 2, 'after ALTER USER MAPPING the role is assumed again');

# ---- refreshed before expiry, and on ExpiredToken
reset_emulator();
ctl('sts_duration', { seconds => 200 });
$node->safe_psql('postgres', q{ALTER USER MAPPING FOR CURRENT_USER SERVER xacct OPTIONS (SET role_session_name 'audit-3')});
$bg->query_safe('SELECT count(*) FROM cross_t');
$bg->query_safe('SELECT count(*) FROM cross_t');
is(scalar(assumes()), 2, 'credentials within 5 minutes of expiry are fetched again');
reset_emulator();
ctl('sts_duration', { seconds => 400 });
$node->safe_psql('postgres', q{ALTER USER MAPPING FOR CURRENT_USER SERVER xacct OPTIONS (SET role_session_name 'audit-4')});
$bg->query_safe('SELECT count(*) FROM cross_t');
ctl('clock', { skew_seconds => 500 });    # AWS now thinks they expired
is($bg->query_safe('SELECT count(*) FROM cross_t'), $want, 'ExpiredToken: refreshed, and the query succeeds');
my @log = requests();
ok((grep { ($_->{error} || '') eq 'ExpiredToken' } @log) >= 1, 'S3 did say ExpiredToken');
is(scalar(assumes()), 2, 'and the role was assumed again');
ctl('clock', { skew_seconds => 0 });
$bg->quit;

# ---- a parallel scan: the workers sign with the leader's credentials
reset_emulator();
my $par = $node->safe_psql('postgres', q{
	SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET max_parallel_workers_per_gather = 2;
	EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*) FROM cross_t;
	SELECT count(*) FROM cross_t;});
like($par, qr/Workers Launched: 2/, 'a parallel scan through the assumed role');
like($par, qr/^$want$/m, 'reads every event');
is(scalar(assumes()), 1, 'one AssumeRole for the leader and its workers');

# ---- failures are clear
reset_emulator();
$node->safe_psql('postgres', q{ALTER USER MAPPING FOR CURRENT_USER SERVER xacct OPTIONS (SET external_id 'wrong-id')});
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM cross_t');
like($err, qr/could not assume role "arn:aws:iam::222222222222:role\/reader-external".*AWS error AccessDenied/s,
	'a wrong external id: AccessDenied, naming the role');
($ret, $out, $err) = $node->psql('postgres',
	q{ALTER USER MAPPING FOR CURRENT_USER SERVER xacct OPTIONS (SET role_arn 'arn:aws:s3:::bucket')});
like($err, qr/invalid value for option "role_arn"/, 'a role ARN that is not one is rejected');
($ret, $out, $err) = $node->psql('postgres',
	q{CREATE SERVER s2 FOREIGN DATA WRAPPER cloudtrail_fdw OPTIONS (secret_access_key 'x')});
like($err, qr/Credentials belong in a user mapping/, 'a secret in a server is rejected with a hint');

# ---- nothing secret in the server log (log_min_messages = debug5)
my $log = slurp_file($node->logfile);
ok(length($log) > 1000, 'the server log has content');
unlike($log, qr/\Q$secret\E/, 'the secret key is not in the server log');
unlike($log, qr/FwoG|ASIA[0-9A-F]{16}/, 'no session token or temporary key in the server log');

done_testing();
