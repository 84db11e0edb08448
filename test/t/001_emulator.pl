# The emulator is faithful: Debian's awscli and boto3 work against it, and
# it rejects what AWS rejects.
use strict;
use warnings;
use lib "$ENV{CT_TOP}/test/t";
use CtTest;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;

my $emu = start_emulator(gen => [ '--days', '2', '--events-per-day', '30',
	'--regions', 'us-east-1,eu-west-1', '--seed', '3' ]);
my ($akid, $secret) = @{ $KEYS{key1} };
my %env = (CTEMU_ENDPOINT => $emu->{url}, AWS_ACCESS_KEY_ID => $akid,
	AWS_SECRET_ACCESS_KEY => $secret, AWS_DEFAULT_REGION => 'us-east-1',
	AWS_CONFIG_FILE => '/dev/null', AWS_SHARED_CREDENTIALS_FILE => '/dev/null',
	AWS_PAGER => '', HOME => $emu->{dir});

sub aws
{
	my ($extra_env, @args) = @_;
	my ($out, $err);
	local %ENV = (%ENV, %env, %$extra_env);
	my $ok = IPC::Run::run([ $PYTHON, "$TOP/test/emulator/aws-emu", @args ],
		'>', \$out, '2>', \$err);
	return ($ok, $out, $err);
}

# expected events, straight from the generator's files
sub lookup_events
{
	my ($acct, $region, $insight) = @_;
	my $f = "$emu->{data}/lookup/$acct/$region" . ($insight ? '.insight' : '') . '.ndjson';
	open my $fh, '<', $f or return ();
	return map { decode_json($_) } <$fh>;
}

ctl('rate', { per_second => 0 });

# ---- S3 through awscli
my ($ok, $out, $err) = aws({}, 's3', 'ls', 's3://trail-bucket/AWSLogs/111111111111/');
ok($ok, 'aws s3 ls');
like($out, qr/PRE CloudTrail-Digest\/.*PRE CloudTrail-Insight\/.*PRE CloudTrail\//s,
	'aws s3 ls shows the trail folders, in S3 key order');
($ok, $out) = aws({}, 's3', 'ls', '--recursive', 's3://trail-bucket/');
my @listed = grep { /\.json\.gz$/ } split /\n/, $out;
my @on_disk = split /\n/, `find $emu->{data}/s3/trail-bucket -type f`;
my $on_disk = scalar @on_disk;
is(scalar @listed, $on_disk, "aws s3 ls --recursive lists all $on_disk objects (paging by 1000)");
my ($key) = map { (split ' ', $_)[3] } grep { /_CloudTrail_us-east-1_/ } @listed;
($ok) = aws({}, 's3', 'cp', "s3://trail-bucket/$key", "$emu->{dir}/copy.json.gz");
ok($ok, 'aws s3 cp');
is(slurp_file("$emu->{dir}/copy.json.gz"), slurp_file("$emu->{data}/s3/trail-bucket/$key"),
	'the copy has the same bytes');

# ---- LookupEvents through awscli
my @mgmt = lookup_events('111111111111', 'us-east-1');
($ok, $out, $err) = aws({}, 'cloudtrail', 'lookup-events', '--page-size', '7', '--output', 'json');
ok($ok, 'aws cloudtrail lookup-events') or diag($err);
my $events = decode_json($out)->{Events};
is(scalar @$events, scalar @mgmt, 'every management event of the region, in pages of 7');
is_deeply([ map { $_->{EventId} } @$events ], [ map { $_->{eventID} } @mgmt ],
	'newest first, as the generator wrote them');
my @calls = requests(sub { ($_[0]->{op} || '') eq 'LookupEvents' });
ok(@calls >= int(@mgmt / 7) && (grep { $_->{lookup}{next_token} } @calls) == @calls - 1,
	'paging used NextToken on every call but the first');
my $e0 = decode_json($events->[0]{CloudTrailEvent});
is($e0->{eventID}, $events->[0]{EventId}, 'CloudTrailEvent is the record, as a JSON string');

