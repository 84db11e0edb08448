# Hostile log files served by the emulator: records of any width and with
# repeated members, invalid text, and objects that inflate without end.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use Compress::Raw::Zlib;
use IO::Compress::Gzip qw(gzip $GzipError);
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $emu = start_emulator(gen => [ '--days', '1', '--events-per-day', '10',
	'--regions', 'us-east-1', '--end', '2026-11-20T00:00:00Z', '--seed', '3', '--no-digests' ]);
my $node = node_with_server('hostile', conf => "max_parallel_workers_per_gather = 0\n");

sub sql_one { $node->safe_psql('postgres', $_[0]) }

sub err
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	return $err;
}

# log_file(account, JSON text): a gzipped log file of that account; its key
my $minute = 0;
sub log_file
{
	my ($acct, $json) = @_;
	my $stamp = sprintf('20261118T%02d%02dZ', 1 + $minute / 60, $minute % 60);
	my $key = "hostile/AWSLogs/$acct/CloudTrail/us-east-1/2026/11/18/${acct}_CloudTrail_us-east-1_${stamp}_ABCDEFGHIJKLMNOP.json.gz";
	my $gz;

	$minute++;
	gzip(\$json => \$gz, Minimal => 1) or die $GzipError;
	put_raw('trail-bucket', $key, $gz);
	return $key;
}

sql_one(q{CREATE FOREIGN TABLE h (event_name text, event_id uuid, user_arn text, username text,
	  request_parameters jsonb, record jsonb, log_file text, recipient_account_id text)
	SERVER emu OPTIONS (bucket 'trail-bucket', prefix 'hostile', regions 'us-east-1')});

# ===================================================================
# records of any width; a repeated member
# ===================================================================
{
	my $filler = join(',', map { qq("x$_":$_) } 1 .. 140);
	log_file('400000000001', qq({"Records":[{"recipientAccountId":"400000000001",$filler,)
		  . q("eventName":"Wide","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::400000000001:user/w","userName":"w"}}]}));
	is(sql_one(q{SELECT event_name, user_arn, username, event_name = record->>'eventName'
		FROM h WHERE recipient_account_id = '400000000001'}),
		'Wide|arn:aws:iam::400000000001:user/w|w|t', 'members past the 128th give their columns');

	log_file('400000000002', q({"Records":[{"recipientAccountId":"400000000002","eventName":"First",)
		  . q("requestParameters":{"a":1},"eventName":"Last","requestParameters":{"a":2},)
		  . q("userIdentity":{"arn":"x","userName":"one","userName":"two"}}]}));
	is(sql_one(q{SELECT event_name, request_parameters, username,
		  event_name = record->>'eventName' AND request_parameters = record->'requestParameters'
		FROM h WHERE recipient_account_id = '400000000002'}),
		'Last|{"a": 2}|two|t', 'a repeated member: the column takes the last value, as record (jsonb) does');
}

