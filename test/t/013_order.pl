# Trail scans in event_time order: ORDER BY event_time DESC (or ASC) with
# LIMIT reads the newest (or oldest) files first and stops early.  Checked
# against a heap copy of the same rows, and against the emulator's request
# log for what was fetched.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use IO::Compress::Gzip qw(gzip $GzipError);
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::Local qw(timegm);

my $emu = start_emulator(gen => [ '--days', '4', '--events-per-day', '150',
	'--accounts', '111111111111,222222222222', '--regions', 'us-east-1,eu-west-1,ap-south-1',
	'--end', '2026-11-20T00:00:00Z', '--seed', '13', '--late-fraction', '0.03',
	'--no-digests' ]);
my $node = node_with_server('order', conf => "max_parallel_workers_per_gather = 0\n");
# the generator delivers some files up to 6 h 4 min late: the rule must cover them
order_tables($node);

sub sql_one { $node->safe_psql('postgres', $_[0]) }

my @files = grep { !$_->{insight} } map { decode_json($_) } split /\n/,
  slurp_file("$emu->{data}/files.ndjson");
my $newest = (sort map { $_->{delivery} } @files)[-1];

sub epoch
{
	my ($iso) = @_;
	my ($y, $mo, $d, $h, $mi, $s) = $iso =~ /^(\d+)-(\d+)-(\d+)[T ](\d+):(\d+):(\d+)/;
	return timegm($s, $mi, $h, $d, $mo - 1, $y);
}

