# Ordered trail scans under rescans, cursors, runtime bounds, WITH TIES,
# an error in the middle of a scan, and odd folders of a directory table:
# each answer checked against a heap copy of the same rows.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use File::Path qw(make_path);
use IO::Compress::Gzip qw(gzip $GzipError);
use JSON::PP;
use Time::Local qw(timegm);
use PostgreSQL::Test::Utils;
use Test::More;

my $emu = start_emulator(gen => [ '--days', '3', '--events-per-day', '120',
	'--accounts', '111111111111', '--regions', 'us-east-1,eu-west-1',
	'--end', '2026-11-20T00:00:00Z', '--seed', '14', '--late-fraction', '0.03',
	'--no-digests' ]);
my $node = node_with_server('orderrev', conf => "max_parallel_workers_per_gather = 0\n");
my $dir = "$emu->{data}/s3/trail-bucket";
order_tables($node);

sub sql_one { $node->safe_psql('postgres', $_[0]) }

sub same
{
	my ($q, $name, $plan_re) = @_;
	my $got = sql_one(sprintf($q, 'trail_events'));
	my $want = sql_one(sprintf($q, 'heap'));
	if ($plan_re)
	{
		like(sql_one("EXPLAIN (COSTS OFF) " . sprintf($q, 'trail_events')), $plan_re,
			"$name: the plan");
	}
	is($got, $want, $name);
}

# ---- rescans: LATERAL with LIMIT, a parameter per outer row
same("SELECT v.n, x.event_time, x.event_id FROM
	(SELECT n, (SELECT min(event_time) FROM heap) + n * interval '9 hours' AS t
	 FROM generate_series(0, 8) n) v,
	LATERAL (SELECT event_time, event_id FROM %s e WHERE e.event_time < v.t
	  ORDER BY event_time DESC, event_id LIMIT 4) x ORDER BY 1, 2 DESC, 3",
	'LATERAL newest first with LIMIT, rescanned per outer row', qr/Read Order: newest first/);
same("SELECT v.n, x.event_time, x.event_id FROM
	(SELECT n, (SELECT min(event_time) FROM heap) + n * interval '9 hours' AS t
	 FROM generate_series(0, 8) n) v,
	LATERAL (SELECT event_time, event_id FROM %s e WHERE e.event_time >= v.t
	  ORDER BY event_time, event_id LIMIT 4) x ORDER BY 1, 2, 3",
	'LATERAL oldest first with LIMIT, rescanned per outer row', qr/Read Order: oldest first/);

# a correlated subquery: a rescan that stops the scan after one row
same("SELECT h.event_id, (SELECT t.event_time FROM %s t WHERE t.event_time <= h.event_time
	  ORDER BY t.event_time DESC LIMIT 1) = h.event_time
	FROM (SELECT * FROM heap ORDER BY event_id LIMIT 6) h ORDER BY 1",
	'a correlated subquery newest first');

# ---- runtime-parameter bounds (an initplan)
same("SELECT event_time, event_id FROM %s WHERE event_time < (SELECT max(event_time) - interval '30 hours' FROM heap)
	ORDER BY event_time DESC, event_id LIMIT 9", 'a bound from an initplan, newest first',
	qr/Read Order: newest first/);