my %attr_value = (
	EventId => sub { $_[0]{eventID} },
	EventName => sub { $_[0]{eventName} },
	EventSource => sub { $_[0]{eventSource} },
	ReadOnly => sub { defined $_[0]{readOnly} ? ($_[0]{readOnly} ? 'true' : 'false') : undef },
	AccessKeyId => sub { ($_[0]{userIdentity} || {})->{accessKeyId} },
	Username => \&api_username,
	ResourceName => sub { (($_[0]{resources} || [])->[0] || {})->{ARN} },
	ResourceType => sub { (($_[0]{resources} || [])->[0] || {})->{type} },
);
for my $k (sort keys %attr_value)
{
	my ($sample) = grep { my $v = $attr_value{$k}->($_); defined $v && $v ne '' } @mgmt;
	SKIP:
	{
		skip "no event with $k", 1 unless $sample;
		my $v = $attr_value{$k}->($sample);
		($ok, $out, $err) = aws({}, 'cloudtrail', 'lookup-events', '--output', 'json',
			'--lookup-attributes', "AttributeKey=$k,AttributeValue=$v");
		my $got = $ok ? decode_json($out)->{Events} : [];
		my @want = grep { (defined $attr_value{$k}->($_) && $attr_value{$k}->($_) eq $v)
			  || ($k =~ /^Resource/ && grep { ($_->{$k eq 'ResourceName' ? 'ARN' : 'type'} || '') eq $v } @{ $_->{resources} || [] }) } @mgmt;
		is(scalar @$got, scalar @want, "lookup by $k");
	}
}
($ok, $out, $err) = aws({}, 'cloudtrail', 'lookup-events', '--lookup-attributes',
	'AttributeKey=EventName,AttributeValue=A', 'AttributeKey=Username,AttributeValue=B');
ok(!$ok && $err =~ /InvalidLookupAttributesException/, 'two attributes are refused');
my @ins = lookup_events('111111111111', 'us-east-1', 1);
($ok, $out, $err) = aws({}, 'cloudtrail', 'lookup-events', '--event-category', 'insight', '--output', 'json');
is(scalar @{ $ok ? decode_json($out)->{Events} : [] }, scalar @ins, 'Insights events');
($ok, $out, $err) = aws({}, 'cloudtrail', 'lookup-events', '--start-time', '2030-01-02T00:00:00Z',
	'--end-time', '2030-01-01T00:00:00Z');
ok(!$ok && $err =~ /InvalidTimeRangeException/, 'start after end is refused');

# ---- validate-logs: the digest chain and signatures are real
use Time::Piece;
my $arn = 'arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail';
my $t0 = Time::Piece->strptime($emu->{trail}{start}, '%Y-%m-%dT%H:%M:%SZ');
my ($from, $to) = map { ($t0 + $_ * 3600)->strftime('%Y-%m-%dT%H:%M:%SZ') } (3, 9);
($ok, $out, $err) = aws({}, 'cloudtrail', 'validate-logs', '--trail-arn', $arn,
	'--start-time', $from, '--end-time', $to);
ok($ok, 'aws cloudtrail validate-logs succeeds') or diag("$out\n$err");
like($out, qr/([1-9]\d*)\/\1 digest files valid/, 'every digest file valid');
like($out, qr/([1-9]\d*)\/\1 log files valid/, 'every log file valid');

# alter one covered log file: validate-logs must notice
my ($lo, $hi) = map { ($t0 + $_ * 3600)->strftime('%Y-%m-%dT%H:%M:%SZ') } (4, 7);
my ($victim) = map { $_->{key} }
  grep { $_->{account} eq '111111111111' && $_->{region} eq 'us-east-1' && !$_->{insight}
	  && $_->{delivery} ge $lo && $_->{delivery} le $hi }
  map { decode_json($_) } split /\n/, slurp_file("$emu->{data}/files.ndjson");
my $path = "$emu->{data}/s3/trail-bucket/$victim";
my $orig = slurp_file($path);
IPC::Run::run([ 'sh', '-c', "zcat '$path' | sed 's/\"eventName\":\"/\"eventName\":\"X/' | gzip -n > '$path.new' && mv '$path.new' '$path'" ]);
($ok, $out, $err) = aws({}, 'cloudtrail', 'validate-logs', '--trail-arn', $arn,
	'--start-time', $from, '--end-time', $to, '--verbose');
