# The event-history table: the LookupEvents calls each WHERE clause makes
# (from the emulator's request log), throttling, paging, bad replies, and
# results equal to the emulator's events for the same filter.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::Local qw(timegm);

my $now = '2026-11-20T00:00:00Z';
my $emu = start_emulator(gen => [ '--days', '3', '--events-per-day', '120',
	'--regions', 'us-east-1,eu-west-1', '--end', $now, '--seed', '5', '--no-digests' ],
	emu => [ '--lookup-now', $now ]);
my $node = node_with_server('history', server_options => ", endpoint '$emu->{url}'");
$node->safe_psql('postgres', q{
	IMPORT FOREIGN SCHEMA cloudtrail FROM SERVER emu INTO public OPTIONS (regions 'us-east-1,eu-west-1');
	CREATE FOREIGN TABLE history_us (event_id uuid, event_time timestamptz, event_name text,
	  username text, read_only boolean, resource_names text[], resource_types text[])
	  SERVER emu OPTIONS (source 'lookup_events', regions 'us-east-1');
	CREATE FOREIGN TABLE insights_us (event_id uuid, event_time timestamptz, event_name text,
	  event_source text, username text, insight_details jsonb)
	  SERVER emu OPTIONS (source 'lookup_events', regions 'us-east-1', event_category 'insight');
});

sub sql_one { $node->safe_psql('postgres', $_[0]) }

sub err
{
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$_[0]");
	return $err;
}

sub calls { grep { ($_->{op} || '') eq 'LookupEvents' } requests() }

# the emulator's events, read independently
my %events;
for my $region (qw(us-east-1 eu-west-1))
{
	for my $acct (qw(111111111111))
	{
		my @e = map { decode_json($_) } grep { /\S/ }
		  split /\n/, slurp_file("$emu->{data}/lookup/$acct/$region.ndjson");
		$events{$region} = \@e;
	}
}
my @us = @{ $events{'us-east-1'} };
my @all = (@us, @{ $events{'eu-west-1'} });

# ---- no WHERE: every management event of both regions, newest first
reset_emulator();
my $ids = sql_one('SELECT string_agg(event_id::text, \',\' ORDER BY event_id) FROM event_history');
is($ids, join(',', sort map { $_->{eventID} } @all), 'all events of both regions, as the emulator has them');
my @c = calls();
is(scalar(grep { !@{ $_->{lookup}{attributes} } && $_->{lookup}{max_results} == 50 } @c), scalar @c,
	'no attribute, MaxResults 50 on every call');
ok((grep { $_->{lookup}{next_token} } @c) > 0, 'pages followed with NextToken');
is(sql_one(q{SELECT bool_and(a >= b) FROM (SELECT event_time AS a, lead(event_time) OVER () AS b FROM event_history) x}),
	't', 'rows come newest first');

# ---- ORDER BY event_time DESC LIMIT 5: one call, no sort
reset_emulator();
my $plan = sql_one('EXPLAIN (COSTS OFF) SELECT event_time FROM history_us ORDER BY event_time DESC LIMIT 5');
unlike($plan, qr/Sort/, 'ORDER BY event_time DESC needs no sort');
is(sql_one('SELECT count(*) FROM (SELECT event_time FROM history_us ORDER BY event_time DESC LIMIT 5) x'), 5,
	'LIMIT 5');
is(scalar(calls()), 1, 'ORDER BY event_time DESC LIMIT 5 makes one call');

# ---- two attributes: one LookupAttribute, the most selective
reset_emulator();
my ($sample) = grep { api_username($_) && $_->{eventName} } @us;
my ($u, $n) = (api_username($sample), $sample->{eventName});
is(sql_one("SELECT count(*) FROM history_us WHERE event_name = '$n' AND username = '$u'"),
	scalar(grep { api_username($_) eq $u && $_->{eventName} eq $n } @us), "event_name and username: exact count");
@c = calls();
is_deeply([ map { $_->{lookup}{attributes} } @c ],
	[ map { [ { AttributeKey => 'Username', AttributeValue => $u } ] } @c ],
	'two attributes give one LookupAttribute: Username over EventName');

# ---- event_id beats everything
reset_emulator();
my $eid = $us[3]{eventID};
is(sql_one("SELECT event_name FROM history_us WHERE event_id = '$eid' AND username IS NOT NULL AND event_name <> ''"),
	$us[3]{eventName}, 'event_id lookup');
