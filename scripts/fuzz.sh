#!/bin/sh
# Runs every cargo-fuzz target for SECONDS each (default 5: the CI smoke run) and prints each
# target's executions and crashes. Needs a nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly --profile minimal && cargo install cargo-fuzz --locked
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]   (default: every target of `cargo fuzz list`)
# Long runs (the closing-note figures): FUZZ_RUNS=10000000 scripts/fuzz.sh 1800
# Corpora start from the real samples in tests/fixtures (seeded fresh into fuzz/corpus/, which
# git ignores); crashes land in fuzz/artifacts/<target>/.
set -eu
cd "$(dirname "$0")/.."
secs="${1:-5}"
if [ "$#" -gt 0 ]; then shift; fi

seed() {
  target="$1"; shift
  dir="fuzz/corpus/$target"
  mkdir -p "$dir"
  for pattern in "$@"; do
    for f in $pattern; do
      # Named after their path: captures hold many files with the same name.
      if [ -f "$f" ]; then cp "$f" "$dir/seed-$(printf '%s' "$f" | tr '/ ' '__')"; fi
    done
  done
}

S=tests/fixtures/samples
C=tests/fixtures/captures
F=fuzz/seeds
seed log_ndjson "$S/log_show_ndjson*" "tests/fixtures/logs/*.ndjson"
seed mdm_log "$S/log_show_ndjson*" "tests/fixtures/logs/mdmclient*.ndjson"
seed su_log "$S/log_show_ndjson*" "tests/fixtures/logs/softwareupdate*.ndjson"
seed launchctl "$S/launchctl_*" "$C/*/launchctl_*.stdout"
seed sw_vers "$S/sw_vers*" "$C/healthy/sw_vers.stdout"
seed profiles_enrollment "$S/profiles_status_enrollment*" "$S/profiles_show_type_enrollment*" "$C/*/profiles_enrollment.stdout"
seed profiles_mdm "$S/profiles_list*" "tests/fixtures/profiles/*.xml" "$C/healthy/profiles_mdm.stdout"
seed cert "tests/fixtures/certs/*.pem"
seed bootstrap_token "$S/profiles_status_bootstraptoken*" "$C/*/profiles_bootstraptoken.stdout"
seed pmset "$S/pmset_g_batt*" "$C/*/pmset_batt.stdout"
seed diskutil "$S/diskutil_info_plist*" "$C/*/diskutil_root.stdout"
seed su_prefs "$C/*/su_prefs.stdout" "$S/defaults_read_com.apple.SoftwareUpdate*"
seed ddm_state "$S/SoftwareUpdateDDMStatePersistence*" "tests/fixtures/readiness/ddm_state_*.plist" "$C/*/ddm_state.stdout"
seed ddm_status "$F/ddm_status/*"
seed nextstep "$S/SoftwareUpdateDDMStatePersistence__no_update*" "$S/defaults_read_com.apple.SoftwareUpdate*" "$F/ddm_status/*" "$C/readiness-eacs-failure/mdmclient_qdi.stdout"
seed mdmclient_queries "$C/*/mdmclient_qdi.stdout"
seed sysctl "$S/sysctl*" "$C/*/hw_model.stdout" "$C/*/hw_arm64.stdout" "$C/*/hw_arm64.stderr"
seed state "$F/state/*"
seed config "$F/config/*" "pkg/profiles/*.mobileconfig"
seed catalog "$S/gdmf_pmv*" "$S/sofa_macos_data_feed__v1*" "$S/sofa_macos_data_feed__v2__2026*"

cargo +nightly fuzz build >/dev/null
total_crashes=0
targets="$*"
if [ -z "$targets" ]; then targets=$(cargo +nightly fuzz list); fi
printf '%-22s %14s %8s\n' target execs crashes
for t in $targets; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log="fuzz/artifacts/$t.log"
  # One process per target (no -jobs: libFuzzer would log to ./fuzz-N.log instead of $log).
  # FUZZ_RUNS stops a target early once it has done that many executions.
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -runs="${FUZZ_RUNS:--1}" -print_final_stats=1 >"$log" 2>&1 || true
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
  crashes=$(find "fuzz/artifacts/$t" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \) | wc -l)
  total_crashes=$((total_crashes + crashes))
  printf '%-22s %14s %8s\n' "$t" "$execs" "$crashes"
done
if [ "$total_crashes" -ne 0 ]; then
  echo "fuzz: $total_crashes crashing inputs; see fuzz/artifacts/" >&2
  exit 1
fi
