#!/bin/sh
# Runs every cargo-fuzz target for SECONDS each (default 5: the CI smoke run) and prints each
# target's executions and crashes. Needs a nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly --profile minimal && cargo install cargo-fuzz --locked
# Long runs (the closing-note figures): scripts/fuzz.sh 600
# Corpora start from the real samples in tests/fixtures (seeded fresh into fuzz/corpus/, which
# git ignores); crashes land in fuzz/artifacts/<target>/.
set -eu
cd "$(dirname "$0")/.."
secs="${1:-5}"
jobs="${FUZZ_JOBS:-1}"

seed() {
  target="$1"; shift
  dir="fuzz/corpus/$target"
  mkdir -p "$dir"
  for pattern in "$@"; do
    for f in $pattern; do
      if [ -f "$f" ]; then cp "$f" "$dir/"; fi
    done
  done
}

S=tests/fixtures/samples
seed log_ndjson "$S/log_show_ndjson*" "tests/fixtures/logs/*.ndjson"
seed mdm_log "$S/log_show_ndjson*" "tests/fixtures/logs/mdmclient*.ndjson"
seed su_log "$S/log_show_ndjson*" "tests/fixtures/logs/softwareupdate*.ndjson"
seed launchctl "$S/launchctl_*"
seed sw_vers "$S/sw_vers*"
seed profiles_enrollment "$S/profiles_status_enrollment*"
seed profiles_mdm "$S/profiles_list*" "tests/fixtures/profiles/*.xml"
seed cert "tests/fixtures/certs/*.pem"
seed bootstrap_token "$S/profiles_status_bootstraptoken*"
seed pmset "$S/pmset_*"
seed diskutil "$S/diskutil_info_plist*"
seed su_prefs "tests/fixtures/readiness/*SoftwareUpdate*"
seed ddm_state "$S/SoftwareUpdateDDMStatePersistence*"
seed ddm_status "tests/fixtures/readiness/*status*" "tests/fixtures/logs/softwareupdate*.ndjson"
seed nextstep "$S/SoftwareUpdateDDMStatePersistence__no_update*" "tests/fixtures/readiness/*qdi*"
seed mdmclient_qdi "tests/fixtures/readiness/*qdi*"
seed state "tests/fixtures/heal/*.json"
seed config "pkg/profiles/*.mobileconfig" "tests/fixtures/config/*"

cargo +nightly fuzz build >/dev/null
total_crashes=0
printf '%-22s %14s %8s\n' target execs crashes
for t in $(cargo +nightly fuzz list); do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log="fuzz/artifacts/$t.log"
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -print_final_stats=1 -jobs="$jobs" -workers="$jobs" >"$log" 2>&1 || true
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
  crashes=$(find "fuzz/artifacts/$t" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \) | wc -l)
  total_crashes=$((total_crashes + crashes))
  printf '%-22s %14s %8s\n' "$t" "$execs" "$crashes"
done
if [ "$total_crashes" -ne 0 ]; then
  echo "fuzz: $total_crashes crashing inputs; see fuzz/artifacts/" >&2
  exit 1
fi
