# CtTest.pm: helpers for the TAP tests of cloudtrail_fdw.
#
# start_emulator() generates a trail and starts test/emulator/ctemu.py on a
# free port; ctl()/requests() talk to its control API; node() makes a
# scratch cluster with the extension and a server pointing at it.
package CtTest;

use strict;
use warnings;
use File::Spec;
use HTTP::Tiny;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Time::HiRes qw(usleep);
use Exporter 'import';

our @EXPORT = qw(start_emulator ctl put_raw requests reset_emulator node_with_server order_tables api_username
  $TOP $SHARED $PYTHON %KEYS);

our $TOP = $ENV{CT_TOP} || File::Spec->rel2abs("$ENV{TESTDIR}/../..");
our $SHARED = $ENV{CT_SHARED} || "$TOP/../shared";
our $PYTHON = '/usr/bin/python3';
our %KEYS = (
	key1 => ['AKIACTFDWEXAMPLE1111', 'ctfdwSecret1111/EXAMPLEKEY+aaaaaaaaaaaaaaa'],
	key2 => ['AKIACTFDWEXAMPLE2222', 'ctfdwSecret2222/EXAMPLEKEY+bbbbbbbbbbbbbbb'],
	temp => ['ASIACTFDWEXAMPLE3333', 'ctfdwSecret3333/EXAMPLEKEY+ccccccccccccccc',
		'ctfdwSessionToken3333//EXAMPLE+TOKEN='],
	expired => ['ASIACTFDWEXPIRED4444', 'ctfdwSecret4444/EXAMPLEKEY+ddddddddddddddd',
		'ctfdwSessionToken4444//EXPIRED+TOKEN='],
);

my $http = HTTP::Tiny->new(timeout => 30);
my $emu;

# start_emulator(gen => [generator args...], emu => [emulator args...])
sub start_emulator
{
	my %a = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my $data = "$dir/emu";
	my ($out, $err);
	IPC::Run::run([ $PYTHON, "$TOP/test/emulator/gentrail.py", '--data', $data,
		'--records', "$SHARED/data/real-cloudtrail/records.ndjson", @{ $a{gen} || [] } ],
		'>', \$out, '2>', \$err) or die "gentrail failed: $err";
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my $h = IPC::Run::start([ $PYTHON, "$TOP/test/emulator/ctemu.py", '--data', $data,
		'--port', $port, @{ $a{emu} || [] } ], '>', "$dir/emu.log", '2>&1');
	for (1 .. 100)
	{
		last if $http->get("http://127.0.0.1:$port/_ctl/keys")->{success};
		usleep(100_000);
	}
	$emu = { port => $port, data => $data, dir => $dir, handle => $h,
		trail => decode_json($out), url => "http://127.0.0.1:$port" };
	return $emu;
}

sub ctl
{
	my ($what, $body) = @_;
	my $r = $http->post("$emu->{url}/_ctl/$what",
		{ content => encode_json($body || {}), headers => { 'content-type' => 'application/json' } });
	die "ctl $what: $r->{status} $r->{content}" unless $r->{success};
	return decode_json($r->{content});
}

# put_raw(bucket, key, bytes): an object the emulator serves from now on
sub put_raw
{
	my ($bucket, $key, $data) = @_;
	my $r = $http->put("$emu->{url}/_ctl/put?bucket=$bucket&key=$key", { content => $data });
	die "put $key: $r->{status}" unless $r->{success};
}

# The emulator's request log, optionally filtered by a sub.
sub requests
{
	my ($filter) = @_;
	my $r = $http->get("$emu->{url}/_ctl/log");
	die "log: $r->{status}" unless $r->{success};
	my @log = @{ decode_json($r->{content}) };
	return $filter ? grep { $filter->($_) } @log : @log;
}

sub reset_emulator { ctl('reset') }

# LookupEvents' Username of a record: the user name, or the session of an
# assumed role, ... (the rule the README documents for the username column)
sub api_username
{
	my $ui = $_[0]{userIdentity} || {};
	return $ui->{userName} if $ui->{userName};
	my $t = $ui->{type} || '';
	return (split m!/!, $ui->{arn})[-1] if $t =~ /^(AssumedRole|FederatedUser)$/ && $ui->{arn};
	return 'root' if $t eq 'Root';
	return $ui->{invokedBy};
}

# A started cluster with the extension, server "emu" and a user mapping.
sub node_with_server
{
	my ($name, %opt) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', "timezone = 'UTC'\n" . ($opt{conf} || ''));
	$node->start;
	my ($akid, $secret) = @{ $KEYS{key1} };
	my $so = $opt{server_options} || '';
	$node->safe_psql('postgres', qq{
		CREATE EXTENSION cloudtrail_fdw;
		CREATE SERVER emu FOREIGN DATA WRAPPER cloudtrail_fdw
		  OPTIONS (region 'us-east-1', s3_endpoint '$emu->{url}' $so);
		CREATE USER MAPPING FOR CURRENT_USER SERVER emu
		  OPTIONS (access_key_id '$akid', secret_access_key '$secret');
	});
	return $node;
}

# The tables of the ordered-scan tests: trail_events (S3, imported),
# dir_events (the same files as a directory) and heap, a copy of their rows;
# max_delivery_delay 7 hours covers the generator's latest deliveries.
sub order_tables
{
	my ($node) = @_;
	my $dir = "$emu->{data}/s3/trail-bucket";
	$node->safe_psql('postgres', qq{
		IMPORT FOREIGN SCHEMA cloudtrail FROM SERVER emu INTO public
		  OPTIONS (bucket 'trail-bucket', max_delivery_delay '7 hours');
		CREATE FOREIGN TABLE dir_events (event_time timestamptz, event_id text,
		  event_name text, recipient_account_id text, aws_region text)
		  SERVER emu OPTIONS (directory '$dir', max_delivery_delay '7 hours');
		CREATE TABLE heap AS SELECT event_time, event_id, event_name, recipient_account_id, aws_region
		  FROM trail_events;
		ANALYZE heap;
	});
}

END
{
	local $?;    # keep the test's exit status
	if ($emu && $emu->{handle})
	{
		$emu->{handle}->kill_kill;
	}
}

1;
