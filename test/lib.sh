# test/lib.sh: what test/run and test/demo share.  Source it; not a program.
#
# Installs what is missing (apt-get, as root), builds and installs the
# extension, finds free ports, starts the emulator and a scratch cluster.
# As root, the cluster runs as the unprivileged user "ctfdw" (initdb will
# not run as root).

set -euo pipefail
EMU_ARGS=()

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${CT_SHARED:-$(cd "$TOP/.." && pwd)/shared}
# The PostgreSQL major version to build and test against: 15, or CT_PG
# (test/run --pg N sets it inside the chroot of the release that ships N).
CT_PG=${CT_PG:-15}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$CT_PG/bin/pg_config}
PGBIN=/usr/lib/postgresql/$CT_PG/bin
PYTHON=/usr/bin/python3
APT_PACKAGES="postgresql-$CT_PG postgresql-server-dev-$CT_PG libcurl4-openssl-dev libjson-c-dev \
libssl-dev zlib1g-dev libisal-dev isal make gcc pkgconf python3 awscli python3-boto3 python3-psycopg2 libipc-run-perl perl \
postgresql-$CT_PG-cron postgresql-$CT_PG-partman"

say() { printf '%s\n' "$*" >&2; }

ensure_packages() {
	local missing=()
	for p in $APT_PACKAGES; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if [ "$(id -u)" != 0 ]; then
		say "missing packages: ${missing[*]} (run as root, or install them)"
		exit 1
	fi
	say "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build_install() {
	# CT_CLEAN: the tree may hold another version's build (a copied tree)
	[ -z "${CT_CLEAN:-}" ] || make -C "$TOP" -s PG_CONFIG="$PG_CONFIG" clean >/dev/null
	make -C "$TOP" -s PG_CONFIG="$PG_CONFIG" ${CI:+PG_CFLAGS=-Werror} >/dev/null
	if [ "$(id -u)" = 0 ]; then
		make -C "$TOP" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
	elif ! make -C "$TOP" -s PG_CONFIG="$PG_CONFIG" install >/dev/null 2>&1; then
		sudo make -C "$TOP" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
	fi
}

# The user the cluster and tests run as, and a work directory it owns.
setup_runner() {
	WORK=$(mktemp -d /tmp/ctfdw.XXXXXX)
	if [ "$(id -u)" = 0 ]; then
		id ctfdw >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/bash ctfdw
		chown ctfdw "$WORK"
		AS=(runuser -u ctfdw --)
	else
		AS=()
	fi
	chmod 755 "$WORK"
}

free_port() {
	$PYTHON -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_emulator DATA_DIR [generator args...]: sets EMU_PORT, EMU_PID
# (emulator arguments, if any, in the array EMU_ARGS)
start_emulator() {
	local data=$1; shift
	"${AS[@]}" $PYTHON "$TOP/test/emulator/gentrail.py" --data "$data" \
		--records "$SHARED/data/real-cloudtrail/records.ndjson" "$@" >"$WORK/trail.json"
	EMU_PORT=$(free_port)
	"${AS[@]}" $PYTHON "$TOP/test/emulator/ctemu.py" --data "$data" --port "$EMU_PORT" \
		--pidfile "$WORK/emu.pid" "${EMU_ARGS[@]}" >"$WORK/emu.log" 2>&1 &
	$PYTHON - "$EMU_PORT" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_ctl/keys", timeout=1)
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("emulator did not start")
PY
	EMU_PID=$(cat "$WORK/emu.pid")
}

# start_cluster [NAME]: sets PGPORT, PGHOST, PGDATA and starts a scratch
# cluster (NAME, if given, names its directory pgdata-NAME and log postgres-NAME.log)
start_cluster() {
	local name=${1:+-$1}
	PGPORT=$(free_port)
	PGDATA=$WORK/pgdata$name
	PGHOST=$WORK
	"${AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust --no-sync >/dev/null
	cat >>"$PGDATA/postgresql.conf" <<CONF
port = $PGPORT
listen_addresses = ''
unix_socket_directories = '$WORK'
fsync = off
log_min_messages = ${CT_LOG_MIN_MESSAGES:-warning}
timezone = 'UTC'
CONF
	"${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/postgres$name.log" -w start >/dev/null
	export PGPORT PGHOST PGDATA
	export PGUSER=postgres
}

# count_regress OUT RC: the tests of pg_regress's output OUT (RC its exit
# status) into ok, bad, passed and failed.  15 prints "test NAME ... ok" or
# "... FAILED", 16 and later TAP lines "ok N - NAME", "not ok N - NAME"; a
# failing pg_regress with no test failed (it stopped: a missing expected
# file, ...) is one failure.
count_regress() {
	ok=$(grep -cE '^(ok|test) .* ok( |$)|^ok ' "$1" || true)
	bad=$(grep -cE 'FAILED|failed \(ignored\)|^not ok ' "$1" || true)
	if [ "$2" != 0 ] && [ "$bad" = 0 ]; then
		bad=1
	fi
	passed=$((passed + ok)); failed=$((failed + bad))
}

stop_all() {
	[ -n "${PGDATA:-}" ] && [ -d "$PGDATA" ] && "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
	[ -n "${EMU_PID:-}" ] && kill "$EMU_PID" 2>/dev/null || true
}

# run_diff: the differential test (test/diff) on an emulator and a cluster of
# its own; prints its "ok" / "not ok" lines.  SEED, N and ONLY (one case,
# KIND:I, as a failure names it) are diff.py's --seed, -n and --only
run_diff() {
	local rc=0
	# LookupEvents' "now" two days after the trail's end, so that a bound a
	# little past the end is not in the emulator's future; no throttling by
	# the emulator (the extension's own limiter stays: one session per query)
	EMU_ARGS=(--lookup-now 2026-11-22T00:00:00Z --rate 0)
	start_emulator "$WORK/diff-emu" --days 2 --events-per-day 24 --delivery-minutes 120 \
		--records-per-file 2-12 --end 2026-11-20T00:00:00Z --seed 7 \
		--duplicate-fraction 0.05 --late-fraction 0.05 --organization-id o-diffexample1
	start_cluster diff
	"${AS[@]}" env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER=postgres ${CTFDW_MODULE:+CTFDW_MODULE="$CTFDW_MODULE"} \
		$PYTHON "$TOP/test/diff/diff.py" --emu-port "$EMU_PORT" --emu-data "$WORK/diff-emu" \
		--seed "${SEED:-1}" -n "${N:-300}" ${ONLY:+--only "$ONLY"} || rc=$?
	stop_all
	return $rc
}
