#!/bin/sh
# Builds the universal (arm64 + x86_64) release binary on a Mac:
# target/universal/release/mdmwatch, stripped, with its version (from Cargo.toml) checked and
# written to target/universal/release/VERSION. Then run scripts/build-pkg.sh.
#
# Signing (needed for notarization of the package): set MDMWATCH_APP_IDENTITY to a
# "Developer ID Application: Name (TEAMID)" identity; the binary is signed with the hardened
# runtime and a secure timestamp.
set -eu

die() {
	echo "build-release: $*" >&2
	exit 1
}

[ "$(uname -s)" = "Darwin" ] || die "needs macOS (lipo, strip, codesign)"

repo=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd -- "$repo"

version=$(awk '
	/^\[/ { in_pkg = ($0 == "[package]") }
	in_pkg && /^version[[:space:]]*=/ {
		sub(/^version[[:space:]]*=[[:space:]]*"/, ""); sub(/".*$/, ""); print; exit
	}
' Cargo.toml)
[ -n "$version" ] || die "no version in Cargo.toml [package]"

# The oldest macOS the binary runs on; both slices get the same.
MACOSX_DEPLOYMENT_TARGET="${MACOSX_DEPLOYMENT_TARGET:-11.0}"
export MACOSX_DEPLOYMENT_TARGET

for target in aarch64-apple-darwin x86_64-apple-darwin; do
	if command -v rustup >/dev/null 2>&1; then
		rustup target list --installed | grep -qx "$target" ||
			die "rust target $target missing: rustup target add $target"
	fi
	cargo build --release --locked --target "$target"
done

out="$repo/target/universal/release"
mkdir -p -- "$out"
/usr/bin/lipo -create -output "$out/mdmwatch" \
	"$repo/target/aarch64-apple-darwin/release/mdmwatch" \
	"$repo/target/x86_64-apple-darwin/release/mdmwatch"
# Local symbols only: the release profile already strips debug info; this keeps it so after lipo.
/usr/bin/strip -x "$out/mdmwatch"

got=$("$out/mdmwatch" --version)
[ "$got" = "mdmwatch $version" ] || die "binary reports '$got', expected 'mdmwatch $version'"

if [ -n "${MDMWATCH_APP_IDENTITY:-}" ]; then
	/usr/bin/codesign --force --options runtime --timestamp \
		--identifier io.mdmwatch --sign "$MDMWATCH_APP_IDENTITY" "$out/mdmwatch"
	/usr/bin/codesign --verify --strict --verbose=2 "$out/mdmwatch"
else
	echo "build-release: binary not signed (set MDMWATCH_APP_IDENTITY; notarization needs it)" >&2
fi

printf '%s\n' "$version" >"$out/VERSION"
/usr/bin/lipo -archs "$out/mdmwatch"
echo "build-release: $out/mdmwatch $version" >&2
