# test/chroot.sh: test/run --pg N.  Source it; not a program.
#
# Runs the whole suite against PostgreSQL N inside a chroot of the Debian
# release that ships postgresql-N.  The chroot is made once with debootstrap
# (variant minbase) from the Debian mirror this machine's apt uses, and kept
# in $CT_CHROOT_CACHE/<release> (default /var/cache/cloudtrail_fdw/<release>);
# inside it, test/run installs what it needs with apt-get exactly as it does
# on a host, so the packages stay in the cache too.  Each run copies the
# source tree (without build products) into the chroot, so objects built for
# one version never meet another version's headers.
#
# The chroot runs in a mount namespace of its own (unshare): /proc, /sys,
# /dev/pts, a fresh /dev/shm and read-only binds of the source tree and the
# shared data go away with the run, whatever way it ends.

CT_CHROOT_CACHE=${CT_CHROOT_CACHE:-/var/cache/cloudtrail_fdw}

# The Debian release whose postgresql-N package is N: stable ships one
# major version, testing and unstable the newest.
pg_release() {
	case $1 in
	15) echo bookworm ;;
	17) echo trixie ;;
	18) echo sid ;;
	*) return 1 ;;
	esac
}

# The Debian mirror apt uses on this machine (one-line and deb822 sources),
# the archive itself (not its security suite or a third-party source).
debian_mirror() {
	local m
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\/debian\/\{0,1\}\) .*/\2/p' | head -n 1)
	[ -n "$m" ] || m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n 's/^URIs: *\([^ ]*\/debian\/\{0,1\}\)\( .*\)\{0,1\}$/\1/p' | head -n 1)
	echo "${m:-http://deb.debian.org/debian}"
}

# ensure_chroot RELEASE: the cached chroot's directory, made if missing
ensure_chroot() {
	local release=$1 root=$CT_CHROOT_CACHE/$1 mirror t0
	[ -f "$root/.cloudtrail_fdw-ready" ] && { echo "$root"; return; }
	command -v debootstrap >/dev/null || {
		say "installing: debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
	}
	[ -e "/usr/share/debootstrap/scripts/$release" ] || {
		say "this debootstrap does not know $release"
		exit 1
	}
	mirror=$(debian_mirror)
	say "creating the $release chroot in $root from $mirror (once)"
	t0=$SECONDS
	rm -rf "$root.new"
	mkdir -p "$CT_CHROOT_CACHE"
	if ! debootstrap --variant=minbase "$release" "$root.new" "$mirror" >"$CT_CHROOT_CACHE/$release.debootstrap.log" 2>&1; then
		tail -n 20 "$CT_CHROOT_CACHE/$release.debootstrap.log" >&2
		say "debootstrap $release failed (log: $CT_CHROOT_CACHE/$release.debootstrap.log)"
		exit 1
	fi
	rm -rf "$root"
	mv "$root.new" "$root"
	touch "$root/.cloudtrail_fdw-ready"
	say "$release chroot made in $((SECONDS - t0)) s"
	echo "$root"
}

# run_in_chroot N ARGS...: test/run ARGS... on PostgreSQL N; exits with its status
run_in_chroot() {
	local pg=$1 release root; shift
	if ! release=$(pg_release "$pg"); then
		say "no Debian release ships PostgreSQL $pg (supported: 15 bookworm, 17 trixie, 18 sid)"
		exit 2
	fi
	if [ "$(id -u)" != 0 ]; then
		say "test/run --pg needs root (debootstrap, chroot, mounts)"
		exit 1
	fi
	mkdir -p "$CT_CHROOT_CACHE"
	# one run per release at a time: the chroot and its apt state are shared
	exec 9>"$CT_CHROOT_CACHE/$release.lock"
	flock 9
	root=$(ensure_chroot "$release")
	cp /etc/resolv.conf /etc/hosts "$root/etc/"
	# A mirror may serve a dated snapshot of testing or unstable, whose
	# Release files (valid a week) apt would then refuse as expired; the
	# downloaded packages are not kept (as in Debian's container images).
	cat >"$root/etc/apt/apt.conf.d/99cloudtrail-fdw" <<'APT'
Acquire::Check-Valid-Until "false";
Acquire::Check-Date "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT
	rm -f "$root"/var/cache/apt/archives/*.deb
	rm -rf "$root/build"
	mkdir -p "$root/build/cloudtrail_fdw" "$root/build/shared" "$root/mnt/src"
	say "PostgreSQL $pg: Debian $release chroot $root ($(du -sh "$root" 2>/dev/null | cut -f1))"
	local script
	IFS= read -r -d '' script <<'SH' || true
root=$1 top=$2 shared=$3 pg=$4; shift 4
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
mkdir -p "$root/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
for d in "$top:$root/mnt/src" "$shared:$root/build/shared"; do
	mount --bind "${d%%:*}" "${d#*:}"
	mount -o remount,bind,ro "${d#*:}"
done
# the tree without build products (a host build's objects are another version's)
tar -C "$root/mnt/src" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
	--exclude=results --exclude=tmp_check -cf - . | tar -C "$root/build/cloudtrail_fdw" -xf -
umount "$root/mnt/src"
exec chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
	HOME=/root LANG=C.UTF-8 TERM=dumb CT_PG="$pg" CT_CHROOT=1 \
	${CI:+CI="$CI"} ${KEEP:+KEEP="$KEEP"} ${SEED:+SEED="$SEED"} ${N:+N="$N"} ${ONLY:+ONLY="$ONLY"} \
	CT_CLEAN=1 /build/cloudtrail_fdw/test/run "$@"
SH
	unshare --mount --propagation private /bin/bash -euo pipefail -c "$script" chroot-run \
		"$root" "$TOP" "$SHARED" "$pg" "$@" </dev/null
	exit $?
}