ok(!$ok, 'validate-logs fails on an altered log file');
like($out . $err, qr/\Q$victim\E\tINVALID: hash value doesn't match/, 'and names it');
open my $fh, '>', $path or die;
binmode $fh;
print $fh $orig;
close $fh;

# ---- what AWS rejects
($ok, $out, $err) = aws({ AWS_SECRET_ACCESS_KEY => 'wrong' }, 's3', 'ls', 's3://trail-bucket/');
ok(!$ok && $err =~ /SignatureDoesNotMatch/, 'S3: wrong secret gives SignatureDoesNotMatch');
($ok, $out, $err) = aws({ AWS_SECRET_ACCESS_KEY => 'wrong' }, 'cloudtrail', 'lookup-events', '--max-items', '1');
ok(!$ok && $err =~ /InvalidSignatureException/, 'CloudTrail: wrong secret gives InvalidSignatureException');
($ok, $out, $err) = aws({ AWS_ACCESS_KEY_ID => 'AKIANOSUCHKEY0000000' }, 's3', 'ls', 's3://trail-bucket/');
ok(!$ok && $err =~ /InvalidAccessKeyId/, 'S3: unknown key');
my ($t_akid, $t_secret, $t_token) = @{ $KEYS{expired} };
($ok, $out, $err) = aws({ AWS_ACCESS_KEY_ID => $t_akid, AWS_SECRET_ACCESS_KEY => $t_secret,
	AWS_SESSION_TOKEN => $t_token }, 's3', 'ls', 's3://trail-bucket/');
ok(!$ok && $err =~ /ExpiredToken/, 'S3: expired session token');
($t_akid, $t_secret, $t_token) = @{ $KEYS{temp} };
($ok) = aws({ AWS_ACCESS_KEY_ID => $t_akid, AWS_SECRET_ACCESS_KEY => $t_secret,
	AWS_SESSION_TOKEN => $t_token }, 's3', 'ls', 's3://trail-bucket/');
ok($ok, 'S3: temporary credentials with their token work');
ctl('clock', { skew_seconds => 3600 });
($ok, $out, $err) = aws({}, 's3', 'ls', 's3://trail-bucket/');
ok(!$ok && $err =~ /RequestTimeTooSkewed/, 'S3: a clock an hour off gives RequestTimeTooSkewed');
ctl('clock', { skew_seconds => 0 });

# ---- boto3: listing details, ranges, metadata, STS, throttling, faults
my $script = <<'PY';
import json, sys, boto3, botocore
from botocore.config import Config
ep = sys.argv[1]
cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
s3 = boto3.client("s3", endpoint_url=ep, config=cfg)
out = {}
pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="trail-bucket", Prefix="AWSLogs/", PaginationConfig={"PageSize": 100}))
out["keys"] = sum(p.get("KeyCount", 0) for p in pages)
out["pages"] = len(pages)
d = s3.list_objects_v2(Bucket="trail-bucket", Prefix="AWSLogs/111111111111/", Delimiter="/")
out["folders"] = [p["Prefix"] for p in d.get("CommonPrefixes", [])]
keys = [c["Key"] for p in pages for c in p.get("Contents", [])]
k = [x for x in keys if "_CloudTrail_" in x][0]
after = s3.list_objects_v2(Bucket="trail-bucket", StartAfter=k, MaxKeys=1)
out["start_after_ok"] = after["Contents"][0]["Key"] > k
whole = s3.get_object(Bucket="trail-bucket", Key=k)["Body"].read()
part = s3.get_object(Bucket="trail-bucket", Key=k, Range="bytes=10-")
out["range_ok"] = part["Body"].read() == whole[10:] and part["ResponseMetadata"]["HTTPStatusCode"] == 206
dig = [x for x in keys if "Digest" in x][0]
out["meta"] = sorted(s3.head_object(Bucket="trail-bucket", Key=dig)["Metadata"])
try:
    s3.get_object(Bucket="trail-bucket", Key="AWSLogs/nope")
except botocore.exceptions.ClientError as e:
    out["nosuchkey"] = e.response["Error"]["Code"]
