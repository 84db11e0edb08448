# Hostile input from options and from the network: header injection and
# request smuggling, oversized and hostile listings, redirect loops.  The
# endpoint is test/emulator/hostile.py, which logs every request exactly as
# it arrived, so that what did NOT arrive can be proved from its side.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use HTTP::Tiny;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $port = PostgreSQL::Test::Cluster::get_free_port();
my $url = "http://127.0.0.1:$port";
my $dir = PostgreSQL::Test::Utils::tempdir();
my $srv = IPC::Run::start([ $PYTHON, "$TOP/test/emulator/hostile.py", '--port', $port ],
	'>', "$dir/hostile.log", '2>&1');
my $http = HTTP::Tiny->new(timeout => 30);
for (1 .. 100)
{
	last if $http->get("$url/_hostile/log")->{success};
	usleep(100_000);
}

sub mode
{
	my ($m) = @_;
	$http->post("$url/_hostile/reset")->{success} or die 'reset';
	$http->post("$url/_hostile/mode", { content => encode_json($m) })->{success} or die 'mode';
}
sub hlog { @{ decode_json($http->get("$url/_hostile/log")->{content}) } }

# requests that carry a header the client never meant to send, or that the
# client never meant to send at all
sub injected
{
	my @log = @_;
	return grep {
		my $r = $_;
		$r->{path} =~ /smuggled/ || grep { $_->[0] =~ /injected/i || $_->[1] =~ /injected/i } @{ $r->{headers} }
	} @log;
}

my $node = PostgreSQL::Test::Cluster->new('hostile');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nmax_parallel_workers_per_gather = 0\n");
$node->start;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION cloudtrail_fdw;
	CREATE SERVER h FOREIGN DATA WRAPPER cloudtrail_fdw
	  OPTIONS (region 'us-east-1', s3_endpoint '$url', sts_endpoint '$url', max_retries '0');
	CREATE ROLE regress_hostile LOGIN;
	GRANT USAGE ON FOREIGN SERVER h TO regress_hostile;
	CREATE FOREIGN TABLE t (event_id uuid) SERVER h
	  OPTIONS (bucket 'hostile-bucket', account_ids '111111111111', regions 'us-east-1');
	GRANT SELECT ON t TO regress_hostile;
});

# ===================================================================
# 1. header injection and request smuggling
# ===================================================================

# an unprivileged role, through its own user mapping
my @evil = (
	[ 'access_key_id', q{E'AKIAHOSTILE\r\nX-Injected: 1'}, 'header injection through the key id' ],
	[ 'session_token', q{E'tok\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\nX-Injected: 2'},
		'a second request smuggled through the session token' ],
	[ 'session_token', q{E'tok\nX-Injected: 3'}, 'a bare LF' ],
	[ 'access_key_id', q{E'AKIA\x01HOSTILE'}, 'another control character' ],
);
for my $e (@evil)
{
	my ($opt, $val, $what) = @$e;
	mode({ mode => 'deny' });
	my $opts = $opt eq 'session_token' ?
	  "access_key_id 'AKIAHOSTILE', secret_access_key 'x', session_token $val" :
	  "access_key_id $val, secret_access_key 'x'";
	my ($rc, $out, $err) = $node->psql('postgres', qq{
		SET ROLE regress_hostile;
		CREATE USER MAPPING FOR CURRENT_USER SERVER h OPTIONS ($opts);});
	like($err, qr/invalid value for option "$opt"/, "$what: rejected at CREATE USER MAPPING");
	unlike($err, qr/HOSTILE|Injected|smuggled|\btok\b/, '... without showing the value');
	$node->psql('postgres', 'SET ROLE regress_hostile; SELECT count(*) FROM t');
	my @log = hlog();
	is(scalar(injected(@log)), 0, "... and no injected header or request reached the server");
	$node->psql('postgres', 'DROP USER MAPPING IF EXISTS FOR regress_hostile SERVER h');
}

# the same through ALTER, and in the other options that reach a request
$node->safe_psql('postgres', q{CREATE USER MAPPING FOR regress_hostile SERVER h
	OPTIONS (access_key_id 'AKIAHOSTILE', secret_access_key 'x')});
for my $c (
	[ 'USER MAPPING FOR regress_hostile SERVER h', 'session_token', 'ADD' ],
	[ 'USER MAPPING FOR regress_hostile SERVER h', 'external_id', 'ADD' ],
	[ 'USER MAPPING FOR regress_hostile SERVER h', 'role_session_name', 'ADD' ],
	[ 'SERVER h', 'region', 'SET' ],
	[ 'SERVER h', 's3_endpoint', 'SET' ],
	[ 'SERVER h', 'role_arn', 'ADD' ],
	[ 'FOREIGN TABLE t', 'bucket', 'SET' ],
	[ 'FOREIGN TABLE t', 'prefix', 'ADD' ],
	[ 'FOREIGN TABLE t', 'organization_id', 'ADD' ])
{
	my ($obj, $opt, $how) = @$c;
	my $v = $opt eq 'role_arn' ? q{E'arn:aws:iam::111111111111:role/r\r\nX-Injected: 4'} : q{E'x\r\nX-Injected: 4'};
	my ($rc, $out, $err) = $node->psql('postgres', "ALTER $obj OPTIONS ($how $opt $v)");
	like($err, qr/invalid value for option "$opt"/, "ALTER $obj: $opt with CR LF rejected");
}

