# cloudtrail_sync(): exactly-once incremental copy into a local table.
# Faults during a sync (5xx, SlowDown, a dropped body, a corrupt object
# with and without on_error 'skip', a cancel, a killed backend, a crashed
# server), then the sync again: the target's (event_id, log_file) pairs
# equal the trail's, compared exactly.  Files arriving in the watermark's
# minute, late files, duplicates, new folders, an organization trail, two
# sessions at once, and an event-history table.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use CtSync;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $emu = start_emulator(gen => [ '--days', '2', '--events-per-day', '40',
	'--regions', 'us-east-1,eu-west-1', '--end', '2026-11-20T00:00:00Z', '--seed', '21',
	'--no-digests', '--late-fraction', '0.1', '--duplicate-fraction', '0.05' ]);
$CtSync::data = $emu->{data};
my $node = node_with_server('sync', server_options => ", endpoint '$emu->{url}'");
$node->safe_psql('postgres', q{
	IMPORT FOREIGN SCHEMA cloudtrail FROM SERVER emu INTO public OPTIONS (bucket 'trail-bucket');
	CREATE TABLE tgt (event_id uuid, event_time timestamptz, event_name text, log_file text);
});

sub sql { $node->safe_psql('postgres', $_[0]) }
sub target_pairs { CtSync::target_pairs($node, @_) }

sub sync
{
	my ($args) = @_;
	return sql("SELECT files, events FROM cloudtrail_sync($args)");
}

# sync until a call reads no file; returns the number of calls
sub catch_up
{
	my ($args) = @_;
	for my $n (1 .. 500)
	{
		my ($files) = split /\|/, sync($args);
		return $n if $files == 0;
	}
	die "sync did not catch up";
}

sub state_text
{
	return sql(q{SELECT string_agg(folder || ' ' || last_key || ' ' || cardinality(recent_keys), E'\n'
		ORDER BY folder) FROM cloudtrail_sync_state WHERE target = 'tgt'::regclass});
}

# ===================================================================
# checks before any request
# ===================================================================
reset_emulator();
$node->safe_psql('postgres', 'CREATE TABLE bad (event_id uuid, not_a_column text)');
my ($ret, $out, $err) = $node->psql('postgres', "SELECT * FROM cloudtrail_sync('trail_events', 'bad')");
like($err, qr/column "not_a_column" of table "bad" is not a column of foreign table "trail_events"/,
	'a target column the source lacks is an error');
($ret, $out, $err) = $node->psql('postgres', "SELECT * FROM cloudtrail_sync('trail_events', 'tgt', dedup => true)");
like($err, qr/dedup needs a unique index on column event_id of table "tgt"/,
	'dedup without a unique index on event_id is an error');
($ret, $out, $err) = $node->psql('postgres',
	"BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT * FROM cloudtrail_sync('trail_events', 'tgt')");
like($err, qr/cannot run in a REPEATABLE READ or SERIALIZABLE transaction/, 'READ COMMITTED only');
is(scalar(requests()), 0, 'no request was made by the refused calls');

# ===================================================================
# bounded steps, with retried faults
# ===================================================================
ctl('fault', { match => { op => 'GetObject' }, kind => 'http500', count => 3 });
ctl('fault', { match => { op => 'ListObjectsV2' }, kind => 'slowdown', count => 2 });
ctl('fault', { match => { op => 'GetObject' }, kind => 'drop', count => 2 });
my ($files, $events) = split /\|/, sync("'trail_events', 'tgt', max_files => 10");
is($files, 10, 'max_files bounds a call');
is(sql('SELECT count(*) FROM tgt'), $events, 'the events reported are the rows inserted');
my $state1 = state_text();
ok($state1 =~ /AWSLogs/, 'the state has folders');

# a corrupt body (transient) without on_error 'skip': nothing changes
my $before = sql('SELECT count(*) FROM tgt');
ctl('fault', { match => { op => 'GetObject' }, kind => 'corrupt', count => 1 });
($ret, $out, $err) = $node->psql('postgres', "SELECT * FROM cloudtrail_sync('trail_events', 'tgt', max_files => 10)");
like($err, qr/could not read CloudTrail log file/, 'a corrupt object fails the call');
is(sql('SELECT count(*) FROM tgt'), $before, 'the failed call inserted nothing');
is(state_text(), $state1, 'the failed call left the state as it was');

my $orig_rows = sql('SELECT count(*) FROM tgt');
ok(catch_up("'trail_events', 'tgt', max_files => 25") > 3, 'the first sync ran as several steps');
pairs_are(target_pairs('tgt'), trail_pairs('trail-bucket'), 'after faults and steps: the pairs equal the trail\'s');
is(sql('SELECT count(*) FROM tgt'), scalar(split /\n/, trail_pairs('trail-bucket')),
	'counted: as many rows as the trail has records');
