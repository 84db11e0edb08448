# Parallel trail scans list once: one participant sends the LIST requests
# of a serial scan and shares the keys, every object is fetched by exactly
# one participant, and the rows are a serial scan's.  With the leader taking
# part and not, with a time window and without, over an organization trail,
# a directory table, an empty bucket (its notice said once) and a LIMIT.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;

# two pages of keys in each of four region folders
my $emu = start_emulator(gen => [ '--days', '1', '--events-per-day', '1300',
	'--records-per-file', '1', '--delivery-minutes', '1',
	'--accounts', '111111111111,222222222222', '--regions', 'us-east-1,eu-west-1',
	'--end', '2026-11-20T00:00:00Z', '--seed', '12', '--no-digests' ]);
# more trails, in buckets of their own
sub gen
{
	my ($out, $err);
	IPC::Run::run([ $PYTHON, "$TOP/test/emulator/gentrail.py", '--data', $emu->{data},
		'--records', "$SHARED/data/real-cloudtrail/records.ndjson", '--days', '1',
		'--end', '2026-11-20T00:00:00Z', '--no-digests', @_ ],
		'>', \$out, '2>', \$err) or die "gentrail failed: $err";
}
# an organization trail
gen('--bucket', 'org-bucket', '--organization-id', 'o-pl1st2scan',
	'--accounts', '333333333333,444444444444', '--regions', 'us-east-1,ap-south-1',
	'--events-per-day', '150', '--seed', '13');
# a few files in each of two region folders
gen('--bucket', 'small-bucket', '--accounts', '111111111111', '--regions', 'us-east-1,eu-west-1',
	'--events-per-day', '20', '--seed', '14');
ctl('reload');

my $node = node_with_server('plist', conf => "max_parallel_workers_per_gather = 0\n");
my $dir = "$emu->{data}/s3/trail-bucket";
$node->safe_psql('postgres', qq{
	CREATE FOREIGN TABLE t (event_id uuid, event_time timestamptz) SERVER emu
	  OPTIONS (bucket 'trail-bucket');
	CREATE FOREIGN TABLE org (event_id uuid, event_time timestamptz) SERVER emu
	  OPTIONS (bucket 'org-bucket');
	CREATE FOREIGN TABLE d (event_id uuid, event_time timestamptz) SERVER emu
	  OPTIONS (directory '$dir');
	CREATE FOREIGN TABLE nothing (event_id uuid) SERVER emu
	  OPTIONS (bucket 'trail-bucket', prefix 'no-such-prefix');
});

my $serial = 'SET max_parallel_workers_per_gather = 0;';
sub parallel
{
	my ($leader) = @_;
	return 'SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; '
	  . 'SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2; '
	  . "SET parallel_leader_participation = $leader;";
}

sub rows_sql
{
	my ($table, $where) = @_;
	return "SELECT count(*) || ':' || md5(string_agg(event_id::text, ',' ORDER BY event_id, event_time)) "
	  . "FROM $table $where";
}

