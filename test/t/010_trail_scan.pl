# The trail table against the emulator: what a WHERE clause lists and
# fetches (from the emulator's request log), retries, bad input,
# cancellation, memory, and every real record checked column by column.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use HTTP::Tiny;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use Time::Local qw(timegm);

my $emu = start_emulator(gen => [ '--days', '2', '--events-per-day', '60',
	'--regions', 'us-east-1,eu-west-1', '--end', '2026-11-20T00:00:00Z', '--seed', '11',
	'--no-digests' ]);
# request counts below are for serial scans; the parallel section asks for workers
my $node = node_with_server('scan', conf => "max_parallel_workers_per_gather = 0\n");
$node->safe_psql('postgres', q{
	IMPORT FOREIGN SCHEMA cloudtrail FROM SERVER emu INTO public OPTIONS (bucket 'trail-bucket');
});
my $http = HTTP::Tiny->new;

sub sql_one { $node->safe_psql('postgres', $_[0]) }

sub err
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	return $err;
}

my @files = map { decode_json($_) } split /\n/, slurp_file("$emu->{data}/files.ndjson");

sub stamp_of
{
	my ($key) = @_;
	my ($y, $mo, $d, $h, $mi) = $key =~ /_(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z_[^\/]+$/ or return;
	return timegm(0, $mi, $h, $d, $mo - 1, $y);
}

sub epoch
{
	my ($iso) = @_;
	my ($y, $mo, $d, $h, $mi, $s) = $iso =~ /^(\d+)-(\d+)-(\d+)[T ](\d+):(\d+):(\d+)/;
	return timegm($s, $mi, $h, $d, $mo - 1, $y);
}

# every record of the trail, read here with Perl's own gunzip and JSON
my @records;
for my $f (grep { !$_->{insight} } @files)
{
	my $raw;
	gunzip("$emu->{data}/s3/trail-bucket/$f->{key}" => \$raw) or die $GunzipError;
	push @records, map { { %$_, _file => $f->{key} } } @{ decode_json($raw)->{Records} };
}
ok(scalar @records > 400, scalar(@records) . ' records in the generated trail');

# ===================================================================
# pruning, from the request log
# ===================================================================
my ($S, $E) = ('2026-11-18T10:00:00Z', '2026-11-18T16:00:00Z');
my $delay = 6 * 3600;
reset_emulator();
my $got = sql_one(qq{SELECT count(*) FROM trail_events
	WHERE event_time >= '$S' AND event_time < '$E'
	  AND recipient_account_id = '111111111111' AND aws_region = 'us-east-1'});
my $want = grep { $_->{eventTime} ge $S && $_->{eventTime} lt $E
	  && $_->{recipientAccountId} eq '111111111111' && $_->{awsRegion} eq 'us-east-1' } @records;
is($got, $want, 'window + account + region: the count computed from every file');

my @log = requests();
my @lists = grep { ($_->{op} || '') eq 'ListObjectsV2' } @log;
my @gets = grep { ($_->{op} || '') eq 'GetObject' } @log;
my $prefix = 'AWSLogs/111111111111/CloudTrail/us-east-1/';
# without organization_id the account may be in an organization's folder:
# the root is listed once, for folders only
my @root = grep { $_->{prefix} eq 'AWSLogs/' && ($_->{delimiter} || '') eq '/' } @lists;
is(scalar(@root), 1, 'the root is listed once to find the account folder');
@lists = grep { $_->{prefix} ne 'AWSLogs/' } @lists;
is_deeply([ sort keys %{ { map { $_->{prefix} => 1 } @lists } } ], [$prefix],
	'... and then only the one region folder');
is($lists[0]{start_after}, "${prefix}2026/11/18/111111111111_CloudTrail_us-east-1_20261118T1000",
	'the listing starts after the first file that can hold the window start');
my @want_keys = sort map { $_->{key} } grep {
	!$_->{insight} && $_->{account} eq '111111111111' && $_->{region} eq 'us-east-1'
	  && stamp_of($_->{key}) >= epoch($S) && stamp_of($_->{key}) <= epoch($E) + $delay
} @files;
my %got_keys;
$got_keys{ $_->{key} }++ for @gets;
is_deeply([ sort keys %got_keys ], \@want_keys,
	'exactly the files stamped in [start, end + max_delivery_delay] are fetched (' . scalar(@want_keys) . ')')
  or diag(explain([ map { { key => $_->{key}, status => $_->{status}, range => $_->{range} } } @gets ]));
diag('fetched more than once (retried): ' . join(', ', grep { $got_keys{$_} > 1 } sort keys %got_keys))
  if grep { $_ > 1 } values %got_keys;
my @listed_days = sort keys %{ { map { (($_->{start_after} || '') =~ m!/(\d{4}/\d\d/\d\d)/!) => 1 } @lists } };
is_deeply(\@listed_days, ['2026/11/18'], 'no date folder before the window is listed');

# a stable expression and BETWEEN
reset_emulator();
$got = sql_one(qq{SELECT count(*) FROM trail_events
	WHERE event_time BETWEEN statement_timestamp() - (statement_timestamp() - '$S'::timestamptz)
	                     AND '$E'::timestamptz - interval '1 second'
	  AND aws_region IN ('eu-west-1')});
$want = grep { $_->{eventTime} ge $S && $_->{eventTime} lt $E && $_->{awsRegion} eq 'eu-west-1' } @records;
is($got, $want, 'stable expression bound: same count as computed');
@lists = grep { ($_->{op} || '') eq 'ListObjectsV2' } requests();
my %pfx = map { $_->{prefix} => $_->{start_after} } grep { $_->{start_after} } @lists;
is_deeply([ sort keys %pfx ], [ map { "AWSLogs/$_/CloudTrail/eu-west-1/" } qw(111111111111 222222222222) ],
	'accounts discovered, then only eu-west-1 listed for each');

# no bounds at all: discovery, and digests/Insights never fetched as events
reset_emulator();
is(sql_one('SELECT count(*) FROM trail_events'), scalar @records, 'whole trail');
@log = requests();
ok((grep { ($_->{delimiter} || '') eq '/' && $_->{prefix} eq 'AWSLogs/' } @log) == 1,
	'accounts found by one delimiter listing')
  or diag(explain([ grep { $_->{delimiter} } @log ]));
is((grep { ($_->{op} || '') eq 'GetObject' && $_->{key} !~ m!/CloudTrail/[^/]+/\d{4}/! } @log), 0,
	'no Insights or digest object is fetched');

# EXPLAIN ANALYZE agrees with the log
reset_emulator();
my $plan = sql_one(qq{EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*) FROM trail_events
	WHERE event_time >= '$S' AND event_time < '$E' AND recipient_account_id = '111111111111'
	  AND aws_region = 'us-east-1'});
