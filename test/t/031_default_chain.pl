# credential_source 'default': the database server's own identity, from
# each source of the default chain in turn (environment, web identity,
# container endpoint, EC2 instance metadata), all served by the emulator.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $emu = start_emulator(gen => [ '--days', '1', '--events-per-day', '20',
	'--regions', 'us-east-1', '--end', '2026-11-20T00:00:00Z', '--seed', '4', '--no-digests' ]);
my $node = PostgreSQL::Test::Cluster->new('chain');
$node->init;
$node->append_conf('postgresql.conf', "max_parallel_workers_per_gather = 0\nlog_statement = none\n");

my @files = grep { !/"insight": true/ } split /\n/, slurp_file("$emu->{data}/files.ndjson");
my $want = 0;
$want += $_ =~ /"records": (\d+)/ ? $1 : 0 for @files;
my $token_file = "$emu->{dir}/web-token";
open my $fh, '>', $token_file or die;
print $fh "ctfdw-web-identity-token\n";
close $fh;

my @chain_vars = qw(AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_WEB_IDENTITY_TOKEN_FILE
  AWS_ROLE_ARN AWS_ROLE_SESSION_NAME AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN
  AWS_EC2_METADATA_SERVICE_ENDPOINT AWS_EC2_METADATA_DISABLED AWS_PROFILE);
# no shared files, whatever the home directory of the cluster's user holds
$ENV{AWS_SHARED_CREDENTIALS_FILE} = "$emu->{dir}/no-credentials";
$ENV{AWS_CONFIG_FILE} = "$emu->{dir}/no-config";
my %sources = (
	environment => { AWS_ACCESS_KEY_ID => $KEYS{key2}[0], AWS_SECRET_ACCESS_KEY => $KEYS{key2}[1],
		AWS_EC2_METADATA_DISABLED => 'true' },
	'web identity' => { AWS_WEB_IDENTITY_TOKEN_FILE => $token_file,
		AWS_ROLE_ARN => 'arn:aws:iam::111111111111:role/web', AWS_EC2_METADATA_DISABLED => 'true' },
	'container endpoint' => { AWS_CONTAINER_CREDENTIALS_FULL_URI => "$emu->{url}/ecs/credentials",
		AWS_CONTAINER_AUTHORIZATION_TOKEN => 'ctfdw-ecs-auth-token', AWS_EC2_METADATA_DISABLED => 'true' },
	'instance metadata' => { AWS_EC2_METADATA_SERVICE_ENDPOINT => "$emu->{url}/" },
);
my %expect_op = ('web identity' => 'AssumeRoleWithWebIdentity', 'container endpoint' => '/ecs/credentials',
	'instance metadata' => '/latest/meta-data/iam/security-credentials/ctfdw-instance-role');

my $first = 1;
for my $name ('environment', 'web identity', 'container endpoint', 'instance metadata')
{
	{
		local %ENV = %ENV;
		delete @ENV{@chain_vars};
		%ENV = (%ENV, %{ $sources{$name} });
		$first ? $node->start : $node->restart;
	}
	if ($first)
	{
		$node->safe_psql('postgres', qq{
			CREATE EXTENSION cloudtrail_fdw;
			CREATE SERVER emu FOREIGN DATA WRAPPER cloudtrail_fdw
			  OPTIONS (s3_endpoint '$emu->{url}', sts_endpoint '$emu->{url}');
			CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (credential_source 'default');
			CREATE FOREIGN TABLE t (event_id uuid) SERVER emu OPTIONS (bucket 'trail-bucket');
		});
		$first = 0;
	}
	reset_emulator();
	is($node->safe_psql('postgres', 'SELECT count(*) FROM t'), $want, "$name: the trail reads");
	my @log = requests();
	my @s3 = grep { ($_->{service} || '') eq 's3' } @log;
	if ($name eq 'environment')
	{
		ok(@s3 && !(grep { $_->{akid} ne $KEYS{key2}[0] } @s3), 'environment: signed with the environment key');
	}
	else
	{
		ok((grep { ($_->{op} || '') eq $expect_op{$name} && $_->{status} == 200 } @log) == 1,
			"$name: credentials fetched once ($expect_op{$name})");
		ok(@s3 && !(grep { $_->{akid} !~ /^ASIA/ } @s3), "$name: signed with temporary credentials");
	}
	if ($name eq 'instance metadata')
	{
		ok((grep { ($_->{op} || '') eq '/latest/api/token' && $_->{method} eq 'PUT' } @log) == 1,
			'IMDSv2: a session token was asked for first (PUT)');
	}
}

# nothing found: a clear error saying what was tried
{
	local %ENV = %ENV;
	delete @ENV{@chain_vars};
	$ENV{AWS_EC2_METADATA_DISABLED} = 'true';
	$node->restart;
}
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM t');
like($err, qr/no AWS credentials found for the database server.*Tried: environment, shared files \(profile "default"\), web identity, container endpoint, EC2 instance metadata/s,
	'no source: a clear error listing the sources tried');

# only a superuser may hand out the server's identity
$node->safe_psql('postgres', q{CREATE ROLE regress_chain LOGIN; GRANT USAGE ON FOREIGN SERVER emu TO regress_chain;});
($ret, $out, $err) = $node->psql('postgres',
	q{SET ROLE regress_chain; CREATE USER MAPPING FOR regress_chain SERVER emu OPTIONS (credential_source 'default')});
like($err, qr/only superuser can set option "credential_source"/, 'a non-superuser cannot use the default chain');
($ret, $out, $err) = $node->psql('postgres',
	q{ALTER USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (ADD access_key_id 'a', ADD secret_access_key 'b')});
like($err, qr/"access_key_id" and "credential_source" cannot be used together/, 'keys and the default chain exclude each other');

done_testing();