# One scan: its rows, its LIST requests (as prefix|delimiter|start-after|token,
# sorted) and how often each object was fetched.
sub scan
{
	my ($settings, $table, $where) = @_;
	reset_emulator();
	my $rows = $node->safe_psql('postgres', $settings . rows_sql($table, $where));
	my (@lists, %gets);
	for my $r (requests())
	{
		my $op = $r->{op} || '';
		push @lists, join('|', map { $_ // '' } @$r{qw(prefix delimiter start_after continuation_token)})
		  if $op eq 'ListObjectsV2';
		$gets{ $r->{key} }++ if $op eq 'GetObject';
	}
	return { rows => $rows, lists => [ sort @lists ], gets => \%gets };
}

my $window = q{WHERE event_time >= '2026-11-19 06:00:00+00' AND event_time < '2026-11-19 09:00:00+00'};
for my $case ([ 't', '', 'whole trail' ], [ 't', $window, 'a window' ],
	[ 'org', '', 'organization trail' ])
{
	my ($table, $where, $what) = @$case;
	my $want = scan($serial, $table, $where);
	ok(@{ $want->{lists} } > 1 && keys %{ $want->{gets} } > 0,
		"$what, serial: " . scalar(@{ $want->{lists} }) . ' LIST requests, '
		  . scalar(keys %{ $want->{gets} }) . ' objects');
	for my $leader ('on', 'off')
	{
		my $label = "$what, parallel, leader participation $leader";
		like($node->safe_psql('postgres', parallel($leader) . 'EXPLAIN (COSTS OFF) ' . rows_sql($table, $where)),
			qr/Gather.*Parallel Foreign Scan/s, "$label: a parallel plan");
		my $got = scan(parallel($leader), $table, $where);
		is($got->{rows}, $want->{rows}, "$label: the rows of the serial scan");
		is(scalar(@{ $got->{lists} }), scalar(@{ $want->{lists} }),
			"$label: as many LIST requests as the serial scan");
		is_deeply($got->{lists}, $want->{lists}, "$label: the same LIST requests");
		is_deeply([ sort keys %{ $got->{gets} } ], [ sort keys %{ $want->{gets} } ],
			"$label: the same objects fetched");
		is(scalar(grep { $_ != 1 } values %{ $got->{gets} }), 0, "$label: each object fetched once");
	}
}

# the workers really take part, and share the objects
for my $leader ('on', 'off')
{
	reset_emulator();
	my $plan = $node->safe_psql('postgres', parallel($leader)
		  . 'EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) SELECT count(*) FROM t');
	like($plan, qr/Workers Launched: 2/, "leader participation $leader: 2 workers launched");
	my ($scan_part) = $plan =~ /(Parallel Foreign Scan.*)/s;
	my @worker_rows = ($scan_part || '') =~ /Worker \d+:\s+actual rows=(\d+)/g;
	ok(@worker_rows == 2 && !grep({ $_ == 0 } @worker_rows),
		"leader participation $leader: both workers read events (" . join(', ', @worker_rows) . ' rows)')
	  or diag($plan);
}

# a directory table: the same rows as serially
my $dir_rows = $node->safe_psql('postgres', $serial . rows_sql('d', ''));
like($dir_rows, qr/^[1-9]\d*:/, 'directory table, serial: rows');
for my $leader ('on', 'off')
{
	like($node->safe_psql('postgres', parallel($leader) . 'EXPLAIN (COSTS OFF) ' . rows_sql('d', '')),
		qr/Parallel Foreign Scan/, "directory table, leader participation $leader: a parallel plan");
	is($node->safe_psql('postgres', parallel($leader) . rows_sql('d', '')), $dir_rows,
		"directory table, leader participation $leader: the rows of the serial scan");
	is($node->safe_psql('postgres', parallel($leader) . rows_sql('d', $window)),
		$node->safe_psql('postgres', $serial . rows_sql('d', $window)),
		"directory table with a window, leader participation $leader: the rows of the serial scan");
}

# a discovery listing that finds nothing says so once, whoever lists
for my $leader ('on', 'off')
{
	my ($rc, $stdout, $stderr) = $node->psql('postgres', parallel($leader) . 'SELECT count(*) FROM nothing');
	is($stdout, '0', "empty prefix, leader participation $leader: no rows");
	my $n = () = $stderr =~ /no account folder found/g;
	is($n, 1, "empty prefix, leader participation $leader: the notice is said once") or diag($stderr);
}

# A LIMIT ends the scan while one folder's listing is stalled.  When the
# leader lists, the workers waiting for that folder's keys are told to stop,
# and the query ends at once (without that it would wait for them until the
# timeout).  When a worker lists, it ends once the stalled page comes.
# (Dear rows make the planner take a parallel plan even for a LIMIT.)
$node->safe_psql('postgres', q{
	CREATE FOREIGN TABLE small (event_id uuid, event_time timestamptz) SERVER emu
	  OPTIONS (bucket 'small-bucket', account_ids '111111111111', regions 'us-east-1,eu-west-1')});
for my $leader ('on', 'off')
{
	reset_emulator();
	ctl('fault', { match => { op => 'ListObjectsV2', prefix => 'AWSLogs/111111111111/CloudTrail/eu-west-1/' },
		kind => 'stall', seconds => $leader eq 'on' ? 40 : 3 });
	my $set = parallel($leader) . 'SET cpu_tuple_cost = 10;';
	like($node->safe_psql('postgres', $set . 'EXPLAIN (COSTS OFF) SELECT event_id FROM small LIMIT 5'),
		qr/Limit.*Gather.*Parallel Foreign Scan/s, "LIMIT, leader participation $leader: a parallel plan");
	my ($rc, $stdout, $stderr) = $node->psql('postgres', $set
		  . q{SET statement_timeout = '30s'; SELECT count(*) FROM (SELECT event_id FROM small LIMIT 5) l});
	is($stdout, '5', "LIMIT 5 with a listing stalled, leader participation $leader: the scan ends")
	  or diag($stderr);
}

# A listing that fails with an error fails the query, whoever lists; nobody
# waits for keys that will not come (the timeout would fail it otherwise).
for my $leader ('on', 'off')
{
	reset_emulator();
	ctl('fault', { match => { op => 'ListObjectsV2', prefix => 'AWSLogs/111111111111/CloudTrail/eu-west-1/' },
		kind => 'error', status => 403, code => 'AccessDenied', message => 'Access Denied' });
	my $set = parallel($leader) . 'SET cpu_tuple_cost = 10;';
	like($node->safe_psql('postgres', $set . 'EXPLAIN (COSTS OFF) SELECT count(*) FROM small'),
		qr/Gather.*Parallel Foreign Scan/s, "a listing denied, leader participation $leader: a parallel plan");
	my ($rc, $stdout, $stderr) = $node->psql('postgres', $set
		  . q{SET statement_timeout = '60s'; SELECT count(*) FROM small});
	like($stderr, qr{ERROR:\s+could not list bucket "small-bucket" prefix "AWSLogs/111111111111/CloudTrail/eu-west-1/"},
		"a listing denied, leader participation $leader: the query fails with the listing's error")
	  or diag($stderr);
	unlike($stderr, qr/statement timeout/, "a listing denied, leader participation $leader: at once");
}

done_testing();