my ($fetched) = $plan =~ /Objects Fetched: (\d+)/;
is($fetched, scalar(@want_keys), 'EXPLAIN ANALYZE counts the objects fetched');

# parallel scan: the same rows, and every object fetched exactly once
my $all_sql = q{SELECT count(*) || ':' || md5(string_agg(event_id::text, ',' ORDER BY event_id, event_time))
	FROM trail_events};
my $serial = sql_one($all_sql);
reset_emulator();
my $par_set = 'SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET max_parallel_workers_per_gather = 2;';
like(sql_one("$par_set EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*) FROM trail_events"),
	qr/Workers Launched: 2.*Parallel Foreign Scan on trail_events/s, 'a parallel plan with 2 workers');
my %fetched;
$fetched{ $_->{key} }++ for grep { ($_->{op} || '') eq 'GetObject' } requests();
is(scalar(keys %fetched), scalar(grep { !$_->{insight} } @files), 'parallel: every log file fetched');
is(scalar(grep { $_ > 1 } values %fetched), 0, 'parallel: none fetched twice');
is(sql_one("$par_set $all_sql"), $serial, 'parallel: the same rows as a serial scan');
# the work is shared: objects are claimed when a participant has room, so the
# leader (which starts first) does not take them all (50 ms a request keeps
# it busy while the workers start)
ctl('latency', { ms => 50 });
my $pplan = sql_one("$par_set EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) SELECT count(*) FROM trail_events");
ctl('latency', { ms => 0 });
my ($scan_part) = $pplan =~ /(Parallel Foreign Scan.*)/s;
my @worker_rows = ($scan_part || '') =~ /Worker \d+:\s+actual rows=(\d+)/g;
ok(@worker_rows == 2 && !grep({ $_ == 0 } @worker_rows),
	'parallel: both workers read events (' . join(', ', @worker_rows) . ' rows)')
  or diag($pplan);

# virtual-hosted addressing (<bucket>.localhost) and a bucket in another region
my $vh_url = $emu->{url} =~ s/127\.0\.0\.1/localhost/r;
sql_one(qq{CREATE SERVER emu_vh FOREIGN DATA WRAPPER cloudtrail_fdw
	OPTIONS (region 'us-east-1', s3_endpoint '$vh_url', addressing 'virtual');
	CREATE USER MAPPING FOR CURRENT_USER SERVER emu_vh OPTIONS (access_key_id '$KEYS{key1}[0]', secret_access_key '$KEYS{key1}[1]');
	CREATE FOREIGN TABLE trail_vh (event_id uuid) SERVER emu_vh OPTIONS (bucket 'trail-bucket', regions 'us-east-1')});
reset_emulator();
is(sql_one('SELECT count(*) FROM trail_vh'), scalar(grep { $_->{awsRegion} eq 'us-east-1' } @records),
	'virtual-hosted addressing reads the trail');
ok((grep { ($_->{host} || '') =~ /^trail-bucket\.localhost:/ } requests()) > 0, 'requests went to trail-bucket.localhost');
ctl('bucket_region', { bucket => 'trail-bucket', region => 'eu-west-1' });
reset_emulator();
ctl('bucket_region', { bucket => 'trail-bucket', region => 'eu-west-1' });
is(sql_one('SELECT count(*) FROM trail_vh'), scalar(grep { $_->{awsRegion} eq 'us-east-1' } @records),
	'a bucket in another region: its region is learnt from the reply');
my @reg = requests();
is(($reg[0]{error} || ''), 'AuthorizationHeaderMalformed', 'the first request was signed for the wrong region');
is(scalar(grep { ($_->{region} || '') eq 'eu-west-1' && $_->{status} == 200 } @reg), @reg - 1,
	'every later request was signed for eu-west-1') or diag(explain([ grep { ($_->{region} || '') ne 'eu-west-1' } @reg ]));
