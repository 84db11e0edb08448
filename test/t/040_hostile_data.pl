# Hostile log files served by the emulator: records of any width and with
# repeated members, invalid text, and objects that inflate without end.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use Compress::Zlib;
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

done_testing();
