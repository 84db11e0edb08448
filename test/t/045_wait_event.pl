# A backend waiting on the network shows it in pg_stat_activity: on
# PostgreSQL 17 and later the custom wait event CloudTrailFdwNetwork (type
# Extension, listed in pg_wait_events once used), before 17 the generic
# Extension event.  Checked while the emulator stalls a GetObject (trail
# table) and a LookupEvents call (event-history table).
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use IPC::Run;
use Test::More;
use Time::HiRes qw(usleep);

my $emu = start_emulator(gen => [ '--days', '1', '--events-per-day', '10',
	'--regions', 'us-east-1', '--end', '2026-11-20T00:00:00Z', '--seed', '5', '--no-digests' ],
	emu => [ '--lookup-now', '2026-11-20T00:00:00Z' ]);
my $node = node_with_server('wait', server_options => ", endpoint '$emu->{url}'",
	conf => "max_parallel_workers_per_gather = 0\n");
$node->safe_psql('postgres', q{
	IMPORT FOREIGN SCHEMA cloudtrail FROM SERVER emu INTO public OPTIONS (bucket 'trail-bucket');
});
my $version = $node->safe_psql('postgres', 'SHOW server_version_num');
my $want = $version >= 170000 ? 'Extension:CloudTrailFdwNetwork' : 'Extension:Extension';

# The wait events the backend running $query shows while the emulator
# stalls the request $op: "type:name" => times seen, over up to 3 s.
sub waits_during
{
	my ($op, $query) = @_;
	ctl('fault', { match => { op => $op }, kind => 'stall', seconds => 20, count => 100 });
	my ($in, $out, $err) = ('', '', '');
	my $h = IPC::Run::start([ 'psql', '-X', '-d', $node->connstr('postgres'), '-c', $query ],
		'<', \$in, '>', \$out, '2>', \$err);
	my (%seen, $pid);
	for (1 .. 30)
	{
		usleep(100_000);
		my $row = $node->safe_psql('postgres', qq{
			SELECT pid, coalesce(wait_event_type, '-') || ':' || coalesce(wait_event, '-')
			  FROM pg_stat_activity WHERE query = '$query'});
		next unless $row;
		my ($p, $w) = split /\|/, $row;
		$pid = $p;
		$seen{$w}++;
	}
	$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)") if $pid;
	$h->finish;
	reset_emulator();
	return \%seen;
}

for my $case ([ 'GetObject', 'SELECT count(*) FROM trail_events' ],
	[ 'LookupEvents', 'SELECT count(*) FROM event_history' ])
{
	my ($op, $query) = @$case;
	my $seen = waits_during($op, $query);
	my $shown = join(', ', map { "$_ x$seen->{$_}" } sort keys %$seen) || 'nothing';
	ok($seen->{$want}, "a stalled $op: the backend waits on $want ($shown)");
	if ($version >= 170000)
	{
		ok(!$seen->{'Extension:Extension'}, "a stalled $op: never the generic Extension event");
	}
}

SKIP:
{
	skip 'pg_wait_events and custom wait events are 17 and later', 1 if $version < 170000;
	is($node->safe_psql('postgres',
		q{SELECT type || ':' || name FROM pg_wait_events WHERE name = 'CloudTrailFdwNetwork'}),
		'Extension:CloudTrailFdwNetwork', 'pg_wait_events lists CloudTrailFdwNetwork');
}

# the scans still work once the emulator answers again
is($node->safe_psql('postgres', 'SELECT count(*) > 0 FROM trail_events'), 't',
	'a trail scan after the stalls returns rows');

$node->stop;
done_testing();