ctl('bucket_region', { bucket => 'trail-bucket', region => 'us-east-1' });

# ===================================================================
# retries
# ===================================================================
my $digest_sql = q{SELECT count(*) || ':' || md5(string_agg(event_id::text, ',' ORDER BY event_id, event_time))
	FROM trail_events WHERE recipient_account_id = '222222222222'};
my $clean = sql_one($digest_sql);
reset_emulator();
ctl('fault', { match => { op => 'GetObject' }, kind => 'http500', count => 3 });
ctl('fault', { match => { op => 'ListObjectsV2' }, kind => 'slowdown', count => 2 });
is(sql_one($digest_sql), $clean, '500s and SlowDown are ridden out: same rows');
is(scalar(grep { $_->{fault} } requests()), 5, 'all five faults were served');

my ($big) = sort { $b->{records} <=> $a->{records} }
  grep { $_->{account} eq '222222222222' && !$_->{insight} } @files;
reset_emulator();
ctl('fault', { match => { op => 'GetObject', key => $big->{key} }, kind => 'drop', count => 2 });
is(sql_one($digest_sql), $clean, 'a connection dropped mid-body twice: no duplicate, no missing row');
my @ranged = grep { ($_->{key} || '') eq $big->{key} && $_->{range} } requests();
ok(@ranged >= 1 && $ranged[0]{range} =~ /^bytes=[1-9]\d*-$/, 'the retry resumed with a Range request');

reset_emulator();
ctl('fault', { match => { op => 'GetObject' }, kind => 'http500', count => 1000 });
my $e = err('SELECT count(*) FROM trail_events');
like($e, qr/could not read object ".*" from bucket "trail-bucket"/, 'persistent 500s: an error naming the object');
like($e, qr/AWS error InternalError \(HTTP 500, request id [0-9A-F]+\)/, 'with the AWS code and request id');
reset_emulator();

# ===================================================================
# AWS errors
# ===================================================================
sql_one(q{CREATE FOREIGN TABLE nobucket (event_id uuid) SERVER emu OPTIONS (bucket 'no-such-bucket')});
$e = err('SELECT * FROM nobucket');
like($e, qr/HV00R/, 'NoSuchBucket: SQLSTATE HV00R (fdw table not found)');
like($e, qr/AWS error NoSuchBucket/, 'NoSuchBucket in the detail');

$node->safe_psql('postgres', q{
	CREATE SERVER emu_bad FOREIGN DATA WRAPPER cloudtrail_fdw OPTIONS (s3_endpoint '} . $emu->{url} . q{');
	CREATE USER MAPPING FOR CURRENT_USER SERVER emu_bad
	  OPTIONS (access_key_id 'AKIACTFDWEXAMPLE1111', secret_access_key 'wrong-secret-value-123');
	CREATE FOREIGN TABLE badkey (event_id uuid) SERVER emu_bad OPTIONS (bucket 'trail-bucket');
});
$e = err('SELECT * FROM badkey');
like($e, qr/SignatureDoesNotMatch/, 'wrong secret: SignatureDoesNotMatch');
unlike($e, qr/wrong-secret-value-123/, 'the secret is not in the error');

ctl('clock', { skew_seconds => 1800 });
$e = err('SELECT * FROM trail_events LIMIT 1');
like($e, qr/clock is off.*HINT:.*differs from AWS's by about -?1[78]\d\d seconds/s,
	'a skewed clock is reported as such, with the skew');
ctl('clock', { skew_seconds => 0 });

