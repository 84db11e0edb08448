# CtSync.pm: helpers of the sync tests: the (event_id, log_file) pairs of a
# trail, read from the emulator's files and the objects added; those of a
# table; their comparison; log files added while a test runs.
package CtSync;

use strict;
use warnings;
use CtTest;
use File::Find;
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use JSON::PP;
use Test::More;
use Exporter 'import';

our @EXPORT = qw(trail_pairs pairs_are add_file);

# the emulator's data directory, set by the test
our $data;

# objects added during the test: bucket => { key => records }
my %added;

# The trail's (event_id, log_file) pairs, read here from every object.
sub trail_pairs
{
	my ($bucket) = @_;
	my @pairs;
	my $root = "$data/s3/$bucket";
	my @keys;
	find(sub { push @keys, substr($File::Find::name, length($root) + 1) if /\.json\.gz$/ }, $root)
	  if -d $root;
	for my $k (@keys)
	{
		next if $k =~ /Digest|Insight/;
		my $raw;
		gunzip("$root/$k" => \$raw) or die $GunzipError;
		push @pairs, map { "$_->{eventID} s3://$bucket/$k" } @{ decode_json($raw)->{Records} };
	}
	for my $k (keys %{ $added{$bucket} || {} })
	{
		push @pairs, map { "$_->{eventID} s3://$bucket/$k" } @{ $added{$bucket}{$k} };
	}
	return join("\n", sort @pairs);
}

# The (event_id, log_file) pairs of table t.
sub target_pairs
{
	my ($node, $t) = @_;
	return join("\n", sort split /\n/,
		$node->safe_psql('postgres', "SELECT event_id || ' ' || log_file FROM $t"));
}

# equal sets of pairs; on a difference, diag only what differs
sub pairs_are
{
	my ($got, $want, $name) = @_;
	my (%g, %w);
	$g{$_}++ for split /\n/, $got;
	$w{$_}++ for split /\n/, $want;
	my @extra = grep { ($g{$_} || 0) > ($w{$_} || 0) } sort keys %g;
	my @missing = grep { ($w{$_} || 0) > ($g{$_} || 0) } sort keys %w;
	ok(!@extra && !@missing && $got eq $want, $name)
	  or diag(sprintf("%d pairs, want %d; extra: %s; missing: %s", scalar(split /\n/, $got),
		scalar(split /\n/, $want), join(' ', @extra[0 .. ($#extra < 4 ? $#extra : 4)]),
		join(' ', @missing[0 .. ($#missing < 4 ? $#missing : 4)])));
}

my $uniq = 0;
# A log file with n records of account/region, delivered at stamp (YYYYMMDDTHHMM).
sub add_file
{
	my (%a) = @_;
	my $bucket = $a{bucket} || 'trail-bucket';
	my ($acct, $region, $stamp) = @a{qw(account region stamp)};
	my ($y, $m, $d) = $stamp =~ /^(\d{4})(\d\d)(\d\d)/;
	my $org = $a{org} ? "$a{org}/" : '';
	my $u = $a{unique} || sprintf('Sync%012d', ++$uniq);
	my $key = "AWSLogs/$org$acct/CloudTrail/$region/$y/$m/$d/${acct}_CloudTrail_${region}_${stamp}Z_$u.json.gz";
	my @recs = map {
		{ eventVersion => '1.08', eventID => sprintf('5e1c0000-0000-4000-8000-%012d', ++$uniq),
		  eventTime => $a{event_time} || "$y-$m-${d}T00:00:00Z", eventSource => 'iam.amazonaws.com',
		  eventName => 'ListUsers', awsRegion => $region, recipientAccountId => $acct,
		  userIdentity => { type => 'IAMUser', userName => 'sync-test' } }
	} 1 .. ($a{records} || 2);
	my $gz;
	gzip(\encode_json({ Records => \@recs }) => \$gz) or die $GzipError;
	put_raw($bucket, $key, $a{raw} // $gz);
	$added{$bucket}{$key} = $a{raw} ? [] : \@recs;
	return $key;
}

1;
