# The LookupEvents limiter shared by all backends (the library in
# shared_preload_libraries) against the one of each backend: concurrent
# event-history scans against the emulator's strict 2 calls a second,
# counting the ThrottlingException replies in its request log; EXPLAIN
# saying which limiter a backend has; a full table falling back to the
# backend's limiter; waiting for a turn cancellable and within
# lookup_max_wait.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $now = '2026-11-20T00:00:00Z';
my $emu = start_emulator(gen => [ '--days', '2', '--events-per-day', '100',
	'--regions', 'us-east-1,eu-west-1', '--end', $now, '--seed', '22', '--no-digests' ],
	emu => [ '--lookup-now', $now, '--rate', '2' ]);
my $server = ", endpoint '$emu->{url}'";
my $tables = q{
	CREATE FOREIGN TABLE history_us (event_id uuid, event_time timestamptz, event_name text)
	  SERVER emu OPTIONS (source 'lookup_events', regions 'us-east-1');
	CREATE FOREIGN TABLE history_both (event_id uuid, event_time timestamptz)
	  SERVER emu OPTIONS (source 'lookup_events', regions 'us-east-1,eu-west-1');
	CREATE FOREIGN TABLE history_impatient (event_id uuid, event_time timestamptz)
	  SERVER emu OPTIONS (source 'lookup_events', regions 'us-east-1', lookup_max_wait '1 second');
};
my $plain = node_with_server('plain', server_options => $server);
my $shared = node_with_server('shared', server_options => $server,
	conf => "shared_preload_libraries = 'cloudtrail_fdw'\ncloudtrail_fdw.lookup_limiter_slots = 1\n");
$_->safe_psql('postgres', $tables) for ($plain, $shared);

my $expected = () = grep { /\S/ }
  split /\n/, slurp_file("$emu->{data}/lookup/111111111111/us-east-1.ndjson");
ok($expected > 150, "$expected events in us-east-1: several pages a scan");

sub throttled
{
	scalar(grep { ($_->{op} || '') eq 'LookupEvents' && ($_->{error} || '') eq 'ThrottlingException' }
		requests());
}

sub lookups { scalar(grep { ($_->{op} || '') eq 'LookupEvents' } requests()) }

# ---- which limiter: EXPLAIN VERBOSE says
like($plain->safe_psql('postgres', 'EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM history_us'),
	qr/LookupEvents Limiter: per backend \(cloudtrail_fdw is not in shared_preload_libraries\)/,
	'without preloading: the limiter of each backend');
like($shared->safe_psql('postgres', 'EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM history_us'),
	qr/LookupEvents Limiter: shared by all backends \(1 slot\)$/m,
	'preloaded: the limiter shared by all backends');
is($shared->safe_psql('postgres', 'SHOW cloudtrail_fdw.lookup_limiter_slots'), '1',
	'the size of the shared table is a setting');

# N backends at once, each scanning the whole region (several pages): how
# many saw every event, and the sums of their EXPLAIN ANALYZE figures.
sub concurrent_scans
{
	my ($node, $n) = @_;
	my @runs;
	for my $i (1 .. $n)
	{
		my %r = (out => '', err => '');
		$r{h} = IPC::Run::start([ 'psql', '-X', '-At', '-d', $node->connstr('postgres'),
			'-c', 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*) FROM history_us' ],
			'>', \$r{out}, '2>', \$r{err});
		push @runs, \%r;
	}
	my %sum = (rows_ok => 0, throttled => 0, wait => 0);
	for my $r (@runs)
	{
		$r->{h}->finish;
		my ($count) = $r->{out} =~ /^\s*Events: (\d+)$/m;
		$sum{rows_ok}++ if defined $count && $count == $expected;
		$sum{throttled} += $1 if $r->{out} =~ /Throttled: (\d+)/;
		$sum{wait} += $1 if $r->{out} =~ /Limiter Wait: (\d+) ms/;
		diag("psql: $r->{err}") if $r->{err};
	}
	return \%sum;
}

# ---- the control: 4 backends with their own limiters overrun the rate
reset_emulator();
my $c = concurrent_scans($plain, 4);
is($c->{rows_ok}, 4, 'per-backend limiters: every backend counts every event');
my $control = throttled();
ok($control > 0, "per-backend limiters: 4 backends at once are throttled ($control ThrottlingExceptions)");
is($c->{throttled}, $control, '... as EXPLAIN ANALYZE counts them');

# ---- the same with the shared limiter: never throttled
reset_emulator();
my $s = concurrent_scans($shared, 4);
is($s->{rows_ok}, 4, 'shared limiter: every backend counts every event');
is(throttled(), 0, 'shared limiter: 4 backends at once, no ThrottlingException (' . lookups() . ' calls)');
is($s->{throttled}, 0, '... and EXPLAIN ANALYZE counts none');
ok($s->{wait} > 0, "backends waited for each other's turns ($s->{wait} ms in all, in EXPLAIN ANALYZE)");

# ---- a full table: the key without a slot falls back to the backend's limiter
like($shared->safe_psql('postgres',
		'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*) FROM history_both'),
	qr/LookupEvents Limiter: shared by all backends \(1 slot\), per backend for eu-west-1 \(no free slot\)/,
	'one slot, two regions: the second falls back to the limiter of the backend');

# ---- waiting for a turn: within lookup_max_wait, and cancellable.  A slow
# emulator keeps two calls of another backend in flight (two streams): the
# shared table counts them until their replies come.
reset_emulator();
ctl('latency', { ms => 8000 });
my ($o, $e) = ('', '');
my $busy = IPC::Run::start([ 'psql', '-X', '-At', '-d', $shared->connstr('postgres'), '-c',
	q{SELECT count(*) FROM history_us WHERE event_name IN ('NoSuchEventA', 'NoSuchEventB')} ],
	'>', \$o, '2>', \$e);
my $in_flight = 0;
for (1 .. 100)
{
	$in_flight = $shared->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity
	  WHERE query LIKE '%NoSuchEventA%' AND wait_event_type = 'Extension' AND pid <> pg_backend_pid()});
	last if $in_flight;
	usleep(100_000);
}
is($in_flight, 1, 'another backend has its calls in flight');
my ($ret, $out, $err) = $shared->psql('postgres', "\\set VERBOSITY verbose\nSELECT count(*) FROM history_impatient");
like($err, qr/could not look up events in region us-east-1.*Other backends' LookupEvents calls.*took every turn.*Gave up after waiting .* s on throttling, errors and other backends' calls \(lookup_max_wait\)/s,
	'waiting for other backends counts toward lookup_max_wait');
($ret, $out, $err) = $shared->psql('postgres', "\\set VERBOSITY verbose\nSET statement_timeout = '500ms';\nSELECT count(*) FROM history_us");
like($err, qr/57014/, 'waiting for a turn ends with statement_timeout (SQLSTATE 57014)');
$busy->finish;
is($o, "0\n", 'the slow scan ends normally');
ctl('latency', { ms => 0 });
is(lookups(), 2, 'the waiting backends sent no call');

done_testing();
