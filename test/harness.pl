#!/usr/bin/perl
# Run TAP producers (perl tests and the C unit test binaries) with
# TAP::Harness; the last line says "TAP: N passed, N failed" (assertions).
use strict;
use warnings;
use TAP::Harness;

my @files = @ARGV;
my $h = TAP::Harness->new({
	verbosity => -1,
	timer => 1,
	exec => sub {
		my ($harness, $file) = @_;
		return $file =~ /\.pl$/ ? [ $^X, $file ] : [$file];
	},
});
my $agg = $h->runtests(@files);
my ($passed, $failed) = (scalar($agg->passed), scalar($agg->failed));
# a test file that died or planned wrong counts as a failure
$failed += scalar($agg->parse_errors) + ($agg->exit ? 0 : 0);
for my $f ($agg->descriptions) {
	my ($parser) = $agg->parsers($f);
	$failed++ if $parser->exit || $parser->wait;
}
print "TAP: $passed passed, $failed failed\n";
exit($failed ? 1 : 0);
