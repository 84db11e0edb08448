# cloudtrail_validate() against aws-cli: on a generated organization trail
# (two accounts, two regions), intact and after each tampering of
# test/emulator/tamper.py, the verdicts of cloudtrail_validate and of
# Debian's `aws cloudtrail validate-logs` (test/emulator/awsvalidate.py)
# agree on every file aws-cli reports; what aws-cli does not report
# (log files no digest lists, trailing data, backfill digests) is checked
# on its own.  Then logging stopped, backfill and a key rotation in one
# trail; a directory table; privileges and bad arguments.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use File::Path ();
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes ();

my @GEN = ('--days', '1', '--events-per-day', '48', '--end', '2026-11-20T00:00:00Z',
	'--regions', 'us-east-1,eu-west-1', '--organization-id', 'o-ctfdwtest1',
	'--prefix', 'org/trails', '--seed', '11');
my ($START, $END) = ('2026-11-19T00:00:00Z', '2026-11-20T00:00:00Z');

my $emu = start_emulator(gen => \@GEN);
my $trail = $emu->{trail};
my $bucket = $trail->{bucket};
my $node = node_with_server('validate', server_options => ", endpoint '$emu->{url}'");
$node->safe_psql('postgres', qq{
	CREATE FOREIGN TABLE org (event_time timestamptz) SERVER emu
	  OPTIONS (bucket '$bucket', prefix 'org/trails', organization_id 'o-ctfdwtest1');
	CREATE FOREIGN TABLE org_found (event_time timestamptz) SERVER emu
	  OPTIONS (bucket '$bucket', prefix 'org/trails');
});

# aws-cli's status for each of ours (statuses aws-cli never gives are absent)
my %AWS = (valid => 'valid', trailing_data => 'valid', previous_mismatch => 'valid',
	hash_mismatch => 'hash_mismatch', not_found => 'not_found', invalid_format => 'invalid_format',
	signature_failed => 'signature_failed', public_key_not_found => 'public_key_not_found',
	moved => 'moved', malformed_signature => 'bad_public_key', bad_public_key => 'bad_public_key');

# Our rows: url -> row, and the gaps
sub ours
{
	my ($table, $acct, $region) = @_;
	my $narrow = $acct ? ", ARRAY['$acct'], ARRAY['$region']" : '';
	my $out = $node->safe_psql('postgres', qq{
		SELECT json_agg(v) FROM cloudtrail_validate('$table', '$START', '$END' $narrow) v});
	my (%files, @gaps);
	for my $r (@{ decode_json($out eq '' ? '[]' : $out) || [] })
	{
		if ($r->{kind} eq 'gap') { push @gaps, $r; next }
		$files{ $r->{url} } = $r;
	}
	return { files => \%files, gaps => \@gaps };
}

sub theirs
{
	my ($data, $acct, $region) = @_;
	my ($out, $err);
	IPC::Run::run([ $PYTHON, "$TOP/test/emulator/awsvalidate.py", '--endpoint', $emu->{url},
		'--data', $data, '--start', $START, '--end', $END,
		$acct ? ('--account', $acct, '--region', $region) : () ], '>', \$out, '2>', \$err)
	  or die "awsvalidate: $err";
	return decode_json($out);
}

# Files where the verdicts differ, as text; and ours that aws-cli does not see.
# The verdicts are those of Debian 12's aws-cli (2.9); another aws-cli (a
# later Debian's, in test/run --pg N) words some of them its own way, which
# awsvalidate.py reads as "other": those files are not compared.
my $cli_version = `$PYTHON -m awscli --version 2>&1`;
my $reference_cli = $cli_version =~ m{^aws-cli/2\.9\.};
diag("aws-cli is not the reference (2.9): its verdicts worded otherwise are not compared ($cli_version)")
  unless $reference_cli;

sub disagree
{
	my ($o, $t) = @_;
	my @bad;
	for my $url (sort keys %{ $t->{files} })
	{
		my $mine = $o->{files}{$url} ? $o->{files}{$url}{status} : 'missing';
		next if !$reference_cli && $t->{files}{$url}{status} eq 'other';
		push @bad, "$url: ours $mine, aws-cli $t->{files}{$url}{status}"
		  if ($AWS{$mine} || $mine) ne $t->{files}{$url}{status};
	}
	return @bad;
}

