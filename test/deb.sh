# test/deb.sh: test/run deb.  Source it; not a program.
#
# Builds the Debian package from debian/ (pg_buildext, dpkg-buildpackage
# -us -uc) in a copy of the tree, installs it with dpkg in place of the
# make-installed copy, and in a clean cluster runs CREATE EXTENSION and
# make installcheck (the pg_regress suite, against the emulator).  It
# installs and removes a package, so it runs only inside the chroot of
# test/run --pg N (test/run --pg N deb).

deb_ok() {
	if "$@" >>"$WORK/deb.log" 2>&1; then
		echo "ok - $label" >&2
		passed=$((passed + 1))
	else
		echo "not ok - $label" >&2
		tail -n 30 "$WORK/deb.log" >&2
		failed=$((failed + 1))
	fi
}

deb_test() {
	if [ -z "${CT_CHROOT:-}" ]; then
		say "test/run deb installs a package: run it in a chroot, test/run --pg N deb"
		exit 2
	fi
	APT_PACKAGES="$APT_PACKAGES build-essential debhelper dpkg-dev postgresql-server-dev-all"
	ensure_packages
	setup_runner
	trap 'stop_all; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
	local pkg=postgresql-$CT_PG-cloudtrail-fdw src=$WORK/src/cloudtrail-fdw deb label
	passed=0 failed=0
	mkdir -p "$src"
	tar -C "$TOP" --exclude=.git -cf - . | tar -C "$src" -xf -
	make -C "$src" -s PG_CONFIG="$PG_CONFIG" clean >/dev/null
	# what the cluster loads must be the package's files
	make -C "$src" -s PG_CONFIG="$PG_CONFIG" uninstall >/dev/null 2>&1 || true
	dpkg -P "$pkg" >/dev/null 2>&1 || true

	label="dpkg-buildpackage -us -uc builds $pkg"
	deb_ok sh -c "cd '$src' && pg_buildext updatecontrol && dpkg-buildpackage -us -uc"
	label="the package build has no compiler warning"
	deb_ok sh -c "! grep -E '[.][ch]:[0-9]+:[0-9]+: warning:' '$WORK/deb.log'"
	deb=$(ls "$WORK/src/${pkg}_"*.deb 2>/dev/null | head -n 1 || true)
	label="dpkg -i installs ${deb##*/}"
	deb_ok dpkg -i "${deb:-/nonexistent.deb}"
	label="the package holds the module and the extension's control file"
	deb_ok sh -c "dpkg -S '$($PG_CONFIG --pkglibdir)/cloudtrail_fdw.so' | grep -q '^$pkg:' &&
		dpkg -S '$($PG_CONFIG --sharedir)/extension/cloudtrail_fdw.control' | grep -q '^$pkg:'"

	EMU_ARGS=(--lookup-now 2026-11-20T00:00:00Z)
	start_emulator "$WORK/emu" --days 3 --events-per-day 40 --end 2026-11-20T00:00:00Z \
		--regions us-east-1,eu-west-1 --seed 7
	start_cluster
	label="CREATE EXTENSION cloudtrail_fdw in a clean cluster: version 1.0"
	deb_ok sh -c "'$PGBIN/psql' -X -qAt -d postgres -c 'CREATE EXTENSION cloudtrail_fdw' \
		-c \"SELECT extversion FROM pg_extension WHERE extname = 'cloudtrail_fdw'\" | grep -qx 1.0"

	mkdir -p "$WORK/installcheck"
	chown -R ctfdw "$src" "$WORK/installcheck" 2>/dev/null || true
	set +e
	"${AS[@]}" env CTEMU_PORT="$EMU_PORT" CTEMU_DATA="$WORK/emu" PGHOST="$PGHOST" PGPORT="$PGPORT" \
		PGUSER=postgres make -C "$src" -s PG_CONFIG="$PG_CONFIG" REGRESS_OUTDIR="$WORK/installcheck" \
		installcheck >"$WORK/installcheck.out" 2>&1
	local rc=$?
	set -e
	cat "$WORK/installcheck.out" >&2
	count_regress "$WORK/installcheck.out" "$rc"
	if [ "$bad" != 0 ] && [ -f "$WORK/installcheck/regression.diffs" ]; then
		cat "$WORK/installcheck/regression.diffs" >&2
	fi
	if grep -q "terminated by signal" "$WORK/postgres.log"; then
		echo "not ok - a server process was terminated by a signal" >&2
		failed=$((failed + 1))
	fi
	stop_all
	label="dpkg -P removes $pkg and its files"
	deb_ok sh -c "dpkg -P '$pkg' && ! test -e '$($PG_CONFIG --pkglibdir)/cloudtrail_fdw.so'"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
	exit $?
}
