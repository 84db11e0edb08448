# Profiles of the database server's shared AWS files and credential_process
# (superuser-only sources): static keys, a role with source_profile and
# external_id, a helper command cached until its Expiration, every way a
# profile or helper can be wrong, a hung helper cancelled by
# statement_timeout, and [default] in the default chain.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $emu = start_emulator(gen => [ '--days', '1', '--events-per-day', '20',
	'--regions', 'us-east-1', '--end', '2026-11-20T00:00:00Z', '--seed', '5', '--no-digests' ]);
my $dir = $emu->{dir};
my ($k1, $s1) = @{ $KEYS{key1} };
my ($k2, $s2) = @{ $KEYS{key2} };
my ($kt, $st, $tt) = @{ $KEYS{temp} };

# a credential helper: logs its arguments, then behaves as its first one says
open my $fh, '>', "$dir/cred-helper" or die;
print $fh <<"SH";
#!/bin/sh
printf '%s|' "\$@" >> "$dir/helper.log"; echo >> "$dir/helper.log"
case "\$1" in
fail) echo "helper: the session for prod expired; log in again" >&2; exit 3;;
garbage) echo "this is not JSON"; exit 0;;
slow) echo \$\$ > "$dir/slow.pid"; exec sleep 60;;
short) exp=\$(date -u -d '+2 minutes' +%Y-%m-%dT%H:%M:%SZ);;
*) exp=\$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ);;
esac
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "%s", "Expiration": "%s"}\\n' \\
  '$kt' '$st' '$tt' "\$exp"
SH
close $fh;
chmod 0755, "$dir/cred-helper";

open $fh, '>', "$dir/credentials" or die;
print $fh "[static]\naws_access_key_id = $k1\naws_secret_access_key = $s1\n\n"
  . "[default]\naws_access_key_id=$k2\naws_secret_access_key=$s2\n";
close $fh;
open $fh, '>', "$dir/config" or die;
print $fh <<"INI";
[default]
region = us-east-1
[profile proc]
credential_process = $dir/cred-helper 'long lived'
[profile short]
credential_process = $dir/cred-helper short
[profile cross]
role_arn = arn:aws:iam::222222222222:role/reader-external
external_id = ctfdw-external-id
role_session_name = from-profile
source_profile = static
[profile loop-a]
role_arn = arn:aws:iam::111111111111:role/a
source_profile = loop-b
[profile loop-b]
role_arn = arn:aws:iam::111111111111:role/b
source_profile = loop-a
[profile empty]
region = eu-west-1
[profile failing]
credential_process = $dir/cred-helper fail
[profile garbage]
credential_process = $dir/cred-helper garbage
[profile missing-helper]
credential_process = $dir/no-such-helper --json
[profile slow]
credential_process = $dir/cred-helper slow
INI
close $fh;

my $node = PostgreSQL::Test::Cluster->new('profiles');
$node->init;
$node->append_conf('postgresql.conf',
	"max_parallel_workers_per_gather = 0\nlog_statement = none\nlog_min_messages = debug5\n");
{
	local %ENV = %ENV;
	delete @ENV{ grep { /^AWS_/ } keys %ENV };
	$ENV{AWS_SHARED_CREDENTIALS_FILE} = "$dir/credentials";
	$ENV{AWS_CONFIG_FILE} = "$dir/config";
	$ENV{AWS_EC2_METADATA_DISABLED} = 'true';
	$node->start;
}
$node->safe_psql('postgres', qq{
	CREATE EXTENSION cloudtrail_fdw;
	CREATE SERVER emu FOREIGN DATA WRAPPER cloudtrail_fdw
	  OPTIONS (s3_endpoint '$emu->{url}', sts_endpoint '$emu->{url}');
	CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (profile 'static');
	CREATE FOREIGN TABLE t (event_id uuid) SERVER emu OPTIONS (bucket 'trail-bucket');
});
my @files = grep { !/"insight": true/ } split /\n/, slurp_file("$emu->{data}/files.ndjson");
my $want = 0;
$want += $_ =~ /"records": (\d+)/ ? $1 : 0 for @files;

sub s3_keys { my %k = map { $_->{akid} => 1 } grep { ($_->{service} || '') eq 's3' } requests(); [ sort keys %k ] }
sub helper_runs { my $l = -e "$dir/helper.log" ? slurp_file("$dir/helper.log") : ''; unlink "$dir/helper.log"; [ split /\n/, $l ] }
sub use_profile { $node->safe_psql('postgres', "ALTER USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (SET profile '$_[0]')") }
sub fails { my ($ret, $out, $err) = $node->psql('postgres', $_[0]); return $err }

# ---- static keys of the credentials file
reset_emulator();
is($node->safe_psql('postgres', 'SELECT count(*) FROM t'), $want, 'profile with keys: the trail reads');
is_deeply(s3_keys(), [$k1], 'profile with keys: requests signed with its key');

