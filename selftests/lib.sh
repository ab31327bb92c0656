# SPDX-License-Identifier: GPL-2.0
# Shell helpers for the aiodev selftests (source it): TAP lines and loading
# the module.  AIODEV_KO names the module (default: modprobe aiodev).

tap_n=0
tap_failed=0

ok()
{
	tap_n=$((tap_n + 1))
	echo "ok $tap_n $*"
}

not_ok()
{
	tap_n=$((tap_n + 1))
	echo "not ok $tap_n $*"
	tap_failed=1
}

# check DESCRIPTION COMMAND...: one test case, passing if COMMAND succeeds.
check()
{
	local what=$1

	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# tap_end: the plan, and the exit status.
tap_end()
{
	echo "1..$tap_n"
	exit $tap_failed
}

load()
{
	if [ -n "$AIODEV_KO" ]; then
		insmod "$AIODEV_KO" "$@"
	else
		modprobe aiodev "$@"
	fi
}

loaded()
{
	grep -q '^aiodev ' /proc/modules
}