sts = boto3.client("sts", endpoint_url=ep, region_name="us-east-1")
c = sts.assume_role(RoleArn="arn:aws:iam::222222222222:role/reader-external", RoleSessionName="t1", ExternalId="ctfdw-external-id")["Credentials"]
s3b = boto3.client("s3", endpoint_url=ep, config=cfg, aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
out["assumed_ok"] = s3b.list_objects_v2(Bucket="trail-bucket", MaxKeys=1)["KeyCount"] == 1
try:
    sts.assume_role(RoleArn="arn:aws:iam::222222222222:role/reader-external", RoleSessionName="t2")
except botocore.exceptions.ClientError as e:
    out["no_external_id"] = e.response["Error"]["Code"]
ct = boto3.client("cloudtrail", endpoint_url=ep, region_name="us-east-1", config=cfg)
codes = []
for i in range(6):
    try:
        ct.lookup_events(MaxResults=1)
        codes.append("ok")
    except botocore.exceptions.ClientError as e:
        codes.append(e.response["Error"]["Code"])
out["throttle"] = codes
print(json.dumps(out))
PY
ctl('rate', { per_second => 2 });
{
	local %ENV = (%ENV, %env);
	my ($o, $e);
	my $okb = IPC::Run::run([ $PYTHON, '-c', $script, $emu->{url} ], '>', \$o, '2>', \$e);
	ok($okb, 'boto3 script ran') or diag($e);
	my $r = $okb ? decode_json($o) : {};
	is($r->{keys}, $on_disk, 'boto3 paginates ListObjectsV2 over every key');
	ok($r->{pages} > 1, 'in several pages');
	is_deeply($r->{folders}, [ map { "AWSLogs/111111111111/$_/" } qw(CloudTrail-Digest CloudTrail-Insight CloudTrail) ],
		'delimiter listing gives the folders');
	ok($r->{start_after_ok}, 'start-after');
	ok($r->{range_ok}, 'GetObject with Range gives 206 and the tail');
	is_deeply($r->{meta}, [ 'signature', 'signature-algorithm' ], 'digest metadata');
	is($r->{nosuchkey}, 'NoSuchKey', 'NoSuchKey');
	ok($r->{assumed_ok}, 'AssumeRole with ExternalId gives working credentials');
	is($r->{no_external_id}, 'AccessDenied', 'AssumeRole without ExternalId is denied');
	ok((grep { $_ eq 'ThrottlingException' } @{ $r->{throttle} || [] }) >= 1,
		'more than 2 LookupEvents a second are throttled');
}

# ---- every credential source boto3 knows reaches a working identity here
my $creds_script = <<'PY';
import json, sys, boto3, botocore.session
from botocore.config import Config
# this boto3 predates AWS_ENDPOINT_URL_STS: point its STS client here
_create = botocore.session.Session.create_client
def create_client(self, name, *a, **kw):
    if name == "sts":
        kw["endpoint_url"] = sys.argv[1]
    return _create(self, name, *a, **kw)
botocore.session.Session.create_client = create_client
s = boto3.session.Session()
c = s.get_credentials()
s3 = s.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
              config=Config(s3={"addressing_style": "path"}))
ok = s3.list_objects_v2(Bucket="trail-bucket", MaxKeys=1)["KeyCount"] == 1
print(json.dumps({"method": c.method, "temporary": bool(c.token), "ok": ok}))
PY
my $token_file = "$emu->{dir}/web-identity-token";
open my $tf, '>', $token_file or die;
print $tf 'ctfdw-web-identity-token';
close $tf;
my %sources = (
	'iam-role' => { AWS_EC2_METADATA_SERVICE_ENDPOINT => "$emu->{url}/" },
	'container-role' => { AWS_CONTAINER_CREDENTIALS_FULL_URI => "$emu->{url}/ecs/credentials",
		AWS_CONTAINER_AUTHORIZATION_TOKEN => 'ctfdw-ecs-auth-token' },
	'assume-role-with-web-identity' => { AWS_WEB_IDENTITY_TOKEN_FILE => $token_file,
		AWS_ROLE_ARN => 'arn:aws:iam::111111111111:role/web', AWS_ROLE_SESSION_NAME => 'ws' },
);
for my $method (sort keys %sources)
{
	local %ENV = %ENV;
	delete @ENV{qw(AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN)};
	%ENV = (%ENV, AWS_CONFIG_FILE => '/dev/null', AWS_SHARED_CREDENTIALS_FILE => '/dev/null',
		AWS_DEFAULT_REGION => 'us-east-1', HOME => $emu->{dir}, %{ $sources{$method} });
	my ($o, $e);
	IPC::Run::run([ $PYTHON, '-c', $creds_script, $emu->{url} ], '>', \$o, '2>', \$e);
	my $r = eval { decode_json($o) } || {};
	ok($r->{ok} && $r->{temporary} && $r->{method} eq $method,
		"boto3 credential source $method: temporary credentials that work") or diag($o, $e);
}
my $imds = grep { ($_->{service} || '') eq 'imds' } requests();
ok($imds >= 3, 'IMDSv2: token, role name, credentials');

done_testing();