sub extra
{
	my ($o, $t) = @_;
	return map { "$_ $o->{files}{$_}{kind} $o->{files}{$_}{status}" }
	  grep { !$t->{files}{$_} } sort keys %{ $o->{files} };
}

sub url { "s3://$bucket/$_[0]" }

my @digests = map { decode_json($_) } split /\n/, slurp_file("$emu->{data}/digests.ndjson");

# ---- intact: every account and region, the organization's folders discovered too
my $t = theirs($emu->{data});
my $o = ours('org');
is(join("\n", disagree($o, $t)), '', 'intact: the verdicts agree on every file aws-cli reports');
my @valid = grep { $_->{status} eq 'valid' } values %{ $o->{files} };
ok(@valid == scalar(keys %{ $t->{files} }) && @valid > 100,
	scalar(@valid) . ' files valid, as many as aws-cli reports');
is(join("\n", extra($o, $t)), '', 'intact: nothing beyond what aws-cli reports');
is_deeply([ sort keys %{ ours('org_found')->{files} } ], [ sort keys %{ $o->{files} } ],
	'without organization_id the same files are found by listing');
my $summary = $node->safe_psql('postgres', qq{
	SELECT string_agg(kind || ' ' || status || ' ' || files, ', ' ORDER BY kind, status),
	       min(covered_start) <= '$START' AND max(covered_end) >= '$END', min(requests) > 0,
	       min(bytes) > 0
	FROM cloudtrail_validate_summary('org', '$START', '$END')});
my $ndig = grep { $_->{kind} eq 'digest' } values %{ $o->{files} };
my $nlog = grep { $_->{kind} eq 'log' } values %{ $o->{files} };
is($summary, "digest valid $ndig, log valid $nlog|t|t|t",
	'the summary counts the same rows and covers the window');

# ---- each tampering, on one account and region
my ($acct, $region) = ($trail->{accounts}[1], $trail->{regions}[1]);
my $pristine = "$emu->{dir}/pristine";
system("cp", "-a", $emu->{data}, $pristine) == 0 or die "copy failed";

sub restore
{
	for my $d ('s3', 'meta')
	{
		File::Path::rmtree("$emu->{data}/$d");
		system("cp", "-a", "$pristine/$d", "$emu->{data}/$d") == 0 or die "copy failed";
	}
	ctl('reload');
}

sub tamper
{
	my ($case, @args) = @_;
	my ($out, $err);
	IPC::Run::run([ $PYTHON, "$TOP/test/emulator/tamper.py", $case, '--data', $emu->{data},
		'--emu', $emu->{url}, '--account', $acct, '--region', $region, @args ], '>', \$out, '2>', \$err)
	  or die "tamper: $err";
	return decode_json($out);
}