my $dups = sql('SELECT count(*) - count(DISTINCT event_id) FROM tgt');
ok($dups > 0, "without dedup an event delivered twice is there twice ($dups)");

# ===================================================================
# files of the watermark's minute, late files, new folders
# ===================================================================
my ($last) = sql(q{SELECT last_key FROM cloudtrail_sync_state
	WHERE target = 'tgt'::regclass AND folder LIKE '%111111111111/CloudTrail/us-east-1/'});
my ($stamp) = $last =~ /_(\d{8}T\d{4})Z_/;
my ($lstamp) = $last =~ /_(\d{8}T\d{2})/;
reset_emulator();
my @new = (
	add_file(account => '111111111111', region => 'us-east-1', stamp => $stamp, unique => '0000000000000000'),
	add_file(account => '111111111111', region => 'us-east-1', stamp => $lstamp . '00'),
	add_file(account => '222222222222', region => 'eu-west-1', stamp => '20261121T0930',
		event_time => '2026-11-19T01:00:00Z'),
	add_file(account => '333333333333', region => 'ap-south-1', stamp => '20261121T1000'),
	add_file(account => '111111111111', region => 'sa-east-1', stamp => '20261121T1005'));
($files) = split /\|/, sync("'trail_events', 'tgt'");
is($files, scalar @new, 'a file in the watermark\'s minute, one listed late, a late file and two new folders');
my @gets = sort map { $_->{key} } grep { ($_->{op} || '') eq 'GetObject' } requests();
is(join(',', @gets), join(',', sort @new), 'only the new files were fetched');
pairs_are(target_pairs('tgt'), trail_pairs('trail-bucket'), 'new files: the pairs equal the trail\'s');
reset_emulator();
($files) = split /\|/, sync("'trail_events', 'tgt'");
is($files, 0, 'nothing new: nothing read');
is(scalar(grep { ($_->{op} || '') eq 'GetObject' } requests()), 0, 'no GET of a synced file');

# ===================================================================
# on_error 'skip', cancel, terminate, crash
# ===================================================================
my $bad = add_file(account => '111111111111', region => 'us-east-1', stamp => '20261122T0000',
	raw => 'not gzip at all');
($ret, $out, $err) = $node->psql('postgres', "SELECT * FROM cloudtrail_sync('trail_events', 'tgt')");
like($err, qr/could not read CloudTrail log file/, 'a corrupt object fails the call without on_error');
sql(q{ALTER FOREIGN TABLE trail_events OPTIONS (ADD on_error 'skip')});
($ret, $out, $err) = $node->psql('postgres', "SELECT files FROM cloudtrail_sync('trail_events', 'tgt')");
is($out, 1, 'with on_error skip the corrupt file is skipped');
like($err, qr/WARNING:  skipping CloudTrail log file/, 'with a warning');
sql(q{ALTER FOREIGN TABLE trail_events OPTIONS (DROP on_error)});

# slow requests, then interrupt a sync that has inserted rows
my $round = 0;
sub interrupted
{
	my ($how) = @_;
	$round++;
	for (1 .. 12)
	{
		add_file(account => '222222222222', region => 'us-east-1',
			stamp => sprintf('202611%02dT%02d00', 22 + $round, $_), records => 5);
	}
	my $count = sql('SELECT count(*) FROM tgt');
	my $st = state_text();
	ctl('latency', { ms => 300 });
	my ($o, $e) = ('', '');
	my $h = IPC::Run::start([ 'psql', '-X', '-d', $node->connstr('postgres'), '-c',
		"SELECT * FROM cloudtrail_sync('trail_events', 'tgt', dedup => false)" ], '>', \$o, '2>', \$e);
	# until the sync has fetched a few files
	for (1 .. 200)
	{
		last if grep { ($_->{op} || '') eq 'GetObject' } requests();
		usleep(50_000);
	}
	usleep(700_000);
	if ($how eq 'crash')
	{
		$node->stop('immediate');
		$h->finish;
		$node->start;
	}
	else
	{
		sql(qq{SELECT pg_${how}_backend(pid) FROM pg_stat_activity WHERE query LIKE '%cloudtrail_sync(%'
			AND pid <> pg_backend_pid()});
		$h->finish;
	}
	ctl('latency', { ms => 0 });
	is(sql('SELECT count(*) FROM tgt'), $count, "$how: no row of the interrupted call stays");
	is(state_text(), $st, "$how: the state is as it was");
	sync("'trail_events', 'tgt'");
	pairs_are(target_pairs('tgt'), trail_pairs('trail-bucket'), "$how, then sync: the pairs equal the trail's");
}
interrupted('cancel');
interrupted('terminate');
interrupted('crash');