# ===================================================================
# bad input
# ===================================================================
my $n = 0;
sub put_object
{
	my ($acct, $body, $gz) = @_;
	my $key = "bad/AWSLogs/$acct/CloudTrail/us-east-1/2026/11/18/${acct}_CloudTrail_us-east-1_20261118T01"
	  . sprintf('%02d', $n++) . 'Z_ABCDEFGHIJKLMNOP.json.gz';
	my $data = $body;
	if ($gz) { gzip(\$body => \$data, Minimal => 1) or die $GzipError }
	my $r = $http->put("$emu->{url}/_ctl/put?bucket=trail-bucket&key=$key", { content => $data });
	die "put failed" unless $r->{success};
	return $key;
}
my $good = '{"eventVersion":"1.08","eventID":"3b5f3a4e-4a4b-4c5d-8e9f-0a1b2c3d4e5f","eventTime":"2026-11-18T00:59:00Z","eventName":"Good","awsRegion":"us-east-1","recipientAccountId":"300000000000"}';
my %bad = (
	'300000000000' => [ qq({"Records":[$good]}), 1, undef ],
	'300000000001' => [ 'not gzip at all', 0, qr/invalid gzip data|not a JSON object/ ],
	'300000000002' => [ 'this is not json', 1, qr/file is not a JSON object/ ],
	'300000000003' => [ '{"Records":[1,2]}', 1, qr/an entry of "Records" is not a JSON object/ ],
	'300000000004' => [ '{"Records":[{"a":1}', 1, qr/truncated JSON/ ],
	'300000000005' => [ '{"digestStartTime":"x"}', 1, qr/no "Records" array/ ],
	'300000000006' => [ '{"Records":[{"eventID":"3b5f3a4e-4a4b-4c5d-8e9f-0a1b2c3d4e5f"}]} garbage', 1, qr/after the end of the JSON document/ ],
	'300000000007' => [ '{"Records":[{"eventID":"3b5f3a4e-4a4b-4c5d-8e9f-0a1b2c3d4e5f"},{"eventID":"not-a-uuid","eventTime":"2026-11-18T00:00:00Z"}]}', 1,
		qr/invalid input syntax for type uuid: "not-a-uuid".*CloudTrail record 2 of "s3:\/\/trail-bucket\/bad\/.*", field "eventID" \(column "event_id"\)/s ],
	'300000000008' => [ '{"Records":[{"eventID":"3b5f3a4e-4a4b-4c5d-8e9f-0a1b2c3d4e5f","x":}]}', 1, qr/malformed CloudTrail record/ ],
);
my %bad_key;
$bad_key{$_} = put_object($_, $bad{$_}[0], $bad{$_}[1]) for sort keys %bad;
# a gzip member followed by garbage, and a truncated gzip stream
{
	my $gz;
	gzip(\qq({"Records":[$good]}) => \$gz) or die;
	$bad_key{'300000000009'} = put_object('300000000009', $gz . "trailing", 0);
	$bad{'300000000009'} = [ '', 0, qr/unexpected data after end of compressed stream/ ];
	$bad_key{'300000000010'} = put_object('300000000010', substr($gz, 0, length($gz) - 10), 0);
	$bad{'300000000010'} = [ '', 0, qr/truncated gzip data/ ];
}
sql_one(q{CREATE FOREIGN TABLE bad (event_id uuid, event_name text, log_file text, recipient_account_id text)
	SERVER emu OPTIONS (bucket 'trail-bucket', prefix 'bad', regions 'us-east-1')});
is(sql_one(q{SELECT event_name FROM bad WHERE recipient_account_id = '300000000000'}), 'Good', 'the good file reads');
for my $acct (sort keys %bad)
{
	next unless $bad{$acct}[2];
	$e = err(qq{SELECT * FROM bad WHERE recipient_account_id = '$acct'});
	like($e, $bad{$acct}[2], "bad file $acct: " . ($e =~ /ERROR:\s+\S+:\s+(.*)/)[0]);
	like($e, qr/HV00[0-9A-Z]|22P02/, "bad file $acct: an FDW or input SQLSTATE")
}
like(err(q{SELECT * FROM bad WHERE recipient_account_id = '300000000002'}),
	qr/could not read CloudTrail log file "s3:\/\/trail-bucket\/\Q$bad_key{'300000000002'}\E"/,
	'the error names the object');

# an object in a log folder whose name is no CloudTrail log file name
{
	my $k = 'bad/AWSLogs/300000000011/CloudTrail/us-east-1/2026/11/18/notes.txt';
	$http->put("$emu->{url}/_ctl/put?bucket=trail-bucket&key=$k", { content => 'hello' })->{success} or die;
	like(err(q{SELECT * FROM bad WHERE recipient_account_id = '300000000011'}),
		qr/object "\Q$k\E" in bucket "trail-bucket" is not a CloudTrail log file of account 300000000011 and region us-east-1/,
		'an unexpected key in a log folder is an error naming it');
}

# on_error 'skip': warnings, and the scan goes on
sql_one(q{ALTER FOREIGN TABLE bad OPTIONS (ADD on_error 'skip')});
my ($ret, $out, $stderr) = $node->psql('postgres',
	q{SELECT count(*) FROM bad WHERE recipient_account_id <> '300000000007'});
is($ret, 0, 'on_error skip: the query succeeds');
my $files_skipped = () = $stderr =~ /WARNING:  skipping CloudTrail log file/g;
my $recs_skipped = () = $stderr =~ /WARNING:  skipping a malformed CloudTrail record/g;
is($files_skipped, 8, 'on_error skip: a warning for each of the 8 bad files');
like($stderr, qr/WARNING:  object ".*notes\.txt" in bucket "trail-bucket" is not a CloudTrail log file/,
	'on_error skip: a warning for the unexpected key');
is($recs_skipped, 1, 'on_error skip: a warning for the malformed record');
like($out, qr/^[1-9]/, "on_error skip: the good rows come back ($out)");

# ===================================================================
# cancellation
# ===================================================================
ctl('fault', { match => { op => 'GetObject' }, kind => 'stall', seconds => 20, count => 100 });
my $t0 = time;
$e = err(q{SET statement_timeout = '1s'; SELECT count(*) FROM trail_events});
my $took = time - $t0;
like($e, qr/57014/, 'statement_timeout during a stalled GET: SQLSTATE 57014');
ok($took < 3.5, sprintf('and it stops within about a second of the timeout (%.2f s)', $took));

my ($in, $o2, $e2) = ('', '', '');
my $h = IPC::Run::start([ 'psql', '-X', '-d', $node->connstr('postgres'), '-c',
	'SELECT count(*) FROM trail_events' ], '<', \$in, '>', \$o2, '2>', \$e2);
