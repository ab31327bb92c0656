# SPDX-License-Identifier: GPL-2.0
# Shared by aiodev's scripts (source it): where the test kernels are, and
# the start of a job in the test VM.

AIODEV_CACHE=${AIODEV_CACHE:-/var/cache/aiodev}
aiodev_scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# aiodev_vm_job NAME: what make demo and make bench start with: the
# dependencies, the module for Debian 6.12 and aiobench built, and an empty
# results directory build/NAME (in $out, shared with the VM).
aiodev_vm_job()
{
	"$aiodev_scripts"/install-deps
	aiodev_kernel 6.12
	make -s module KDIR="$kdir"
	make -s userspace
	out=$PWD/build/$1
	rm -rf "$out"
	mkdir -p "$out"
}

# aiodev_kernel NAME: resolve a test kernel. NAME is 6.1 or 6.12 (the newest
# installed Debian kernel of that series), 7.x (the newest Linux 7 series
# Debian offers, built from its source package on first use), debug (the
# debug kernel, likewise; both by scripts/build-kernel) or the path of a
# kernel build tree.  Sets krel (its release), kimage (the bzImage to boot),
# kdir (the tree to build modules against) and kmods (the directory of its
# module tree, empty if none).
aiodev_kernel()
{
	local name=$1 tree img

	case $name in
	6.1|6.12)
		# The plain amd64 flavour (not cloud or rt), with its headers.
		kimage=
		for img in $(ls /boot/vmlinuz-"$name".*-amd64 2>/dev/null |
			     grep -Ev -- '-(cloud|rt)-amd64$' | sort -rV); do
			if [ -d "/lib/modules/${img#/boot/vmlinuz-}/build" ]; then
				kimage=$img
				break
			fi
		done
		[ -n "$kimage" ] || {
			echo "no Debian $name kernel with its headers (run scripts/install-deps)" >&2
			return 1
		}
		krel=${kimage#/boot/vmlinuz-}
		kdir=/lib/modules/$krel/build
		kmods=/lib/modules/$krel
		;;
	*)
		case $name in
		debug|7.x) tree=$("$aiodev_scripts"/build-kernel "$name") || return 1 ;;
		*) tree=$name ;;
		esac
		krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' \
			"$tree/include/generated/utsrelease.h" 2>/dev/null)
		[ -n "$krel" ] || {
			echo "$tree: not a built kernel tree" >&2
			return 1
		}
		kimage=$tree/arch/x86/boot/bzImage
		kdir=$tree
		kmods=
		;;
	esac
}

# aiodev_source7: the newest Linux 7 source that scripts/install-deps fetched
# from Debian's trixie-backports: a directory $AIODEV_CACHE/src/PACKAGE_VERSION
# (e.g. linux-source-7.3_7.3.4-1~bpo13+1) holding the package's files.
aiodev_source7()
{
	ls -d "$AIODEV_CACHE"/src/linux-source-7.*_* 2>/dev/null | sort -V | tail -n 1 | grep . || {
		echo "no Linux 7 source in $AIODEV_CACHE/src (run scripts/install-deps)" >&2
		return 1
	}
}

# aiodev_checkpatch: the path of checkpatch.pl, extracted from Debian's
# linux-source-6.12 into the cache on first use (of each source version).
aiodev_checkpatch()
{
	local dir f

	dir=$AIODEV_CACHE/checkpatch-$(dpkg-query -W -f='${Version}' linux-source-6.12) || return 1

	if [ ! -e "$dir/scripts/checkpatch.pl" ]; then
		mkdir -p "$dir"
		tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$dir" --strip-components=1 \
			$(for f in checkpatch.pl spelling.txt const_structs.checkpatch; do
				echo "linux-source-6.12/scripts/$f"
			done) || return 1
	fi
	echo "$dir/scripts/checkpatch.pl"
}
