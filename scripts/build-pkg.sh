#!/bin/sh
# Builds the mdmwatch installer package (flat, product archive) on a Mac.
#
# Payload: /usr/local/mdmwatch/mdmwatch (universal binary), /usr/local/mdmwatch/uninstall.sh,
# man pages and shell completions under /usr/local/mdmwatch/share (from pkg/docs),
# /usr/local/bin/mdmwatch -> the binary, /Library/LaunchDaemons/io.mdmwatch.plist; scripts:
# pkg/scripts/preinstall and postinstall (which adds the mdm-watchdog link when that name is free).
#
# Usage: scripts/build-pkg.sh [--binary PATH] [--version X.Y.Z] [--out DIR]
#                             [--sign "Developer ID Installer: Name (TEAMID)"] [--dry-run]
#
#   --binary   the universal binary (default: target/universal/release/mdmwatch, made by
#              scripts/build-release.sh)
#   --version  package version (default: the version in Cargo.toml)
#   --out      output directory (default: dist); the payload is staged in OUT/payload
#   --sign     productbuild signing identity (or MDMWATCH_INSTALLER_IDENTITY)
#   --dry-run  stage the payload and scripts only, without Apple tools (works on Linux), and
#              print the staging directory
#
# Notarization (after signing) when either is set:
#   MDMWATCH_NOTARY_PROFILE  a keychain profile made with `xcrun notarytool store-credentials`
#   MDMWATCH_NOTARY_APPLE_ID, MDMWATCH_NOTARY_TEAM_ID, MDMWATCH_NOTARY_PASSWORD (app-specific)
set -eu

die() {
	echo "build-pkg: $*" >&2
	exit 1
}

repo=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
identifier="io.mdmwatch.pkg"
label="io.mdmwatch"

binary="$repo/target/universal/release/mdmwatch"
version=""
out="$repo/dist"
sign="${MDMWATCH_INSTALLER_IDENTITY:-}"
dry_run=0

while [ $# -gt 0 ]; do
	case "$1" in
	--binary)
		[ $# -ge 2 ] || die "--binary needs a path"
		binary=$2
		shift 2
		;;
	--version)
		[ $# -ge 2 ] || die "--version needs a value"
		version=$2
		shift 2
		;;
	--out)
		[ $# -ge 2 ] || die "--out needs a directory"
		out=$2
		shift 2
		;;
	--sign)
		[ $# -ge 2 ] || die "--sign needs an identity"
		sign=$2
		shift 2
		;;
	--dry-run)
		dry_run=1
		shift
		;;
	-h | --help)
		sed -n '2,21p' "$0"
		exit 0
		;;
	*)
		die "unknown argument: $1 (see --help)"
		;;
	esac
done

# The [package] version of Cargo.toml: the one version of binary, package and report.
cargo_version() {
	awk '
		/^\[/ { in_pkg = ($0 == "[package]") }
		in_pkg && /^version[[:space:]]*=/ {
			sub(/^version[[:space:]]*=[[:space:]]*"/, ""); sub(/".*$/, ""); print; exit
		}
	' "$repo/Cargo.toml"
}

if [ -z "$version" ]; then
	version=$(cargo_version)
fi
case "$version" in
'' | *[!0-9A-Za-z.+-]*) die "invalid version: '$version'" ;;
esac

[ -f "$binary" ] || die "binary not found: $binary (run scripts/build-release.sh, or pass --binary)"

mkdir -p -- "$out"
out=$(CDPATH='' cd -- "$out" && pwd)
stage="$out/payload"
# Only ever delete a staging directory this script made (it carries a marker file).
if [ -e "$stage" ]; then
	[ -f "$stage/.mdmwatch-stage" ] || die "$stage exists and was not made by build-pkg.sh; remove it"
	rm -rf -- "$stage"
fi
mkdir -p -- "$stage"
: >"$stage/.mdmwatch-stage"