my $pid;
for (1 .. 50)
{
	$pid = sql_one(q{SELECT pid FROM pg_stat_activity WHERE query = 'SELECT count(*) FROM trail_events'});
	last if $pid;
	usleep(100_000);
}
usleep(500_000);
$t0 = time;
sql_one("SELECT pg_cancel_backend($pid)");
$h->finish;
$took = time - $t0;
like($e2, qr/canceling statement due to user request/, 'pg_cancel_backend stops a stalled scan');
ok($took < 2.5, sprintf('within about a second (%.2f s)', $took));
reset_emulator();

# ===================================================================
# memory stays flat over many failing queries
# ===================================================================
sql_one(q{ALTER FOREIGN TABLE bad OPTIONS (SET on_error 'error')});
my $loop = q{DO $$ BEGIN FOR i IN 1..%d LOOP
	BEGIN PERFORM count(*) FROM bad WHERE recipient_account_id = '300000000001';
	EXCEPTION WHEN others THEN NULL; END;
	BEGIN PERFORM count(*) FROM bad WHERE recipient_account_id = '300000000007';
	EXCEPTION WHEN others THEN NULL; END;
	END LOOP; END $$;};
my $bg = $node->background_psql('postgres');
my $bpid = $bg->query_safe('SELECT pg_backend_pid()');
$bg->query_safe(sprintf($loop, 100));
my $rss0 = (slurp_file("/proc/$bpid/status") =~ /VmRSS:\s+(\d+)/)[0];
$bg->query_safe(sprintf($loop, 500));
my $rss1 = (slurp_file("/proc/$bpid/status") =~ /VmRSS:\s+(\d+)/)[0];
$bg->quit;
ok($rss1 - $rss0 < 4096, "1,000 more failing queries: backend RSS $rss0 kB -> $rss1 kB");

# ===================================================================
# a large object streams: backend memory does not grow with it
# ===================================================================
{
	my $rec = '{"eventVersion":"1.08","eventTime":"2026-11-18T00:00:00Z","eventName":"Big","eventID":"%s",'
	  . '"requestParameters":{"pad":"' . ('x' x 900) . '"}}';
	my $doc = '{"Records":[' . join(',', map { sprintf($rec, sprintf('00000000-0000-4000-8000-%012d', $_)) } 1 .. 60000) . ']}';
	my $gzd;
	gzip(\$doc => \$gzd) or die;
	my $key = 'big/AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/18/123456789012_CloudTrail_us-east-1_20261118T0000Z_BIGOBJECT0000000.json.gz';
	$http->put("$emu->{url}/_ctl/put?bucket=trail-bucket&key=$key", { content => $gzd })->{success} or die;
	sql_one(q{CREATE FOREIGN TABLE big (event_id uuid, request_parameters jsonb) SERVER emu
		OPTIONS (bucket 'trail-bucket', prefix 'big', regions 'us-east-1')});
	my $bg2 = $node->background_psql('postgres');
	my $p2 = $bg2->query_safe('SELECT pg_backend_pid()');
	$bg2->query_safe('SELECT 1');
	my $before = (slurp_file("/proc/$p2/status") =~ /VmRSS:\s+(\d+)/)[0];
	is($bg2->query_safe(q{SELECT count(*) FROM big WHERE length(request_parameters->>'pad') = 900}), 60000,
		sprintf('a %.0f MB object (%.1f MB gzipped) of 60,000 records', length($doc) / 1e6, length($gzd) / 1e6));
	my $peak = (slurp_file("/proc/$p2/status") =~ /VmHWM:\s+(\d+)/)[0];
	$bg2->quit;
	ok($peak - $before < 16 * 1024, "backend peak RSS grew by " . ($peak - $before) . " kB, far less than the object");
}

