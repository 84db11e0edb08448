# Keeping history with the real extensions: a pg_cron job syncs every minute
# while the trail gains files, and its target catches up exactly; a
# pg_partman monthly-partitioned target is filled across a month boundary;
# a materialized view over the foreign table is refreshed CONCURRENTLY.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use CtSync;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

# three days around the end of October
my $emu = start_emulator(gen => [ '--days', '3', '--events-per-day', '30',
	'--regions', 'us-east-1,eu-west-1', '--end', '2026-11-02T00:00:00Z', '--seed', '31',
	'--no-digests', '--late-fraction', '0.1' ]);
$CtSync::data = $emu->{data};
my $node = node_with_server('schedule', conf => "shared_preload_libraries = 'pg_cron'\n"
	  . "cron.database_name = 'postgres'\ncron.use_background_workers = on\n"
	  . "max_worker_processes = 16\n");
$node->safe_psql('postgres', q{
	IMPORT FOREIGN SCHEMA cloudtrail FROM SERVER emu INTO public OPTIONS (bucket 'trail-bucket');
	CREATE EXTENSION pg_cron;
	CREATE SCHEMA partman;
	CREATE EXTENSION pg_partman SCHEMA partman;
});

sub sql { $node->safe_psql('postgres', $_[0]) }

# ===================================================================
# pg_partman: monthly partitions on event_time
# ===================================================================
# pg_partman 4 (Debian 12) names the kind and interval, 5 (later Debians) an interval
my $partman5 = sql(q{SELECT split_part(extversion, '.', 1)::int >= 5 FROM pg_extension
	WHERE extname = 'pg_partman'}) eq 't';
sql(q{
	CREATE TABLE parted (event_id uuid NOT NULL, event_time timestamptz NOT NULL,
	  event_name text, log_file text, PRIMARY KEY (event_id, event_time))
	  PARTITION BY RANGE (event_time);
} . ($partman5 ?
	q{SELECT partman.create_parent('public.parted', 'event_time', '1 month',
	  p_start_partition := '2026-09-01');} :
	q{SELECT partman.create_parent('public.parted', 'event_time', 'native', 'monthly',
	  p_start_partition := '2026-09-01');}));
my $steps = 0;
$steps++ while (split /\|/, sql("SELECT files FROM cloudtrail_sync('trail_events', 'parted', max_files => 40, dedup => true)"))[0] > 0;
ok($steps > 1, "pg_partman target: filled in $steps steps");
my $want = sql(q{SELECT count(DISTINCT event_id) FROM trail_events});
is(sql('SELECT count(*) FROM parted'), $want, 'pg_partman target: each event once (dedup on the primary key)');
my $by_month = sql(q{SELECT string_agg(m || ':' || n, ' ' ORDER BY m) FROM (
	SELECT to_char(event_time, 'YYYY-MM') m, count(DISTINCT event_id) n FROM trail_events GROUP BY 1) x});
like($by_month, qr/2026-10:\d+ 2026-11:\d+/, "the trail spans a month boundary ($by_month)");
is(sql(q{SELECT string_agg(m || ':' || n, ' ' ORDER BY m) FROM (
	SELECT to_char(event_time, 'YYYY-MM') m, count(*) n FROM parted GROUP BY 1) x}), $by_month,
	'pg_partman target: the same events per month');
# the month's partition, whatever pg_partman names it (parted_p2026_10, parted_p20261001)
sub month_part
{
	my ($y, $m) = @_;
	return sql('SELECT count(*) FROM ONLY ' . ($partman5 ? "parted_p$y${m}01" : "parted_p${y}_$m"));
}
is(month_part('2026', '10') + month_part('2026', '11'),
	$want, 'the rows are in the monthly partitions');
is(sql('SELECT count(*) FROM parted_default'), 0, 'none in the default partition');

# ===================================================================
# a materialized view, refreshed CONCURRENTLY
# ===================================================================
sql(q{CREATE MATERIALIZED VIEW trail_mv AS SELECT event_id, log_file, event_name FROM trail_events;
	CREATE UNIQUE INDEX ON trail_mv (event_id, log_file);});
pairs_are(CtSync::target_pairs($node, 'trail_mv'), trail_pairs('trail-bucket'),
	'materialized view: the pairs of the trail');
add_file(account => '111111111111', region => 'us-east-1', stamp => '20261102T0100');
sql('REFRESH MATERIALIZED VIEW CONCURRENTLY trail_mv');
pairs_are(CtSync::target_pairs($node, 'trail_mv'), trail_pairs('trail-bucket'),
	'materialized view, refreshed concurrently: the new file too');

# ===================================================================
# pg_cron: a sync every minute while files arrive
# ===================================================================
sql(q{CREATE TABLE cron_tgt (event_id uuid, event_time timestamptz, log_file text);
	SELECT cron.schedule('trail-sync', '* * * * *',
	  $$SELECT cloudtrail_sync('trail_events', 'cron_tgt')$$);});
my $t0 = time;
my $last_add;
for my $i (1 .. 8)
{
	add_file(account => '222222222222', region => 'eu-west-1',
		stamp => sprintf('20261102T%02d%02d', 2 + int($i / 6), ($i * 10) % 60), records => 3);
	$last_add = sql('SELECT now()');
	sleep 10;
}
# a run that started after the last file arrived
my $ran = 0;
for (1 .. 150)
{
	$ran = sql(qq{SELECT count(*) FROM cron.job_run_details WHERE status = 'succeeded'
		AND start_time > '$last_add'});
	last if $ran > 0;
	sleep 1;
}
ok($ran > 0, 'pg_cron ran the sync after the last file arrived');
my $runs = sql(q{SELECT count(*) FROM cron.job_run_details WHERE status = 'succeeded'});
ok($runs >= 2, "pg_cron synced while files arrived ($runs runs)");
is(sql(q{SELECT count(*) FROM cron.job_run_details WHERE status <> 'succeeded'}), 0, 'no run failed');
pairs_are(CtSync::target_pairs($node, 'cron_tgt'), trail_pairs('trail-bucket'),
	'pg_cron target: the pairs equal the trail\'s');
sql(q{SELECT cron.unschedule('trail-sync')});

done_testing();
