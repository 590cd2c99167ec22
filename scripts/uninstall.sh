#!/bin/sh
# Removes mdmwatch from this Mac: stops and removes the LaunchDaemon, the binary, its links
# (`mdmwatch`, and `mdm-watchdog` only when it is mdmwatch's compatibility link), the status and
# state files and local preferences, and forgets the package receipt (pkgutil --forget).
# Installed by the package as /usr/local/mdmwatch/uninstall.sh.
# Managed preferences (/Library/Managed Preferences/io.mdmwatch.plist) belong to a configuration
# profile: remove that profile in your MDM.
#
# Usage: sudo /usr/local/mdmwatch/uninstall.sh [--keep-data] [--root DIR]
#   --keep-data  keep /Library/Application Support/mdmwatch and /Library/Preferences/io.mdmwatch.plist
#   --root DIR   act on a copy of the file system under DIR (tests); launchctl and pkgutil are
#                not run
set -eu

die() {
	echo "uninstall: $*" >&2
	exit 1
}

label="io.mdmwatch"
root="/"
keep_data=0
while [ $# -gt 0 ]; do
	case "$1" in
	--keep-data)
		keep_data=1
		shift
		;;
	--root)
		[ $# -ge 2 ] || die "--root needs a directory"
		root=$2
		shift 2
		;;
	-h | --help)
		sed -n '2,12p' "$0"
		exit 0
		;;
	*) die "unknown argument: $1" ;;
	esac
done

if [ "$root" = "/" ]; then
	[ "$(id -u)" -eq 0 ] || die "run as root (sudo)"
	prefix=""
else
	[ -d "$root" ] || die "$root is not a directory"
	prefix=$(CDPATH='' cd -- "$root" && pwd)
fi

if [ -z "$prefix" ]; then
	/bin/launchctl bootout "system/$label" 2>/dev/null || true
fi

rm -f -- "$prefix/Library/LaunchDaemons/$label.plist"

# Remove the command-line links only if they are ours: `mdm-watchdog` may be Addigy's own tool.
for name in mdmwatch mdm-watchdog; do
	link="$prefix/usr/local/bin/$name"
	if [ -L "$link" ] && [ "$(readlink "$link")" = "/usr/local/mdmwatch/mdmwatch" ]; then
		rm -f -- "$link"
	fi
done
# This script itself lives there (/usr/local/mdmwatch/uninstall.sh): sh has it open already.
rm -rf -- "$prefix/usr/local/mdmwatch"

if [ "$keep_data" -eq 0 ]; then
	rm -rf -- "$prefix/Library/Application Support/mdmwatch"
	rm -f -- "$prefix/Library/Preferences/$label.plist"
fi

if [ -z "$prefix" ]; then
	/usr/sbin/pkgutil --forget io.mdmwatch.pkg >/dev/null 2>&1 || true
fi

echo "uninstall: mdmwatch removed${prefix:+ from $prefix}" >&2