# credentials from STS: a SessionToken whose XML decodes to CR LF
$node->safe_psql('postgres', q{
	CREATE USER MAPPING FOR CURRENT_USER SERVER h
	  OPTIONS (access_key_id 'AKIAHOSTILE', secret_access_key 'x',
	           role_arn 'arn:aws:iam::111111111111:role/reader');});
mode({ mode => 'deny', token => 'tok&#13;&#10;X-Injected: 5&#13;&#10;&#13;&#10;GET /smuggled HTTP/1.1' });
my ($rc, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM t');
like($err, qr/AWS credentials from AssumeRole of role "arn:aws:iam::111111111111:role\/reader" hold a control character/,
	'an STS SessionToken with CR LF is refused');
unlike($err, qr/\btok\b|Injected|smuggled/, '... without showing it');
my @log = hlog();
is(scalar(injected(@log)), 0, '... no injected header or request reached the server');
is(scalar(grep { $_->{method} eq 'GET' } @log), 0, '... nothing was sent with it');

# credentials from credential_process: its JSON says \r\n
my $proc = "$dir/creds.sh";
open my $fh, '>', $proc or die;
print $fh q{#!/bin/sh
printf '%s' '{"Version": 1, "AccessKeyId": "ASIAHOSTILE", "SecretAccessKey": "x", "SessionToken": "tok\r\nX-Injected: 6"}'
};
close $fh;
chmod 0755, $proc;
$node->safe_psql('postgres', qq{
	DROP USER MAPPING FOR CURRENT_USER SERVER h;
	CREATE USER MAPPING FOR CURRENT_USER SERVER h OPTIONS (credential_process '$proc');});
mode({ mode => 'deny' });
($rc, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM t');
like($err, qr/AWS credentials from credential_process hold a control character/,
	'credential_process output with CR LF is refused');
is(scalar(hlog()), 0, '... and nothing was sent');

# whatever the source, the HTTP layer sends no header with CR LF: an IMDSv2
# session token goes into the next request's header as it is
{
	local %ENV = %ENV;
	delete @ENV{qw(AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_WEB_IDENTITY_TOKEN_FILE
		AWS_ROLE_ARN AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
		AWS_EC2_METADATA_DISABLED AWS_PROFILE)};
	$ENV{AWS_SHARED_CREDENTIALS_FILE} = "$dir/none";
	$ENV{AWS_CONFIG_FILE} = "$dir/none";
	$ENV{AWS_EC2_METADATA_SERVICE_ENDPOINT} = "$url/";
	$node->restart;
}
$node->safe_psql('postgres', q{
	DROP USER MAPPING FOR CURRENT_USER SERVER h;
	CREATE USER MAPPING FOR CURRENT_USER SERVER h OPTIONS (credential_source 'default');});
mode({ mode => 'deny', imds_token => "tok\r\nX-Injected: 7" });
($rc, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM t');
like($err, qr/refused to send header "X-aws-ec2-metadata-token": its value holds a control character/,
	'the HTTP layer refuses a header with CR LF (an IMDS token)');
@log = hlog();
is(scalar(injected(@log)), 0, '... no injected header or request reached the server');
is(scalar(@log), 1, '... only the token request was sent');
$node->safe_psql('postgres', q{
	DROP USER MAPPING FOR CURRENT_USER SERVER h;
	CREATE USER MAPPING FOR CURRENT_USER SERVER h
	  OPTIONS (access_key_id 'AKIAHOSTILE', secret_access_key 'x');});

# ===================================================================
# 4. listings: too large, too many at once, keys that are not log files
# ===================================================================
sub gets { grep { $_->{method} eq 'GET' && $_->{path} !~ /list-type=2/ } @_ }
sub lists { grep { $_->{path} =~ /list-type=2/ } @_ }

# a 10 MB reply is an error, not a listing cut at some limit
mode({ mode => 'big', size => 10_000_000, stamp => '20200101T0000Z' });
($rc, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM t');
like($err, qr/could not list bucket "hostile-bucket" prefix "AWSLogs\/111111111111\/CloudTrail\/us-east-1\/".*\n.*the reply is larger than 4194304 bytes/,
	'a 10 MB listing reply is an error');
@log = hlog();
is(scalar(gets(@log)), 0, '... and nothing of it was fetched');

# many folders with big (but not too big) pages: memory does not grow with them
{
	my @regions = qw(us-east-1 us-east-2 us-west-1 us-west-2 eu-west-1 eu-west-2 eu-west-3
	  eu-central-1 ap-south-1 ap-northeast-1);
	$node->safe_psql('postgres', sprintf(q{CREATE FOREIGN TABLE many (event_id uuid, event_time timestamptz) SERVER h
		OPTIONS (bucket 'hostile-bucket', account_ids '111111111111,222222222222,333333333333,444444444444',
		regions '%s', max_concurrency '160')}, join(',', @regions)));
	mode({ mode => 'big', size => 3_900_000, stamp => '20200101T0000Z', hold => 0.5 });
	my $bg = $node->background_psql('postgres');
	my $pid = $bg->query_safe('SELECT pg_backend_pid()');
	$bg->query_safe('SELECT 1');
	my $before = (slurp_file("/proc/$pid/status") =~ /VmHWM:\s+(\d+)/)[0];
	is($bg->query_safe(q{SELECT count(*) FROM many WHERE event_time >= '2026-01-01'}), 0,
		'40 folders with 3.9 MB listing pages are listed');
	my $peak = (slurp_file("/proc/$pid/status") =~ /VmHWM:\s+(\d+)/)[0];
	$bg->quit;
	is(scalar(lists(hlog())), 41, '... one page each, after the root (for the account folders)');
	ok($peak - $before < 48 * 1024,
		'... and the backend peak grew by ' . ($peak - $before) . ' kB, not with the folders (max_concurrency 160)');
}

# listed keys that are not log files of the folder are never fetched
{
	my $pre = 'AWSLogs/111111111111/CloudTrail/us-east-1/';
	my @keys = (
		"${pre}2026/01/01/../../../../../../secret/111111111111_CloudTrail_us-east-1_20260101T0000Z_AAAAAAAAAAAAAAAA.json.gz",
		'other/111111111111_CloudTrail_us-east-1_20260101T0005Z_BBBBBBBBBBBBBBBB.json.gz',
		"${pre}2026/01/01/111111111111_CloudTrail_us-east-1_20260101T0010Z_CCCCCCCCCCCCCCCC.json.gz%00.evil",
		"${pre}2026/01/01/111111111111_CloudTrail_us-east-1_20260101T0015Z_DDDDDDDDDDDDDDDD.json.gz%0D%0AX-Injected:%208",
		"${pre}2026/01/01/./111111111111_CloudTrail_us-east-1_20260101T0020Z_EEEEEEEEEEEEEEEE.json.gz");
	mode({ mode => 'list', keys => \@keys });
	$node->safe_psql('postgres', q{ALTER FOREIGN TABLE t OPTIONS (ADD on_error 'skip')});
	($rc, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM t');
	is($out, '0', 'a listing of hostile keys reads nothing');
	my @warn = $err =~ /WARNING:  object ".*" in bucket "hostile-bucket" is not a CloudTrail log file/g;
	is(scalar(@warn), 5, '... each key is a warning (on_error skip)');
	@log = hlog();
	is(scalar(gets(@log)), 0, '... and none was fetched: not outside the prefix, not after ../, not cut at %00')
	  or diag(join("\n", map { $_->{request_line} } gets(@log)));
	$node->safe_psql('postgres', q{ALTER FOREIGN TABLE t OPTIONS (DROP on_error)});
	($rc, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM t');
	like($err, qr/ERROR:  object ".*" in bucket "hostile-bucket" is not a CloudTrail log file/,
		'... an error without on_error skip');
}

# ===================================================================
# 5. redirects between two regions are followed a few times, not for ever
# ===================================================================
mode({ mode => 'redirect', regions => [ 'us-east-1', 'eu-west-1' ] });
($rc, $out, $err) = $node->psql('postgres', "SET statement_timeout = '20s'; SELECT count(*) FROM t");
like($err, qr/bucket "hostile-bucket" keeps redirecting to another region/, 'a redirect loop is an error');
like($err, qr/S3 sent the requests to another region 4 times: us-east-1 -> eu-west-1 -> us-east-1 -> eu-west-1 -> us-east-1\./,
	'... naming the regions seen');
is(scalar(hlog()), 4, '... after 4 requests');

# a bucket that did move: requests signed before the scan learnt it are
# sent again for the new region, without counting as more redirects
mode({ mode => 'redirect', to => 'eu-west-1' });
$node->safe_psql('postgres', q{CREATE FOREIGN TABLE moved (event_id uuid) SERVER h
	OPTIONS (bucket 'hostile-bucket', organization_id 'o-hostile0001',
	account_ids '111111111111,222222222222', regions 'us-east-1,us-west-2,eu-west-1')});
($rc, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM moved');
is($out, '0', 'a bucket in another region, six folders listed at once: all listed there')
  or diag($err);
@log = hlog();
is(scalar(grep { $_->{path} =~ /list-type=2/ } @log), 10,
	'... four first requests for the old region, then six for the new');

$node->stop;
$srv->kill_kill;
done_testing();