# ===================================================================
# two sessions at once
# ===================================================================
for (1 .. 8)
{
	add_file(account => '111111111111', region => 'eu-west-1',
		stamp => sprintf('20261127T%02d00', $_), records => 3);
}
ctl('latency', { ms => 100 });
my @h;
for my $i (0, 1)
{
	my ($o, $e) = ('', '');
	push @h, [ IPC::Run::start([ 'psql', '-X', '-At', '-d', $node->connstr('postgres'), '-c',
		"SELECT files FROM cloudtrail_sync('trail_events', 'tgt')" ], '>', \$o, '2>', \$e), \$o ];
}
$_->[0]->finish for @h;
ctl('latency', { ms => 0 });
my @got = sort map { ${ $_->[1] } =~ s/\s+//gr } @h;
is("@got", '0 8', 'two calls at once: one read the 8 new files, the other waited and read none');
pairs_are(target_pairs('tgt'), trail_pairs('trail-bucket'), 'two calls at once: nothing twice');

# ===================================================================
# dedup, and an organization trail
# ===================================================================
sql(q{CREATE TABLE tgt_dedup (event_id uuid PRIMARY KEY, event_name text);});
# (the corrupt object is still there: skip it here too)
sql(q{ALTER FOREIGN TABLE trail_events OPTIONS (ADD on_error 'skip')});
catch_up("'trail_events', 'tgt_dedup', max_files => 100, dedup => true");
sql(q{ALTER FOREIGN TABLE trail_events OPTIONS (DROP on_error)});
is(sql('SELECT count(*) FROM tgt_dedup'), sql('SELECT count(DISTINCT event_id) FROM tgt'),
	'dedup: each event_id once');

my $gen = PostgreSQL::Test::Utils::tempdir() . '/org';
IPC::Run::run([ $PYTHON, "$TOP/test/emulator/gentrail.py", '--data', $gen,
	'--records', "$SHARED/data/real-cloudtrail/records.ndjson", '--bucket', 'org-bucket',
	'--organization-id', 'o-sync123456', '--days', '1', '--events-per-day', '30',
	'--end', '2026-11-20T00:00:00Z', '--seed', '5', '--no-digests', '--duplicate-fraction', '0.05' ],
	'>', \my $gout) or die 'gentrail failed';
system('cp', '-r', "$gen/s3/org-bucket", "$emu->{data}/s3/") == 0 or die 'cp failed';
ctl('reload');
sql(q{CREATE FOREIGN TABLE org_events (event_id uuid, event_time timestamptz, log_file text)
	SERVER emu OPTIONS (bucket 'org-bucket');
	CREATE TABLE org_tgt (event_id uuid, log_file text);});
catch_up("'org_events', 'org_tgt', max_files => 40");
add_file(bucket => 'org-bucket', org => 'o-sync123456', account => '444444444444',
	region => 'us-east-1', stamp => '20261128T0000');
is(sync("'org_events', 'org_tgt'"), '1|2', 'organization trail: a new account folder');
pairs_are(target_pairs('org_tgt'), trail_pairs('org-bucket'), 'organization trail: the pairs equal the trail\'s');

# ===================================================================
# an event-history table
# ===================================================================
sql(q{CREATE TABLE hist (event_id uuid, event_time timestamptz, event_name text)});
my $n1 = (split /\|/, sync("'event_history', 'hist'"))[1];
ok($n1 > 0, "event history: the first call copies what LookupEvents shows ($n1)");
is((split /\|/, sync("'event_history', 'hist'"))[1], 0, 'event history: the overlap is not copied twice');
is(sql('SELECT count(*) - count(DISTINCT event_id) FROM hist'), 0, 'event history: each event once');

# ===================================================================
# activity records: the same over the foreign table and a sync target
# ===================================================================
sql(q{CREATE TABLE rec_tgt (record jsonb, log_file text);
	ALTER FOREIGN TABLE trail_events OPTIONS (ADD on_error 'skip');});
catch_up("'trail_events', 'rec_tgt', max_files => 200");
my $act = q{SELECT count(*) || ' ' || count(object) || ' ' || md5(string_agg(a::text, ',' ORDER BY a::text))
	FROM %s t, LATERAL cloudtrail_activity(t.record) a
	WHERE a.action IN ('CreateUser', 'CreateAccessKey', 'AddUserToGroup', 'UpdateLoginProfile')
	  AND a.outcome = 'success'};
my $over_target = sql(sprintf $act, 'rec_tgt');
like($over_target, qr/^([1-9]\d*) \1 /, "activity: every successful IAM user and key event names its object ($over_target)");
is(sql(sprintf $act, 'trail_events'), $over_target, 'activity: the same over the foreign table and the sync target');

done_testing();