is_deeply([ map { $_->{lookup}{attributes}[0]{AttributeKey} } calls() ], ['EventId'], 'EventId sent');

# ---- IN: one stream per value, merged
reset_emulator();
my @names = ('ConsoleLogin', $n);
my $in = join(',', map { "'$_'" } @names);
is(sql_one("SELECT string_agg(event_id::text, ',' ORDER BY event_id) FROM history_us WHERE event_name IN ($in)"),
	join(',', sort map { $_->{eventID} } grep { my $e = $_; grep { $_ eq ($e->{eventName} || '') } @names } @us),
	'IN: the events of both names');
is_deeply([ sort map { $_->{lookup}{attributes}[0]{AttributeValue} } grep { !$_->{lookup}{next_token} } calls() ],
	[ sort @names ], 'IN gives one stream per value');
is(sql_one("SELECT bool_and(a >= b) FROM (SELECT event_time AS a, lead(event_time) OVER () AS b FROM history_us WHERE event_name IN ($in)) x"),
	't', 'merged newest first');

# ---- time window, read_only, resources
reset_emulator();
my ($s, $e) = ('2026-11-18T06:00:00Z', '2026-11-18T18:00:00Z');
is(sql_one("SELECT count(*) FROM history_us WHERE event_time BETWEEN '$s' AND '$e' AND NOT read_only"),
	scalar(grep { $_->{eventTime} ge $s && $_->{eventTime} le $e && defined $_->{readOnly} && !$_->{readOnly} } @us),
	'time window and NOT read_only: exact count');
@c = calls();
my $epoch = sub { my ($y, $mo, $d, $h) = $_[0] =~ /(\d+)-(\d+)-(\d+)T(\d+)/; timegm(0, 0, $h, $d, $mo - 1, $y) };
is($c[0]{lookup}{start}, $s, 'StartTime sent');
is($c[0]{lookup}{end}, $e, 'EndTime sent');
is($c[0]{lookup}{attributes}[0]{AttributeValue}, 'false', 'ReadOnly=false sent');
my ($with_res) = grep { @{ $_->{resources} || [] } && ref($_->{resources}[0]) eq "HASH" && $_->{resources}[0]{ARN} } @us;
SKIP:
{
	skip 'no event with resources', 3 unless $with_res;
	my $arn = $with_res->{resources}[0]{ARN};
	reset_emulator();
	is(sql_one("SELECT count(*) FROM history_us WHERE '$arn' = ANY(resource_names)"),
		scalar(grep { grep { ref($_) eq 'HASH' && ($_->{ARN} || '') eq $arn } @{ $_->{resources} || [] } } @us),
		"'x' = ANY(resource_names)");
	is_deeply([ map { $_->{lookup}{attributes}[0]{AttributeKey} } calls() ], ['ResourceName'],
		'ResourceName sent');
	is(sql_one("SELECT resource_names[1] FROM history_us WHERE event_id = '$with_res->{eventID}'"), $arn,
		'resource_names from the API Resources');
}

# ---- Insights: only EventId, EventName, EventSource apply
reset_emulator();
sql_one(q{SELECT count(*) FROM insights_us WHERE username = 'x' OR true});
sql_one(q{SELECT count(*) FROM insights_us WHERE username = 'nobody'});
@c = calls();
ok((grep { ($_->{lookup}{category} || '') eq 'insight' } @c) == @c, 'EventCategory insight sent');
is(scalar(grep { @{ $_->{lookup}{attributes} } } @c), 0, 'Username is not sent for Insights');
my @ins = map { decode_json($_) } grep { /\S/ } split /\n/, slurp_file("$emu->{data}/lookup/111111111111/us-east-1.insight.ndjson");
is(sql_one('SELECT count(*) FROM insights_us WHERE insight_details IS NOT NULL'), scalar @ins, 'Insights events');

# ---- EXPLAIN shows the calls
like(sql_one("EXPLAIN (COSTS OFF) SELECT * FROM event_history WHERE event_name = 'ConsoleLogin' AND event_time >= '$s'"),
	qr/Calls: us-east-1: EventName=ConsoleLogin StartTime=\d+, eu-west-1: EventName=ConsoleLogin StartTime=\d+/,
	'EXPLAIN shows the parameters per region');