# ===================================================================
# invalid text: bytes that are not UTF-8, NUL, \u0000
# ===================================================================
{
	my $ok = q({"recipientAccountId":"400000000050","eventName":"Fine","eventTime":"2026-11-18T01:00:00Z"});
	my %cases = (
		'400000000051' => [ qq({"recipientAccountId":"400000000051","eventName":"Bad","requestParameters":{"bucketName":"b\xff\xfe"}}),
			qr/malformed CloudTrail record: invalid UTF-8 in field "requestParameters.bucketName" \(byte \d+ of the record\).*CONTEXT:  CloudTrail record 2 of "s3:\/\/trail-bucket\/hostile\/AWSLogs\/400000000051\//s ],
		'400000000052' => [ qq({"recipientAccountId":"400000000052","eventName":"Ev\0il"}),
			qr/malformed CloudTrail record: a NUL byte in field "eventName"/ ],
		'400000000053' => [ q({"recipientAccountId":"400000000053","eventName":"a\u0000b"}),
			qr/cannot store a CloudTrail record: a string holds \\u0000.*CONTEXT:  CloudTrail record 2 of .*field "eventName" \(column "event_name"\)/s ],
		'400000000054' => [ q({"recipientAccountId":"400000000054","eventName":"J","requestParameters":{"k":"\u0000"}}),
			qr/a string holds \\u0000, which jsonb cannot hold.*column "request_parameters"/s ],
	);
	for my $acct (sort keys %cases)
	{
		(my $first = $ok) =~ s/400000000050/$acct/;
		log_file($acct, qq({"Records":[$first,$cases{$acct}[0],$first]}));
		my $e = err(qq{SELECT event_name, request_parameters FROM h WHERE recipient_account_id = '$acct'});
		like($e, $cases{$acct}[1], "invalid text, $acct: " . ($e =~ /ERROR:\s+\S+:\s+(.*)/)[0]);
	}
	sql_one(q{ALTER FOREIGN TABLE h OPTIONS (ADD on_error 'skip')});
	my ($ret, $out, $stderr) = $node->psql('postgres', q{SELECT count(*), count(record), count(request_parameters)
		FROM h WHERE recipient_account_id IN ('400000000051', '400000000052', '400000000053', '400000000054')});
	my $warned = () = $stderr =~ /WARNING:  skipping a (malformed )?CloudTrail record/g;
	ok($ret == 0 && $out eq '8|8|0' && $warned == 4,
		"on_error skip: each record with invalid text skipped with a warning, the rest read ($out, $warned warnings)");

	# what a query keeps can be dumped and restored
	my $copy = $node->basedir . '/keep.copy';
	($ret, $out, $stderr) = $node->psql('postgres', qq{
		CREATE TABLE keep AS SELECT * FROM h WHERE recipient_account_id LIKE '40000000005_';
		COPY keep TO '$copy';
		CREATE TABLE restored (LIKE keep);
		COPY restored FROM '$copy';
		SELECT count(*) FROM restored});
	is($out, '8', 'CREATE TABLE AS keeps only valid text: COPY out and back in works');
	sql_one(q{ALTER FOREIGN TABLE h OPTIONS (DROP on_error)});

	# a LATIN1 database gets values converted, or refused when they do not fit
	$node->safe_psql('postgres', q{CREATE DATABASE latin TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'});
	my ($akid, $secret) = @{ $KEYS{key1} };
	$node->safe_psql('latin', qq{
		CREATE EXTENSION cloudtrail_fdw;
		CREATE SERVER emu FOREIGN DATA WRAPPER cloudtrail_fdw OPTIONS (s3_endpoint '$emu->{url}');
		CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (access_key_id '$akid', secret_access_key '$secret');
		CREATE FOREIGN TABLE h (event_name text, request_parameters jsonb, recipient_account_id text)
		  SERVER emu OPTIONS (bucket 'trail-bucket', prefix 'hostile', regions 'us-east-1')});
	log_file('400000000055', q({"Records":[{"recipientAccountId":"400000000055","eventName":"caf\u00e9","requestParameters":{"k":"d\u00e9j\u00e0"}},)
		  . qq({"recipientAccountId":"400000000055","eventName":"caf\xc3\xa9 \xe2\x82\xac"}]}));
	($ret, $out, $stderr) = $node->psql('latin', q{SELECT convert_to(event_name, 'UTF8'), request_parameters->>'k' = convert_from('\x64c3a96ac3a0', 'UTF8')
		FROM h WHERE recipient_account_id = '400000000055'});
	like($stderr, qr/cannot store a CloudTrail record: a character with no equivalent in encoding "LATIN1".*record 2 of/s,
		'LATIN1: a character LATIN1 lacks is refused, naming the record');
	($ret, $out, $stderr) = $node->psql('latin', q{SET client_min_messages = error; ALTER FOREIGN TABLE h OPTIONS (ADD on_error 'skip');
		SELECT convert_to(event_name, 'UTF8'), request_parameters->>'k' = convert_from('\x64c3a96ac3a0', 'UTF8')
		FROM h WHERE recipient_account_id = '400000000055'});
	is($out, '\x636166c3a9|t', 'LATIN1: the others are converted (text and jsonb)');
}

# ===================================================================
# decompression: a bounded inflated size, interrupts, trickled bodies
# ===================================================================
# $mb megabytes of white space in Records, gzipped to about a thousandth;
# the stream never ends (nobody should read that far)
sub whitespace_bomb
{
	my ($mb) = @_;
	my ($d) = Compress::Raw::Zlib::Deflate->new(-WindowBits => WANT_GZIP, -Level => 9,
		-AppendOutput => 1);
	my ($head, $block) = ('', '');
	$d->deflate('{"Records":[', $head);
	$d->flush($head, Z_FULL_FLUSH);
	# after a full flush, each megabyte compresses to the same bytes
	$d->deflate(' ' x (1 << 20), $block);
	$d->flush($block, Z_FULL_FLUSH);
	$block = '';
	$d->deflate(' ' x (1 << 20), $block);
	$d->flush($block, Z_FULL_FLUSH);
	return $head . ($block x $mb);
}
{
	my $bomb_key = "hostile/AWSLogs/400000000020/CloudTrail/us-east-1/2026/11/18/"
	  . "400000000020_CloudTrail_us-east-1_20261118T0300Z_ABCDEFGHIJKLMNOP.json.gz";
	put_raw('trail-bucket', $bomb_key, whitespace_bomb(4096));
	sql_one(q{CREATE FOREIGN TABLE hz (event_name text, recipient_account_id text)
		SERVER emu OPTIONS (bucket 'trail-bucket', prefix 'hostile', regions 'us-east-1',
		  account_ids '400000000020', max_object_size '1MB')});
	my $e = err('SELECT count(event_name) FROM hz');
	like($e, qr/could not read CloudTrail log file "s3:\/\/trail-bucket\/\Q$bomb_key\E": file inflates to more than max_object_size \(1048576 bytes\)/,
		'an object inflating past max_object_size is an error naming it');
	like($e, qr/HV004/, 'with an FDW SQLSTATE');
	sql_one(q{ALTER FOREIGN TABLE hz OPTIONS (ADD on_error 'skip')});
	my ($ret, $out, $stderr) = $node->psql('postgres', 'SELECT count(event_name) FROM hz');
	ok($ret == 0 && $out eq '0' && $stderr =~ /WARNING:  skipping CloudTrail log file .*max_object_size/,
		'on_error skip: skipped with a warning');
	sql_one(q{ALTER FOREIGN TABLE hz OPTIONS (DROP on_error, DROP max_object_size)});
	my $t0 = time;
	$e = err('SELECT count(event_name) FROM hz');
	like($e, qr/more than max_object_size \(1073741824 bytes\)/,
		sprintf('by default one object may inflate to 1 GB (%.1f s)', time - $t0));

	# 4 GB of white space with no limit: the timeout still stops it at once
	sql_one(q{ALTER FOREIGN TABLE hz OPTIONS (ADD max_object_size '1TB')});
	$t0 = time;
	$e = err(q{SET statement_timeout = '500ms'; SELECT count(event_name) FROM hz});
	my $took = time - $t0;
	like($e, qr/57014/, 'statement_timeout while inflating: SQLSTATE 57014');
	ok($took < 1.5, sprintf('within about a second of the timeout (%.2f s)', $took));

	like(err(q{ALTER FOREIGN TABLE hz OPTIONS (SET max_object_size '12 parsecs')}),
		qr/invalid value for option "max_object_size": "12 parsecs".*HINT:  Give a size from 1kB to 1TB/s,
		'a bad max_object_size is rejected with a hint');
	like(err(q{ALTER FOREIGN TABLE hz OPTIONS (SET max_object_size '2TB')}),
		qr/invalid value for option "max_object_size"/, 'and so is one over 1TB');
	sql_one(q{DROP FOREIGN TABLE hz});
}

# a body trickled at 2 bytes a second is a stalled transfer: retried
{
	my $rec = q({"eventVersion":"1.08","eventTime":"2026-11-18T03:00:00Z","eventName":"Slow","recipientAccountId":"400000000030","padding":") . ('p' x 4000) . q("});
	my $key = log_file('400000000030', qq({"Records":[$rec]}));
	sql_one(q{ALTER SERVER emu OPTIONS (ADD request_timeout '2')});
	reset_emulator();
	ctl('fault', { match => { op => 'GetObject', key => $key }, kind => 'trickle', rate => 2, seconds => 10 });
	my $t0 = time;
	my $plan = sql_one(q{EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
		SELECT event_name FROM h WHERE recipient_account_id = '400000000030'});
	my $took = time - $t0;
	like($plan, qr/Retries: [1-9]/, 'a trickled body counts as stalled and is retried');
	ok($took < 8, sprintf('after request_timeout, not when the trickle ends (%.1f s)', $took));
	is(sql_one(q{SELECT event_name FROM h WHERE recipient_account_id = '400000000030'}), 'Slow',
		'and the record reads');
	sql_one(q{ALTER SERVER emu OPTIONS (DROP request_timeout)});
}

done_testing();