my @cases = (
	# case, args, our status of the file, its detail (a pattern)
	[ 'alter-log', [], 'hash_mismatch', qr/SHA-256 [0-9a-f]{64}, the digest says/ ],
	[ 'delete-log', [], 'not_found', qr/^$/ ],
	[ 'truncate-log', [], 'hash_mismatch', qr/gzip data ends early/ ],
	[ 'append-log', [], 'trailing_data', qr/bytes follow the gzip stream/ ],
	[ 'add-log', [], 'not_in_digest', qr/no digest/ ],
	[ 'delete-digest', [], 'not_found', qr/^$/ ],
	[ 'alter-digest', [], 'signature_failed', qr/signature/ ],
	[ 'foreign-key', [], 'public_key_not_found', qr/fingerprint [0-9a-f]{32}/ ],
	[ 'copy-digest', [], 'moved', qr/delivered to s3:/ ],
	[ 'not-json', [], 'invalid_format', qr/./ ],
	[ 'missing-keys', [], 'invalid_format', qr/digestStartTime/ ],
	[ 'missing-keys', [ '--drop', 'previousDigestSignature' ], 'invalid_format', qr/previousDigestSignature/ ],
	[ 'bad-signature', [], 'malformed_signature', qr/./ ],
	[ 'bad-signature', ['--missing'], 'signature_failed', qr/no signature metadata/ ],
);
for my $c (@cases)
{
	my ($case, $args, $want, $detail) = @$c;
	my $label = join(' ', $case, @$args);
	restore();
	my $x = tamper($case, @$args);
	my $o = ours('org', $acct, $region);
	my $t = theirs($emu->{data}, $acct, $region);
	my $row = $o->{files}{ $x->{url} } || {};
	is(join("\n", disagree($o, $t)), '', "$label: the verdicts agree on every file aws-cli reports");
	ok(($row->{status} || '') eq $want && ($row->{detail} // '') =~ $detail,
		"$label: the $x->{kind} file is $want")
	  or diag explain $row;
	# a digest's own log files, when the digest is gone, are in no digest
	my %lost = map { url($_) => 1 } map { @{ $_->{logs} } }
	  grep { url($_->{key}) eq $x->{url} } @digests;
	my @others = grep { !/^\Q$x->{url}\E / && !/ unverified$/ && !($lost{ (split / /)[0] } && / not_in_digest$/) }
	  extra($o, $t);
	is(join("\n", @others), '', "$label: nothing else beyond aws-cli's verdicts");
	my @bad = grep { $_->{status} ne 'valid' && $_->{url} ne $x->{url}
		  && $_->{status} ne 'unverified' && !($lost{ $_->{url} } && $_->{status} eq 'not_in_digest') }
	  values %{ $o->{files} };
	is(join(', ', map { "$_->{url} $_->{status}" } @bad), '', "$label: every other file valid");
}

# ---- a digest re-signed with the real key after a change: its signature
# holds, but the newer digest's previousDigestHashValue does not
restore();
my ($out, $err);
IPC::Run::run([ $PYTHON, '-c', q{
import gzip, json, sys
sys.path.insert(0, sys.argv[1])
import tamper
t = tamper.Trail(sys.argv[2])
d = t.pick(sys.argv[3], sys.argv[4], "2026-11-19T12:00:00Z")
digest = json.loads(gzip.decompress(t.read(d["key"])))
digest["oldestEventTime"] = digest["digestStartTime"]
tamper.sign_digest(t, d["key"], digest, 0)
print(t.url(d["key"]))
}, "$TOP/test/emulator", $emu->{data}, $acct, $region ], '>', \$out, '2>', \$err) or die "resign: $err";
chomp $out;
ctl('reload');
$o = ours('org', $acct, $region);
$t = theirs($emu->{data}, $acct, $region);
is(join("\n", disagree($o, $t)), '', 're-signed digest: the verdicts agree (aws-cli: valid)');
is(($o->{files}{$out} || {})->{status}, 'previous_mismatch',
	're-signed digest: previous_mismatch, the newer digest names another hash');
restore();

# ---- retries, an error that stays, cancellation
my ($victim) = grep { $_->{account} eq $acct && $_->{region} eq $region && @{ $_->{logs} } } @digests;
my $vlog = $victim->{logs}[0];
ctl('fault', { match => { op => 'GetObject', key => $vlog }, kind => 'http500', count => 2 });
my $sum = $node->safe_psql('postgres', qq{
	SELECT string_agg(kind || ' ' || status, ', ' ORDER BY kind, status), min(retries)
	FROM cloudtrail_validate_summary('org', '$START', '$END', ARRAY['$acct'], ARRAY['$region'])});
like($sum, qr/^digest valid, log valid\|([2-9]|\d\d+)$/, 'two HTTP 500s on a log file: retried, every file valid');
reset_emulator();
ctl('fault', { match => { op => 'GetObject', key => $vlog }, kind => 'error', status => 403,
	code => 'AccessDenied', message => 'Access Denied', count => 100 });
$o = ours('org', $acct, $region);
my $vrow = $o->{files}{ url($vlog) } || {};
ok(($vrow->{status} || '') eq 'error' && $vrow->{detail} =~ /could not read object .*AccessDenied/,
	'a log file S3 refuses: status error with the AWS error, the call goes on') or diag explain $vrow;
is(scalar(grep { $_->{status} ne 'valid' } values %{ $o->{files} }), 1, 'and every other file is valid');
reset_emulator();
ctl('fault', { match => { op => 'GetObject' }, kind => 'stall', seconds => 20, count => 1000 });
my ($in, $cout, $cerr) = ('', '', '');
my $q = "SELECT count(*) FROM cloudtrail_validate('org', '$START', '$END')";
my $h = IPC::Run::start([ 'psql', '-X', '-d', $node->connstr('postgres'), '-c', $q ],
	'<', \$in, '>', \$cout, '2>', \$cerr);
my $pid;
for (1 .. 50)
{
	$pid = $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE query = \$\$$q\$\$");
	last if $pid;
	Time::HiRes::usleep(100_000);
}
Time::HiRes::usleep(500_000);
my $t0 = Time::HiRes::time();
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
$h->finish;
my $took = Time::HiRes::time() - $t0;
like($cerr, qr/canceling statement due to user request/, 'pg_cancel_backend stops a validation waiting on S3');
ok($took < 2.5, sprintf('within about a second (%.2f s)', $took));
reset_emulator();

# ---- logging stopped for two hours, backfill digests, a key rotation
$emu->{handle}->kill_kill;
$emu = start_emulator(gen => [ @GEN, '--stop-logging', '9:2', '--backfill', '3', '--rotate-key-at', '12' ]);
$node->safe_psql('postgres', qq{
	ALTER SERVER emu OPTIONS (SET s3_endpoint '$emu->{url}', SET endpoint '$emu->{url}')});
@digests = map { decode_json($_) } split /\n/, slurp_file("$emu->{data}/digests.ndjson");
$o = ours('org', $acct, $region);
$t = theirs($emu->{data}, $acct, $region);
is(join("\n", disagree($o, $t)), '', 'stopped, backfill, rotation: the verdicts agree');
is(join(', ', map { "$_->{url} $_->{status}" } grep { $_->{status} ne 'valid' } values %{ $o->{files} }),
	'', 'stopped, backfill, rotation: every file valid');
my @tgaps = @{ $t->{gaps} };
is_deeply([ map { [ $_->{window_start}, $_->{window_end} ] } @{ $o->{gaps} } ],
	[ map { [ iso_pg($_->[2]), iso_pg($_->[3]) ] } @tgaps ],
	'one gap, where aws-cli reports it') or diag explain $o->{gaps}, \@tgaps;
ok(@tgaps == 1, 'aws-cli reports one gap');
my @back = grep { $_->{backfill} && $_->{account} eq $acct && $_->{region} eq $region } @digests;
my @bseen = grep { $o->{files}{ url($_->{key}) } && $o->{files}{ url($_->{key}) }{kind} eq 'backfill digest'
	  && $o->{files}{ url($_->{key}) }{status} eq 'valid' } @back;
ok(@back == 3 && @bseen == 3, 'the 3 backfill digests are a chain of their own, valid');
my @blogs = map { url($_) } map { @{ $_->{logs} } } @back;
ok(@blogs && !(grep { !$o->{files}{$_} || $o->{files}{$_}{status} ne 'valid' } @blogs),
	'the log files only backfill digests list are hashed, valid');
my %fps = map { $_->{fingerprint} => 1 } grep { $_->{account} eq $acct && $_->{region} eq $region } @digests;
is(scalar(keys %fps), 2, 'two public keys signed the window');

sub iso_pg
{
	my ($iso) = @_;
	$iso =~ s/Z$/+00:00/;
	return $iso;
}

# ---- a directory copy: no S3 metadata, so no signature to check
$node->safe_psql('postgres', qq{
	CREATE FOREIGN TABLE copy (event_time timestamptz) SERVER emu
	  OPTIONS (directory '$emu->{data}/s3/$bucket', prefix 'org/trails', organization_id 'o-ctfdwtest1')});
my $dir = $node->safe_psql('postgres', qq{
	SELECT string_agg(DISTINCT kind || ' ' || status, ', ' ORDER BY kind || ' ' || status)
	FROM cloudtrail_validate('copy', '$START', '$END', ARRAY['$acct'], ARRAY['$region'])});
is($dir, 'backfill digest unsigned, digest unsigned, gap gap, log valid',
	'a directory table: digests unsigned, log files hashed');

# ---- privileges and arguments
$node->safe_psql('postgres', 'CREATE ROLE auditor LOGIN');
my $ret;
($ret, $out, $err) = $node->psql('postgres',
	"SET ROLE auditor; SELECT count(*) FROM cloudtrail_validate('org', '$START', '$END')");
like($err, qr/permission denied for foreign table org/, 'SELECT privilege on the table is required');
($ret, $out, $err) = $node->psql('postgres',
	"SELECT count(*) FROM cloudtrail_validate('org', '$START', '$END', ARRAY['12x'])");
like($err, qr/invalid account id "12x"/, 'a bad account id is refused');
($ret, $out, $err) = $node->psql('postgres',
	"SELECT count(*) FROM cloudtrail_validate('org', '$END', '$START')");
like($err, qr/end_time is before start_time/, 'an empty window is refused');

done_testing();