# ---- throttling is ridden out
reset_emulator();
ctl('fault', { match => { op => 'LookupEvents' }, kind => 'throttle', count => 3 });
$plan = sql_one('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*) FROM history_us');
like($plan, qr/Throttled: 3/, 'three ThrottlingExceptions ridden out');
is(sql_one('SELECT count(*) FROM history_us'), scalar @us, 'and the count is right');
reset_emulator();
ctl('fault', { match => { op => 'LookupEvents' }, kind => 'throttle', count => 1000 });
sql_one(q{ALTER FOREIGN TABLE history_us OPTIONS (ADD lookup_max_wait '2 seconds')});
like(err('SELECT count(*) FROM history_us'), qr/ThrottlingException.*gave up after waiting .* \(lookup_max_wait\)/si,
	'endless throttling: a clear error after lookup_max_wait');
sql_one(q{ALTER FOREIGN TABLE history_us OPTIONS (DROP lookup_max_wait)});
reset_emulator();
ctl('fault', { match => { op => 'LookupEvents' }, kind => 'http500', count => 2 });
is(sql_one('SELECT count(*) FROM history_us'), scalar @us, '5xx replies are retried');

# ---- bad replies
reset_emulator();
ctl('fault', { match => { op => 'LookupEvents' }, kind => 'error', status => 400,
	code => 'InvalidNextTokenException', message => 'bad token', skip => 1 });
like(err('SELECT count(*) FROM history_us'), qr/LookupEvents rejected its own paging token/,
	'an invalid NextToken fails clearly, never loops');
is(scalar(calls()), 2, 'after two calls');
reset_emulator();
ctl('fault', { match => { op => 'LookupEvents' }, kind => 'error', status => 400,
	code => 'BrandNewException', message => 'something new' });
like(err('SELECT count(*) FROM history_us'), qr/AWS error BrandNewException \(HTTP 400/, 'an unknown AWS error code');
reset_emulator();
ctl('fault', { match => { op => 'LookupEvents' }, kind => 'body',
	body => '{"Events":[{"EventId":"a","EventTime":1.7949E9,"CloudTrailEvent":"{\"eventID\":\"3b5f3a4e-4a4b-4c5d-8e9f-0a1b2c3d4e5f\",\"eventTime\":\"2026-11-18T00:00:00Z\"}","Resources":[{"ResourceType":null,"ResourceName":"r1"}]}]}' });
is(sql_one('SELECT event_id || \' \' || array_to_string(resource_types, \',\', \'NULL\') || \' \' || resource_names[1] FROM history_us'),
	'3b5f3a4e-4a4b-4c5d-8e9f-0a1b2c3d4e5f NULL r1', 'exponent EventTime and a null ResourceType');
ctl('fault', { match => { op => 'LookupEvents' }, kind => 'body',
	body => '{"Events":[{"EventId":"a","EventTime":1794960000,"CloudTrailEvent":"{not json"}]}' });
like(err('SELECT event_id FROM history_us'), qr/malformed CloudTrailEvent in a LookupEvents reply/,
	'a malformed CloudTrailEvent: a clear error');
ctl('fault', { match => { op => 'LookupEvents' }, kind => 'body', body => '<html>oops</html>' });
like(err('SELECT event_id FROM history_us'), qr/could not read a LookupEvents reply from region us-east-1/,
	'a reply that is not JSON: a clear error');

# the JSON API's answer to a skewed clock is a signature error: said plainly
ctl('clock', { skew_seconds => 1800 });
like(err('SELECT count(*) FROM history_us'), qr/clock is off.*HINT:.*differs from AWS's by about -?1[78]\d\d seconds/s,
	'LookupEvents: "Signature expired" from a skewed clock says the clock is off, and by how much');
ctl('clock', { skew_seconds => 0 });
reset_emulator();

# ---- UNION with the trail table, same columns
sql_one(q{IMPORT FOREIGN SCHEMA cloudtrail LIMIT TO (trail_events) FROM SERVER emu INTO public
	OPTIONS (bucket 'trail-bucket', account_ids '111111111111', regions 'us-east-1')});
is(sql_one(q{SELECT count(*) FROM (
	SELECT event_id, event_time, event_name, username, record FROM event_history WHERE aws_region = 'us-east-1'
	INTERSECT
	SELECT event_id, event_time, event_name, username, record FROM trail_events) x}),
	scalar @us, 'the history and the trail agree, column for column, on every management event');

done_testing();