# ===================================================================
# organization trails: the o- folder is found, or named
# ===================================================================
{
	my $good_gz;
	gzip(\qq({"Records":[$good]}) => \$good_gz) or die;
	for my $acct (qw(444444444444 555555555555))
	{
		my $key = "orgp/AWSLogs/o-abcdef1234/$acct/CloudTrail/eu-west-1/2026/11/18/${acct}_CloudTrail_eu-west-1_20261118T0100Z_ORGTRAIL00000000.json.gz";
		$http->put("$emu->{url}/_ctl/put?bucket=trail-bucket&key=$key", { content => $good_gz })->{success} or die;
	}
	sql_one(q{CREATE FOREIGN TABLE org_found (event_name text, log_file text) SERVER emu
		OPTIONS (bucket 'trail-bucket', prefix 'orgp');
		CREATE FOREIGN TABLE org_named (event_name text, log_file text) SERVER emu
		OPTIONS (bucket 'trail-bucket', prefix 'orgp/', organization_id 'o-abcdef1234', account_ids '555555555555')});
	is(sql_one('SELECT count(*) FROM org_found'), 2, 'organization trail: accounts under the o- folder are found');
	reset_emulator();
	like(sql_one('SELECT log_file FROM org_named'), qr{^s3://trail-bucket/orgp/AWSLogs/o-abcdef1234/555555555555/},
		'organization_id and account_ids name the folder');
	is_deeply([ map { $_->{prefix} } grep { ($_->{op} || '') eq 'ListObjectsV2' } requests() ],
		[ map { "orgp/AWSLogs/o-abcdef1234/555555555555/CloudTrail/$_" } ('', 'eu-west-1/') ],
		'and only its region folders are discovered, then listed');
}

# ===================================================================
# all 741 real records, every column against the JSON
# ===================================================================
my @lines = grep { /\S/ } split /\n/, slurp_file("$SHARED/data/real-cloudtrail/records.ndjson");
is(scalar @lines, 741, '741 real records');
{
	my $doc = '{"Records":[' . join(',', @lines) . ']}';
	my $gzd;
	gzip(\$doc => \$gzd) or die;
	my $key = 'real/AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/18/123456789012_CloudTrail_us-east-1_20261118T0000Z_REALRECORDS00000.json.gz';
	$http->put("$emu->{url}/_ctl/put?bucket=trail-bucket&key=$key", { content => $gzd })->{success} or die;
}
my $ndjson = "$emu->{dir}/records.ndjson";
open my $fh, '>', $ndjson or die;
print $fh "$_\n" for @lines;
close $fh;
sql_one(qq{
	CREATE TABLE expected (n bigserial, rec jsonb);
	COPY expected (rec) FROM PROGRAM 'cat $ndjson' WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02');
});
# the real data has event IDs that are not UUIDs ("1") and an eventTime of
# "redacted": read those as text
sql_one(q{
	CREATE FOREIGN TABLE real_all (
	  event_id text, event_time text, event_name text, event_source text, event_type text,
	  event_category text, event_version text, aws_region text, recipient_account_id text,
	  source_ip_address text, user_agent text, username text, user_type text, user_arn text,
	  user_account_id text, access_key_id text, read_only boolean, management_event boolean,
	  error_code text, error_message text, request_id text, shared_event_id text,
	  vpc_endpoint_id text, session_credential_from_console boolean, user_identity jsonb,
	  request_parameters jsonb, response_elements jsonb, additional_event_data jsonb,
	  resources jsonb, tls_details jsonb, service_event_details jsonb, insight_details jsonb,
	  addendum jsonb, record jsonb, log_file text
	) SERVER emu OPTIONS (bucket 'trail-bucket', prefix 'real', max_concurrency '1');
});
is(sql_one('SELECT count(*) FROM real_all'), 741, 'all 741 records come back');
my $mismatch = sql_one(q{
	WITH got AS (SELECT row_number() OVER () AS n, * FROM real_all),
	exp AS (
	  SELECT n, rec,
	    rec->>'eventID' AS event_id, rec->>'eventTime' AS event_time,
	    rec->>'eventName' AS event_name, rec->>'eventSource' AS event_source,
	    rec->>'eventType' AS event_type, rec->>'eventCategory' AS event_category,
	    rec->>'eventVersion' AS event_version, rec->>'awsRegion' AS aws_region,
	    rec->>'recipientAccountId' AS recipient_account_id,
	    rec->>'sourceIPAddress' AS source_ip_address, rec->>'userAgent' AS user_agent,
	    CASE WHEN coalesce(rec#>>'{userIdentity,userName}', '') <> '' THEN rec#>>'{userIdentity,userName}'
	         WHEN rec#>>'{userIdentity,type}' IN ('AssumedRole', 'FederatedUser')
	              AND rec#>>'{userIdentity,arn}' LIKE '%/%'
	           THEN nullif(regexp_replace(rec#>>'{userIdentity,arn}', '^.*/', ''), '')
	         WHEN rec#>>'{userIdentity,type}' = 'Root' THEN 'root'
	         WHEN rec#>>'{userIdentity,type}' = 'AWSService' THEN nullif(rec#>>'{userIdentity,invokedBy}', '')
	    END AS username,
	    rec#>>'{userIdentity,type}' AS user_type, rec#>>'{userIdentity,arn}' AS user_arn,
	    rec#>>'{userIdentity,accountId}' AS user_account_id,
	    rec#>>'{userIdentity,accessKeyId}' AS access_key_id,
	    (rec->>'readOnly')::boolean AS read_only, (rec->>'managementEvent')::boolean AS management_event,
	    rec->>'errorCode' AS error_code, rec->>'errorMessage' AS error_message,
	    rec->>'requestID' AS request_id, rec->>'sharedEventID' AS shared_event_id,
	    rec->>'vpcEndpointId' AS vpc_endpoint_id,
	    (rec->>'sessionCredentialFromConsole')::boolean AS session_credential_from_console,
	    nullif(rec->'userIdentity', 'null') AS user_identity,
	    nullif(rec->'requestParameters', 'null') AS request_parameters,
	    nullif(rec->'responseElements', 'null') AS response_elements,
	    nullif(rec->'additionalEventData', 'null') AS additional_event_data,
	    nullif(rec->'resources', 'null') AS resources, nullif(rec->'tlsDetails', 'null') AS tls_details,
	    nullif(rec->'serviceEventDetails', 'null') AS service_event_details,
	    nullif(rec->'insightDetails', 'null') AS insight_details, nullif(rec->'addendum', 'null') AS addendum
	  FROM expected)
	SELECT count(*) FROM got FULL JOIN exp USING (n)
	 WHERE got.record IS DISTINCT FROM exp.rec
	    OR (got.event_id, got.event_time, got.event_name, got.event_source, got.event_type,
	        got.event_category, got.event_version, got.aws_region, got.recipient_account_id,
	        got.source_ip_address, got.user_agent, got.username, got.user_type, got.user_arn,
	        got.user_account_id, got.access_key_id, got.read_only, got.management_event,
	        got.error_code, got.error_message, got.request_id, got.shared_event_id,
	        got.vpc_endpoint_id, got.session_credential_from_console, got.user_identity,
	        got.request_parameters, got.response_elements, got.additional_event_data,
	        got.resources, got.tls_details, got.service_event_details, got.insight_details,
	        got.addendum)
	       IS DISTINCT FROM
	       (exp.event_id, exp.event_time, exp.event_name, exp.event_source, exp.event_type,
	        exp.event_category, exp.event_version, exp.aws_region, exp.recipient_account_id,
	        exp.source_ip_address, exp.user_agent, exp.username, exp.user_type, exp.user_arn,
	        exp.user_account_id, exp.access_key_id, exp.read_only, exp.management_event,
	        exp.error_code, exp.error_message, exp.request_id, exp.shared_event_id,
	        exp.vpc_endpoint_id, exp.session_credential_from_console, exp.user_identity,
	        exp.request_parameters, exp.response_elements, exp.additional_event_data,
	        exp.resources, exp.tls_details, exp.service_event_details, exp.insight_details,
	        exp.addendum)
});
is($mismatch, 0, 'every column of every real record equals the value computed from its JSON');
like(sql_one(q{SELECT DISTINCT log_file FROM real_all}), qr{^s3://trail-bucket/real/AWSLogs/123456789012/.*REALRECORDS00000\.json\.gz$},
	'log_file names the object');

# ===================================================================
# a directory table walks a big folder in pages of 1,000 files, as S3 lists
# ===================================================================
my $pagedir = PostgreSQL::Test::Utils::tempdir();
IPC::Run::run([ $PYTHON, "$TOP/test/emulator/gentrail.py", '--data', $pagedir,
	'--records', "$SHARED/data/real-cloudtrail/records.ndjson", '--days', '5', '--events-per-day', '400',
	'--regions', 'us-east-1', '--records-per-file', '1-2', '--end', '2026-11-20T00:00:00Z',
	'--seed', '11', '--no-digests', '--insights', '0' ], '>', \my $gen_out) or die 'gentrail failed';
my %per_folder;
my $big_events = 0;
for (split /\n/, slurp_file("$pagedir/files.ndjson"))
{
	my $f = decode_json($_);
	$per_folder{"$f->{account}/$f->{region}"}++;
	$big_events += $f->{records};
}
my $pages = 0;
$pages += int(($_ + 999) / 1000) for values %per_folder;
sql_one(qq{CREATE FOREIGN TABLE big_dir (event_id text, event_time timestamptz) SERVER emu OPTIONS (directory '$pagedir/s3/trail-bucket')});
my $bplan = sql_one('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*) FROM big_dir');
my ($blists) = $bplan =~ /List Requests: (\d+)/;
my ($brecords) = $bplan =~ /Records: (\d+)/;
ok((grep { $_ > 1000 } values %per_folder) == keys %per_folder,
	'the generated folders hold more than 1,000 files (' . join(', ', values %per_folder) . ')');
is($brecords, $big_events, 'directory table: every event of the big folders');
is($blists, 1 + scalar(keys %per_folder) + $pages,
	"listed in pages: 1 root + 1 per account + $pages pages of at most 1,000 files");

# nothing per file stays behind in the scan's memory: after a whole scan of
# the big folders it holds about what it holds after a one-day window
sub scan_data_bytes
{
	my $out = sql_one(qq{BEGIN; DECLARE c CURSOR FOR SELECT count(*) FROM big_dir $_[0]; FETCH c;
		SELECT 'used=' || sum(used_bytes) FROM pg_backend_memory_contexts
		 WHERE name = 'cloudtrail_fdw scan data'; COMMIT;});
	return $out =~ /used=(\d+)/ ? $1 : -1;
}
my $day_bytes = scan_data_bytes("WHERE event_time >= '2026-11-18' AND event_time < '2026-11-19'");
my $all_bytes = scan_data_bytes('');
ok($day_bytes > 0 && $all_bytes - $day_bytes < 200_000,
	"scan memory does not grow with the files read (1 day: $day_bytes bytes, all $big_events events: $all_bytes bytes)");

# IMPORT without a bucket: a table per trail DescribeTrails shows in the
# server's region -- its own, and the multi-region and organization trails
# of other home regions (shadow trails); named after the trail
{
	reset_emulator();
	ctl('trails', { trails => [
		{ Name => 'single', S3BucketName => 'trail-bucket', HomeRegion => 'us-east-1',
		  IsMultiRegionTrail => JSON::PP::false, IsOrganizationTrail => JSON::PP::false },
		{ Name => 'multi', S3BucketName => 'trail-bucket', HomeRegion => 'eu-west-1',
		  IsMultiRegionTrail => JSON::PP::true, IsOrganizationTrail => JSON::PP::false },
		{ Name => 'org', S3BucketName => 'trail-bucket', HomeRegion => 'us-west-2',
		  IsMultiRegionTrail => JSON::PP::true, IsOrganizationTrail => JSON::PP::true },
		{ Name => 'elsewhere', S3BucketName => 'trail-bucket', HomeRegion => 'eu-west-1',
		  IsMultiRegionTrail => JSON::PP::false, IsOrganizationTrail => JSON::PP::false } ] });
	sql_one(qq{CREATE SERVER emu_ct FOREIGN DATA WRAPPER cloudtrail_fdw
		OPTIONS (region 'us-east-1', endpoint '$emu->{url}', s3_endpoint '$emu->{url}');
		CREATE USER MAPPING FOR CURRENT_USER SERVER emu_ct
		  OPTIONS (access_key_id '$KEYS{key1}[0]', secret_access_key '$KEYS{key1}[1]')});
	sql_one(q{CREATE SCHEMA disc; IMPORT FOREIGN SCHEMA cloudtrail FROM SERVER emu_ct INTO disc});
	is(sql_one(q{SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'disc'}),
		'event_history,multi,org,single',
		'IMPORT without a bucket: the region\'s trail and the shadow trails, not a single-region trail of another region');
	is(scalar(grep { ($_->{op} || '') eq 'DescribeTrails' } requests()), 1, '... from one DescribeTrails call');
	like(sql_one(q{SELECT array_to_string(ftoptions, ' ') FROM pg_foreign_table
		WHERE ftrelid = 'disc.single'::regclass}), qr/^bucket=trail-bucket regions=us-east-1$/,
		'... a single-region trail reads its region');
	is(sql_one(q{SELECT count(*) FROM disc.single}),
		sql_one(q{SELECT count(*) FROM trail_events WHERE aws_region = 'us-east-1'}), '... and holds its events');
	is(sql_one(q{SELECT count(*) FROM disc.org}), sql_one(q{SELECT count(*) FROM trail_events}),
		'... an organization trail reads every account and region');
	sql_one(q{DROP SCHEMA disc CASCADE; CREATE SCHEMA disc;
		IMPORT FOREIGN SCHEMA cloudtrail LIMIT TO (multi) FROM SERVER emu_ct INTO disc});
	is(sql_one(q{SELECT string_agg(relname, ',') FROM pg_class WHERE relnamespace = 'disc'::regnamespace}),
		'multi', '... LIMIT TO selects trails by name');
	sql_one(q{DROP SCHEMA disc CASCADE; CREATE SCHEMA disc;
		IMPORT FOREIGN SCHEMA cloudtrail EXCEPT (org, event_history) FROM SERVER emu_ct INTO disc});
	is(sql_one(q{SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'disc'::regnamespace}),
		'multi,single', '... and EXCEPT leaves them out');
	sql_one(q{DROP SCHEMA disc CASCADE});
	reset_emulator();
}

# errors say what to check: credentials AWS does not know (and their
# partition), an endpoint that cannot be reached
{
	my $closed = PostgreSQL::Test::Cluster::get_free_port();
	sql_one(qq{CREATE SERVER emu_badkey FOREIGN DATA WRAPPER cloudtrail_fdw
		OPTIONS (region 'us-east-1', s3_endpoint '$emu->{url}', max_retries '0');
		CREATE USER MAPPING FOR CURRENT_USER SERVER emu_badkey
		  OPTIONS (access_key_id 'AKIANOSUCHKEY0000000', secret_access_key 'x');
		CREATE FOREIGN TABLE unknown_key (event_id uuid) SERVER emu_badkey OPTIONS (bucket 'trail-bucket');
		CREATE SERVER emu_closed FOREIGN DATA WRAPPER cloudtrail_fdw
		OPTIONS (region 'us-east-1', s3_endpoint 'http://127.0.0.1:$closed', max_retries '0');
		CREATE USER MAPPING FOR CURRENT_USER SERVER emu_closed
		  OPTIONS (access_key_id '$KEYS{key1}[0]', secret_access_key '$KEYS{key1}[1]');
		CREATE FOREIGN TABLE closed (event_id uuid) SERVER emu_closed OPTIONS (bucket 'trail-bucket')});
	my ($rc, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM unknown_key');
	like($err, qr/AWS error InvalidAccessKeyId.*HINT:  AWS does not know these credentials: check the user mapping\. Keys work only in their partition; this server's region us-east-1 is in partition aws\./s,
		'unknown credentials: the hint says to check the user mapping and the partition');
	($rc, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM closed');
	like($err, qr/could not list bucket.*HINT:  AWS could not be reached: check the server's options region and endpoint/s,
		'an endpoint that cannot be reached: the hint says what to check');
}

# progress notices: every cloudtrail_fdw.progress_interval seconds of a scan
# (here the directory table of thousands of files, slowed by a filter that
# sleeps a millisecond a row)
{
	my ($rc, $out, $err) = $node->psql('postgres', q{SET max_parallel_workers_per_gather = 0;
		SET cloudtrail_fdw.progress_interval = '1s';
		SELECT count(*) FROM big_dir WHERE pg_sleep(0.001)::text = ''});
	my @notes = $err =~ /NOTICE:  scan progress: (\d+) files, (\d+) events and (\d+) bytes read\n.*?DETAIL:  (\d+) files are being read and (\d+) are listed to read; (\d+) folders are still being listed\./gs;
	ok(@notes >= 6 && $notes[1] > 0 && $notes[1] <= $big_events,
		'progress notices give files, events and bytes read, and what is left (' . (@notes / 6) . ' notices)')
	  or diag($err);
	($rc, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM big_dir');
	unlike($err, qr/scan progress/, '... and none without cloudtrail_fdw.progress_interval');
}

done_testing();