root="$stage/root"
scripts="$stage/scripts"
mkdir -p -- "$root/usr/local/mdmwatch" "$root/usr/local/bin" "$root/Library/LaunchDaemons" "$scripts"
cp -- "$binary" "$root/usr/local/mdmwatch/mdmwatch"
chmod 0755 "$root/usr/local/mdmwatch/mdmwatch"
# Absolute target: the link stays right wherever /usr/local/bin itself points.
ln -s /usr/local/mdmwatch/mdmwatch "$root/usr/local/bin/mdmwatch"
cp -- "$repo/scripts/uninstall.sh" "$root/usr/local/mdmwatch/uninstall.sh"
chmod 0755 "$root/usr/local/mdmwatch/uninstall.sh"
cp -- "$repo/launchd/$label.plist" "$root/Library/LaunchDaemons/$label.plist"
chmod 0644 "$root/Library/LaunchDaemons/$label.plist"
# The man pages and shell completions generated from the CLI (examples/gen_docs.rs; a test
# keeps pkg/docs equal to what it generates).
share="$root/usr/local/mdmwatch/share"
mkdir -p -- "$share/man/man1" "$share/completions"
cp -- "$repo"/pkg/docs/*.1 "$share/man/man1/"
cp -- "$repo/pkg/docs/mdmwatch.bash" "$repo/pkg/docs/_mdmwatch" "$repo/pkg/docs/mdmwatch.fish" "$share/completions/"
find "$share" -type f -exec chmod 0644 {} +
cp -- "$repo/pkg/scripts/preinstall" "$repo/pkg/scripts/postinstall" "$scripts/"
chmod 0755 "$scripts/preinstall" "$scripts/postinstall"
find "$root" -type d -exec chmod 0755 {} +

if [ "$dry_run" -eq 1 ]; then
	echo "build-pkg: dry run: payload staged in $stage (version $version)" >&2
	echo "$stage"
	exit 0
fi

[ "$(uname -s)" = "Darwin" ] || die "building the package needs macOS (pkgbuild, productbuild); use --dry-run elsewhere"

# The package must carry exactly the version it claims, for both architectures.
got=$("$binary" --version 2>/dev/null || true)
[ "$got" = "mdmwatch $version" ] || die "binary reports '$got', expected 'mdmwatch $version'"
archs=$(/usr/bin/lipo -archs "$binary")
case " $archs " in
*" arm64 "*) ;;
*) die "binary lacks arm64 (has: $archs); build with scripts/build-release.sh" ;;
esac
case " $archs " in
*" x86_64 "*) ;;
*) die "binary lacks x86_64 (has: $archs); build with scripts/build-release.sh" ;;
esac

component="$stage/mdmwatch-component.pkg"
product="$out/mdmwatch-$version.pkg"
/usr/bin/pkgbuild \
	--root "$root" \
	--scripts "$scripts" \
	--identifier "$identifier" \
	--version "$version" \
	--install-location / \
	--ownership recommended \
	"$component"

if [ -n "$sign" ]; then
	/usr/bin/productbuild --package "$component" --sign "$sign" --timestamp "$product"
	/usr/sbin/pkgutil --check-signature "$product"
else
	/usr/bin/productbuild --package "$component" "$product"
	echo "build-pkg: unsigned package (pass --sign or set MDMWATCH_INSTALLER_IDENTITY to sign)" >&2
fi

notarize=0
if [ -n "${MDMWATCH_NOTARY_PROFILE:-}" ]; then
	notarize=1
	set -- --keychain-profile "$MDMWATCH_NOTARY_PROFILE"
elif [ -n "${MDMWATCH_NOTARY_APPLE_ID:-}" ]; then
	notarize=1
	[ -n "${MDMWATCH_NOTARY_TEAM_ID:-}" ] || die "MDMWATCH_NOTARY_TEAM_ID is required with MDMWATCH_NOTARY_APPLE_ID"
	[ -n "${MDMWATCH_NOTARY_PASSWORD:-}" ] || die "MDMWATCH_NOTARY_PASSWORD is required with MDMWATCH_NOTARY_APPLE_ID"
	set -- --apple-id "$MDMWATCH_NOTARY_APPLE_ID" --team-id "$MDMWATCH_NOTARY_TEAM_ID" --password "$MDMWATCH_NOTARY_PASSWORD"
fi

if [ "$notarize" -eq 1 ]; then
	[ -n "$sign" ] || die "notarization needs a signed package (--sign)"
	log="$stage/notarytool.log"
	# notarytool's exit status alone does not say "Accepted"; read the status line.
	/usr/bin/xcrun notarytool submit "$product" "$@" --wait 2>&1 | tee "$log"
	grep -Eq '^[[:space:]]*status: Accepted' "$log" ||
		die "notarization not accepted; see $log and 'xcrun notarytool log <id>'"
	/usr/bin/xcrun stapler staple "$product"
	/usr/bin/xcrun stapler validate "$product"
fi

echo "build-pkg: built $product" >&2
echo "$product"