# ---- credential_process, cached until its Expiration
use_profile('proc');
reset_emulator();
helper_runs();
my $bg = $node->background_psql('postgres');
is($bg->query_safe('SELECT count(*) FROM t'), $want, 'credential_process: the trail reads');
is($bg->query_safe('SELECT count(*) FROM t'), $want, 'credential_process: and reads again');
is_deeply(helper_runs(), ['long lived|'], 'the helper ran once for two queries, its quoted argument one word');
is_deeply(s3_keys(), [$kt], 'requests signed with what the helper printed');
$bg->quit;

use_profile('short');
$bg = $node->background_psql('postgres');
$bg->query_safe('SELECT count(*) FROM t') for 1 .. 2;
is(scalar @{ helper_runs() }, 2, 'credentials that expire within 5 minutes are fetched again for each query');
$bg->quit;

# ---- role_arn + source_profile + external_id from the profile
use_profile('cross');
reset_emulator();
$bg = $node->background_psql('postgres');
$bg->query_safe('SELECT count(*) FROM t') for 1 .. 2;
$bg->quit;
my @assume = grep { ($_->{op} || '') eq 'AssumeRole' } requests();
is(scalar @assume, 1, 'profile with role_arn: one AssumeRole for two queries');
is($assume[0]{akid}, $k1, 'assumed with the keys of its source_profile');
is($assume[0]{external_id}, 'ctfdw-external-id', 'with the external_id of the profile');
ok(!grep({ !/^ASIA/ } @{ s3_keys() }), 'and the trail read with the temporary credentials');

# ---- the option itself: credential_process on the user mapping
$node->safe_psql('postgres', "ALTER USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (DROP profile, ADD credential_process '$dir/cred-helper direct')");
helper_runs();
is($node->safe_psql('postgres', 'SELECT count(*) FROM t'), $want, 'credential_process option: the trail reads');
is_deeply(helper_runs(), ['direct|'], 'credential_process option: the helper ran');
$node->safe_psql('postgres', "ALTER USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (DROP credential_process, ADD profile 'static')");

# ---- what can be wrong, and what is said about it
use_profile('nope');
like(fails('SELECT count(*) FROM t'), qr/AWS profile "nope" not found.*DETAIL:  Looked in "\Q$dir\E\/credentials" and "\Q$dir\E\/config"/s,
	'a missing profile: named, with the files looked in');
use_profile('empty');
like(fails('SELECT count(*) FROM t'), qr/AWS profile "empty" holds no credentials/, 'a profile without credentials');
use_profile('loop-a');
like(fails('SELECT count(*) FROM t'), qr/source_profile goes more than 5 profiles deep.*HINT:  Look for a cycle/s,
	'a source_profile cycle is stopped');
use_profile('failing');
like(fails('SELECT count(*) FROM t'),
	qr/credential_process "\Q$dir\E\/cred-helper" failed with exit code 3\nDETAIL:  It printed: helper: the session for prod expired; log in again/,
	'a failing helper: its exit code and what it printed on stderr');
use_profile('garbage');
like(fails('SELECT count(*) FROM t'), qr/printed no usable credentials: /, 'a helper printing no JSON');
use_profile('missing-helper');
like(fails('SELECT count(*) FROM t'), qr/could not run credential_process "\Q$dir\E\/no-such-helper": No such file or directory/,
	'a helper that does not exist');

# ---- a hung helper is stopped by statement_timeout, and killed
use_profile('slow');
unlink "$dir/slow.pid";
my $t0 = time;
my ($ret, $out, $err) = $node->psql('postgres', 'SET statement_timeout = 1000; SELECT count(*) FROM t',
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
my $took = time - $t0;
like($err, qr/57014.*canceling statement due to statement timeout/s, 'statement_timeout cancels a hung helper (57014)');
ok($took < 5, sprintf('within seconds (%.2f s)', $took));
my $pid = -e "$dir/slow.pid" ? slurp_file("$dir/slow.pid") : 0;
chomp $pid;
ok($pid && !kill(0, $pid), 'and the helper process is gone');

# ---- the default chain reads [default] of the shared files
$node->safe_psql('postgres', q{ALTER USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (DROP profile, ADD credential_source 'default')});
reset_emulator();
is($node->safe_psql('postgres', 'SELECT count(*) FROM t'), $want, 'default chain: reads with the [default] profile');
is_deeply(s3_keys(), [$k2], 'default chain: signed with the [default] key');

# ---- no secret in the server log at debug5
my $log = slurp_file($node->logfile);
my @leaks = grep { index($log, $_) >= 0 } ($s1, $s2, $st, $tt);
is(scalar @leaks, 0, 'no secret key or session token in the server log (debug5)');

done_testing();
