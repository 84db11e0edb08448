# Directory tables read only below their directory: pushed-down values that
# are no account or region, prefixes with "..", and symbolic links that lead
# out are refused before anything outside is opened, and no message names
# what lies outside.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use File::Path qw(make_path);
use PostgreSQL::Test::Utils;
use Test::More;

my $emu = start_emulator(gen => [ '--days', '1', '--events-per-day', '20',
	'--regions', 'us-east-1,eu-west-1', '--end', '2026-11-20T00:00:00Z', '--seed', '5',
	'--no-digests' ]);
my $node = node_with_server('paths');
my $base = PostgreSQL::Test::Utils::tempdir();
my $dir = "$base/copy";
my $outside = "$base/outside";

# the copy: the emulator's bucket, with one date folder moved elsewhere in the
# directory and linked back (a link that stays inside is followed)
system('cp', '-a', "$emu->{data}/s3/trail-bucket", $dir) == 0 or die "cp: $?";
my ($day) = glob("$dir/AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/*");
make_path("$dir/store");
rename($day, "$dir/store/day") or die "rename: $!";
symlink("$dir/store/day", $day) or die "symlink: $!";

# outside: a folder that looks like a trail, with a secret-looking name
make_path("$outside/AWSLogs/333333333333/CloudTrail/us-east-1/2026/11/19");
system('cp', '-a', "$emu->{data}/s3/trail-bucket/AWSLogs/222222222222/CloudTrail/us-east-1/.",
	"$outside/private-area") == 0 or die "cp: $?";

$node->safe_psql('postgres', qq{
	CREATE FOREIGN TABLE d (event_id text, recipient_account_id text, aws_region text)
	  SERVER emu OPTIONS (directory '$dir');
	CREATE FOREIGN TABLE s (event_id text, recipient_account_id text, aws_region text)
	  SERVER emu OPTIONS (bucket 'trail-bucket');
	CREATE ROLE analyst LOGIN;
	GRANT SELECT ON d TO analyst;
	GRANT USAGE ON FOREIGN SERVER emu TO analyst;
});

sub as_analyst
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', $sql, extra_params => [ '-U', 'analyst' ]);
	return ($ret, $out, $err);
}

is($node->safe_psql('postgres', 'SELECT count(*) FROM d'),
	$node->safe_psql('postgres', 'SELECT count(*) FROM s'),
	'a symbolic link that stays inside the directory is followed');

# pushed-down values that try to climb out: no rows, no error, no file name
for my $where (
	qq{aws_region = 'us-east-1/../../../../../../../..' || '$outside'},
	q{aws_region = 'us-east-1/../../../../../../etc'},
	q{recipient_account_id = '../../../../../../etc'},
	q{recipient_account_id IN ('111111111111/../../../..', '../outside')},
	q{aws_region = ANY (ARRAY['..', '.', '/etc', 'us-east-1/../eu-west-1'])})
{
	my ($ret, $out, $err) = as_analyst("SELECT count(*) FROM d WHERE $where");
	is("$ret|$out|$err", '0|0|', "an unprivileged role gets no rows for $where");
}

# a link that leads out is refused, and the error names only the link
symlink("$outside/AWSLogs/333333333333", "$dir/AWSLogs/333333333333") or die "symlink: $!";
my ($ret, $out, $err) = as_analyst('SELECT count(*) FROM d');
like($err, qr/path "AWSLogs\/333333333333" leads outside directory/,
	'a symbolic link leading out of the directory is an error');
unlike($err, qr/outside\/|private-area/, 'the error does not say where the link leads');
unlink("$dir/AWSLogs/333333333333");
symlink("$outside/private-area", "$dir/AWSLogs/111111111111/CloudTrail/eu-west-1")
  if rename("$dir/AWSLogs/111111111111/CloudTrail/eu-west-1", "$base/moved-away");
($ret, $out, $err) = as_analyst(q{SELECT count(*) FROM d WHERE recipient_account_id = '111111111111'
	AND aws_region = 'eu-west-1'});
like($err, qr/leads outside directory/, 'a region folder linked out is refused too');
unlike($err, qr/private-area|outside\//, 'and its target is not named');

# a prefix option with ".." is refused by name, whether or not the target exists
for my $prefix ('../outside', '../does-not-exist', 'x/../../outside')
{
	$node->safe_psql('postgres', "ALTER FOREIGN TABLE d OPTIONS (ADD prefix '$prefix')");
	($ret, $out, $err) = as_analyst('SELECT count(*) FROM d');
	like($err, qr/leads outside directory/, "prefix '$prefix' is refused");
	$node->safe_psql('postgres', 'ALTER FOREIGN TABLE d OPTIONS (DROP prefix)');
}

done_testing();