sub stamp_of
{
	my ($key) = @_;
	my ($y, $mo, $d, $h, $mi) = $key =~ /_(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z_[^\/]+$/ or return;
	return timegm(0, $mi, $h, $d, $mo - 1, $y);
}

# ---- the plans: no sort, the order is the scan's
for my $dirn ('DESC', 'ASC')
{
	my $plan = sql_one("EXPLAIN (COSTS OFF) SELECT event_time, event_name FROM trail_events
		ORDER BY event_time $dirn LIMIT 10");
	unlike($plan, qr/Sort/, "ORDER BY event_time $dirn LIMIT 10: no sort");
	like($plan, $dirn eq 'DESC' ? qr/Read Order: newest first/ : qr/Read Order: oldest first/,
		"ORDER BY event_time $dirn LIMIT 10: EXPLAIN shows the read order");
}
like(sql_one("EXPLAIN (COSTS OFF) SELECT count(*) FROM trail_events"),
	qr/^(?!.*Read Order)/s, 'an unordered scan shows no read order');
like(sql_one("EXPLAIN (COSTS OFF) SELECT event_id FROM trail_events ORDER BY event_time DESC, event_id LIMIT 5"),
	qr/Incremental Sort.*Presorted Key: event_time.*Read Order: newest first/s,
	'ORDER BY event_time DESC, event_id: incremental sort on the ordered scan');

# ---- the answers: the heap copy's
my @where = ('true',
	"event_time >= '2026-11-18T06:00:00Z'",
	"event_time < '2026-11-19T12:00:00Z'",
	"event_time BETWEEN '2026-11-17T03:00:00Z' AND '2026-11-18T21:00:00Z'",
	"recipient_account_id = '222222222222'",
	"aws_region IN ('eu-west-1', 'ap-south-1') AND event_time > '2026-11-19T20:00:00Z'",
	"event_name LIKE 'Get%'",
	"event_time > '2026-12-01T00:00:00Z'");
my ($checked, $bad) = (0, 0);
for my $table ('trail_events', 'dir_events')
{
	for my $w (@where)
	{
		for my $dirn ('DESC', 'ASC')
		{
			for my $limit (1, 7, 100, 2000)
			{
				my $q = "SELECT event_time, event_id FROM %s WHERE $w
					ORDER BY event_time $dirn, event_id LIMIT $limit";
				my $got = sql_one(sprintf($q, $table));
				my $want = sql_one(sprintf($q, 'heap'));
				$checked++;
				if ($got ne $want)
				{
					$bad++;
					diag("differs: " . sprintf($q, $table));
				}
			}
		}
	}
}
is($bad, 0, "ordered scans with LIMIT agree with the heap copy ($checked queries)");

# the whole trail in order (a sort is cheaper without LIMIT: forbid it)
for my $dirn ('DESC', 'ASC')
{
	my $q = "SELECT string_agg(event_time::text || ' ' || event_id, ',' ORDER BY n) FROM
		(SELECT event_time, event_id, row_number() OVER () AS n FROM
		 (SELECT event_time, event_id FROM %s ORDER BY event_time $dirn) o) x";
	my $plan = sql_one("SET enable_sort = off; EXPLAIN (COSTS OFF) "
		  . "SELECT event_time FROM trail_events ORDER BY event_time $dirn");
	like($plan, qr/Read Order/, "whole trail $dirn: the ordered scan");
	# ties may come in any order: compare the times, and the rows as a set
	my $times = "SELECT string_agg(event_time::text, ',' ORDER BY n) FROM
		(SELECT event_time, row_number() OVER () AS n FROM
		 (SELECT event_time FROM %s ORDER BY event_time $dirn) o) x";
	is(sql_one("SET enable_sort = off; " . sprintf($times, 'trail_events')),
		sql_one(sprintf($times, 'heap')), "whole trail $dirn: event times in order");
}

# oldest first with a two-day delay holds two days of rows (thousands) at once
my $times = "SELECT string_agg(event_time::text, ',' ORDER BY n) FROM
	(SELECT event_time, row_number() OVER () AS n FROM
	 (SELECT event_time FROM %s ORDER BY event_time LIMIT 100000) o) x";
is(sql_one("ALTER FOREIGN TABLE dir_events OPTIONS (SET max_delivery_delay '2 days');"
	  . sprintf($times, 'dir_events')), sql_one(sprintf($times, 'heap')),
	'oldest first, holding two days of rows: event times in order');
like(sql_one("EXPLAIN (COSTS OFF) " . sprintf($times, 'dir_events')), qr/Read Order: oldest first/,
	'... by the ordered scan');

# ---- what was fetched: the newest files, not the trail
reset_emulator();
sql_one("SELECT event_time FROM trail_events ORDER BY event_time DESC LIMIT 10");
my @gets = grep { ($_->{op} || '') eq 'GetObject' } requests();
my $limit_s = epoch($newest) - 7 * 3600 - 3600;
my @outside = grep { stamp_of($_->{key}) < $limit_s } @gets;
ok(@gets > 0 && @outside == 0,
	'DESC LIMIT 10 fetches only files of the last max_delivery_delay plus an hour ('
	  . scalar(@gets) . ' of ' . scalar(@files) . ' files)');
my @lists = grep { ($_->{op} || '') eq 'ListObjectsV2' } requests();
ok(@lists < 40, 'DESC LIMIT 10 lists the newest day folders only (' . scalar(@lists) . ' LISTs)');

reset_emulator();
sql_one("SELECT event_time FROM trail_events ORDER BY event_time ASC LIMIT 10");
@gets = grep { ($_->{op} || '') eq 'GetObject' } requests();
# oldest first must read max_delivery_delay past the 10th event (to the
# next file after that), and reads ahead at most an hour of stamps beyond
my $tenth = epoch(sql_one("SELECT max(event_time) FROM (SELECT event_time FROM heap ORDER BY 1 LIMIT 10) x"));
@outside = grep { stamp_of($_->{key}) > $tenth + 7 * 3600 + 3600 + 1800 } @gets;
ok(@gets > 0 && @outside == 0,
	'ASC LIMIT 10 fetches only files up to max_delivery_delay plus an hour past the 10th event ('
	  . scalar(@gets) . ' files)');

# ---- a record without eventTime, in the newest file of the trail
my $acct = '111111111111';
my $key = "AWSLogs/$acct/CloudTrail/us-east-1/2026/11/21/${acct}_CloudTrail_us-east-1_20261121T2355Z_NOTIMEnotime0001.json.gz";
my $body = encode_json({ Records => [ { eventVersion => '1.08', eventID => '00000000-0000-4000-8000-000000000001',
	eventName => 'NoTime', recipientAccountId => $acct, awsRegion => 'us-east-1' } ] });
my $gz;
gzip(\$body => \$gz) or die $GzipError;
put_raw('trail-bucket', $key, $gz);
is(sql_one("SELECT event_id FROM trail_events WHERE event_time IS NULL OR event_id = '00000000-0000-4000-8000-000000000001'"),
	'00000000-0000-4000-8000-000000000001', 'the record without eventTime is there');
is(sql_one("SELECT string_agg(coalesce(event_time::text, 'null'), ',') FROM
	(SELECT event_time FROM trail_events ORDER BY event_time ASC LIMIT 100000) x")
	  =~ /,null$/ ? 'last' : 'not last', 'last', 'oldest first: NULL comes last');
my ($ret, $out, $err) = $node->psql('postgres',
	"SELECT event_time FROM trail_events ORDER BY event_time DESC LIMIT 3");
like($err, qr/has no eventTime/, 'newest first: a record without eventTime is an error');
is(sql_one("SET client_min_messages = error; ALTER FOREIGN TABLE trail_events OPTIONS (ADD on_error 'skip');
	SELECT count(*) FROM (SELECT event_time FROM trail_events ORDER BY event_time DESC LIMIT 100000) x"),
	sql_one("SELECT count(*) FROM heap"), "on_error 'skip' skips it");

done_testing();