same("SELECT event_time, event_id FROM %s WHERE event_time > (SELECT min(event_time) + interval '30 hours' FROM heap)
	ORDER BY event_time, event_id LIMIT 9", 'a bound from an initplan, oldest first');

# ---- WITH TIES
same("SELECT event_time FROM %s ORDER BY event_time DESC FETCH FIRST 25 ROWS WITH TIES",
	'WITH TIES newest first');
same("SELECT event_time FROM %s ORDER BY event_time FETCH FIRST 25 ROWS WITH TIES",
	'WITH TIES oldest first');

# ---- a cursor fetching in pieces
for my $dirn ('DESC', 'ASC')
{
	my $q = "BEGIN; DECLARE c CURSOR FOR SELECT event_time FROM %s ORDER BY event_time $dirn;
		FETCH 7 FROM c; FETCH 100 FROM c; FETCH 3 FROM c; FETCH 500 FROM c; COMMIT;";
	is(sql_one(sprintf($q, 'trail_events')), sql_one(sprintf($q, 'heap')),
		"a cursor $dirn fetching in pieces");
}

# ---- an ERROR in the middle of an ordered scan, then more queries in the session
{
	my $q = "SELECT event_time, event_id FROM %s ORDER BY event_time DESC, event_id LIMIT 20";
	my $want = sql_one(sprintf($q, 'heap'));
	my ($ret, $out, $err) = $node->psql('postgres', "
		SELECT 1 / (n - 5) FROM (SELECT row_number() OVER () AS n FROM
		  (SELECT event_time FROM trail_events ORDER BY event_time DESC LIMIT 10) a) b;
		SELECT 1 / (n - 5) FROM (SELECT row_number() OVER () AS n FROM
		  (SELECT event_time FROM trail_events ORDER BY event_time LIMIT 10) a) b;
		" . sprintf($q, 'trail_events') . ";", on_error_stop => 0);
	like($err, qr/division by zero/, 'an error in the middle of ordered scans');
	is($out, $want, '... and the next ordered scan in the session is right');
}

# ---- a directory: empty day, month and year folders, newest and oldest
make_path("$dir/AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/25",
	"$dir/AWSLogs/111111111111/CloudTrail/us-east-1/2026/12",
	"$dir/AWSLogs/111111111111/CloudTrail/us-east-1/2027",
	"$dir/AWSLogs/111111111111/CloudTrail/eu-west-1/2026/11/19/empty-not-a-day");
for my $dirn ('DESC', 'ASC')
{
	my $q = "SELECT event_time, event_id FROM %s ORDER BY event_time $dirn, event_id LIMIT 30";
	my ($ret, $out, $err) = $node->psql('postgres', sprintf($q, 'dir_events'));
	is($out, sql_one(sprintf($q, 'heap')), "a directory with empty date folders, $dirn");
}

# ---- NULLS order the scan does not give: a sort, and the right answer
for my $o ('DESC NULLS LAST', 'ASC NULLS FIRST')
{
	same("SELECT event_time, event_id FROM %s ORDER BY event_time $o, event_id LIMIT 6",
		"ORDER BY event_time $o");
}

# ---- a day of more files than a listing page holds (1000), in an account of its own
{
	my $acct = '333333333333';
	my $base = timegm(0, 0, 0, 18, 10, 2026);
	my $paged = "$emu->{data}/paged";
	for my $i (0 .. 1099)
	{
		my @t = gmtime($base + $i * 60);
		my $stamp = sprintf('%04d%02d%02dT%02d%02dZ', $t[5] + 1900, $t[4] + 1, $t[3], $t[2], $t[1]);
		my $iso = sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1, $t[3], $t[2], $t[1], 10);
		my $key = sprintf("AWSLogs/$acct/CloudTrail/us-east-1/2026/11/18/${acct}_CloudTrail_us-east-1_${stamp}_PAGE%012d.json.gz", $i);
		my $body = encode_json({ Records => [ { eventVersion => '1.08', eventTime => $iso,
			eventID => sprintf('00000000-0000-4000-8000-%012d', $i), eventName => 'Paged',
			recipientAccountId => $acct, awsRegion => 'us-east-1' } ] });
		my $gz;
		gzip(\$body => \$gz) or die $GzipError;
		put_raw('trail-bucket', $key, $gz);
		# and in a directory of its own, for a directory table
		my ($folder) = "$paged/$key" =~ m{^(.*)/[^/]+$};
		make_path($folder);
		open(my $fh, '>:raw', "$paged/$key") or die "$paged/$key: $!";
		print $fh $gz;
		close($fh);
	}
	sql_one("CREATE FOREIGN TABLE dir_paged (event_time timestamptz, event_id text,
	  recipient_account_id text) SERVER emu OPTIONS (directory '$paged', max_delivery_delay '7 hours')");
	sql_one("CREATE TABLE heap2 AS SELECT event_time, event_id, recipient_account_id FROM trail_events
		WHERE recipient_account_id = '$acct'");
	is(sql_one("SELECT count(*) FROM heap2"), 1100, 'the paged day is all there');
	for my $table ('trail_events', 'dir_paged')
	{
		for my $dirn ('DESC', 'ASC')
		{
			for my $w ("true", "event_time < '2026-11-18T12:00:00Z'", "event_time > '2026-11-18T05:00:00Z'")
			{
				my $q = "SELECT event_time, event_id FROM %s WHERE recipient_account_id = '$acct' AND $w
					ORDER BY event_time $dirn, event_id LIMIT 5";
				is(sql_one(sprintf($q, $table)), sql_one(sprintf($q, 'heap2')),
					"$table, a day over two listing pages, $dirn, $w");
			}
		}
	}
}

# ---- a directory with an empty folder that is no date folder: as an unordered scan
make_path("$dir/AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/tmp");
{
	my $q = "SELECT count(*) FROM (SELECT event_time FROM dir_events ORDER BY event_time DESC LIMIT 5) x";
	my ($ret, $out, $err) = $node->psql('postgres', $q);
	my ($ret2, $out2, $err2) = $node->psql('postgres', "SELECT count(*) > 0 FROM dir_events");
	local $TODO = 'an ordered scan lists date folders, and takes an empty stray folder for a file of the wrong name';
	is($err, $err2, 'an empty non-date folder: an ordered scan fails as an unordered one does');
}

done_testing();
