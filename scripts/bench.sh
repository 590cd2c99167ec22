#!/bin/sh
# Benchmark harness (issue: performance). One command on Linux or a Mac:
#   scripts/bench.sh            # sizes 10 and 100 MB
#   BENCH_SIZES="10 100 1000" scripts/bench.sh
# Measures, on generated captures of realistic mdmclient ndjson (examples/genlog.rs):
#   - log evaluation throughput of `mdmwatch diagnose --json --replay`, beside `grep -c` (the
#     byte-scan limit) and `jq` (what an admin's script does) over the same file;
#   - peak RSS of each run (GNU time);
#   - wall time of a live run whose fake probes each take a known time (probes run concurrently);
#   - release binary size and `-version` start-up time.
# Prints a table and writes bench/results.json and bench/RESULTS.md.
set -eu

cd "$(dirname "$0")/.."
SIZES="${BENCH_SIZES:-10 100}"
WORK="${BENCH_WORK:-$(mktemp -d)}"
OUT_DIR="bench"
mkdir -p "$OUT_DIR"

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
      apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }
    fi
  fi
  command -v "$1" >/dev/null 2>&1 || { echo "bench: $1 is required (package $2)" >&2; exit 2; }
}
need jq jq
if [ ! -x /usr/bin/time ]; then need /usr/bin/time time; fi

# BENCH_BIN/BENCH_GEN: use already-built binaries (quick iterations); the recorded figures are
# from the release build (LTO), which this builds by default.
if [ -n "${BENCH_BIN:-}" ] && [ -n "${BENCH_GEN:-}" ]; then
  BIN="$BENCH_BIN"; GEN="$BENCH_GEN"
else
  cargo build --release --quiet --bin mdmwatch --example genlog
  BIN="target/release/mdmwatch"
  GEN="target/release/examples/genlog"
fi

# best-of-5 wall seconds (nanosecond clock: GNU time's %e has only 10 ms resolution, too coarse
# for grep on 10 MB) and max RSS (KiB, GNU time) of a command, written to $WORK/m.txt; output
# kept in a file. GNU time prints "Command exited with non-zero status N" first when the command
# fails (mdmwatch exits 1 when it finds problems), so only its last line is read.
measure() {
  best=""; rss=0
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    # stdout to a file, not /dev/null: GNU grep detects /dev/null and stops at the first match.
    /usr/bin/time -f '%M' -o "$WORK/time.txt" "$@" >"$WORK/out.txt" 2>"$WORK/stderr.txt" || true
    t1=$(date +%s%N)
    t=$(awk "BEGIN{printf \"%.4f\", ($t1 - $t0) / 1e9}")
    m=$(tail -n 1 "$WORK/time.txt")
    case "$m" in ''|*[!0-9]*) echo "bench: no RSS from GNU time for: $*" >&2; m=0 ;; esac
    if [ -z "$best" ] || [ "$(awk "BEGIN{print ($t < $best)}")" = "1" ]; then best="$t"; fi
    if [ "$m" -gt "$rss" ]; then rss="$m"; fi
  done
  echo "$best $rss" > "$WORK/m.txt"
}

ratio() { awk "BEGIN{ if ($2 == 0) print \"n/a\"; else printf \"%.2f\", $1 / $2 }"; }
mbps() { awk "BEGIN{ if ($2 == 0) print \"n/a\"; else printf \"%.0f\", $1 / $2 }"; }

row() {
  printf '%-8s %-14s %-10s %-10s %-12s %-10s %-10s\n' "${1}MB" "$2" "$3" "$(mbps "$1" "$3")" "$(($4 / 1024)) MiB" "$(ratio "$3" "$g_t")" "$(ratio "$3" "$j_t")"
}

machine="$(uname -sm), $(nproc 2>/dev/null || sysctl -n hw.ncpu) cores"
printf '\nmdmwatch benchmark on %s\n\n' "$machine"
printf '%-8s %-14s %-10s %-10s %-12s %-10s %-10s\n' size tool seconds "MB/s" "peak RSS" "vs grep" "vs jq"
json_rows=""
md_rows=""
bytes_rows=""
bytes_md=""
for size in $SIZES; do
  cap="$WORK/cap-$size"
  rm -rf "$cap"
  "$GEN" "$cap" "$size" 2>/dev/null
  log="$cap/log_mdmclient.stdout"
  measure grep -c 'Received HTTP response' "$log"; read -r g_t g_rss < "$WORK/m.txt"
  measure jq -R -c 'fromjson? | select(.eventMessage? // "" | contains("HTTP response"))' "$log"; read -r j_t j_rss < "$WORK/m.txt"
  measure "$BIN" diagnose --json --replay "$cap"; read -r m_t m_rss < "$WORK/m.txt"
  row "$size" grep "$g_t" "$g_rss"
  row "$size" jq "$j_t" "$j_rss"
  row "$size" mdmwatch "$m_t" "$m_rss"
  # Log bytes a run reads (item 2 of the performance issue), on this generated 90-min capture
  # (captured_at 10:00): the old predicate returns every line; the new predicate adds
  # `eventMessage CONTAINS` the classifier markers (mdm_log::MARKERS, mirrored here), simulated
  # with grep -F; an incremental run reads only entries since its cursor minus the 5-min overlap.
  # With the default 95-min launchd interval and 90-min window a cursor is always older than the
  # window, so the scheduled run reads the full window; the 15-min row is for a shorter interval.
  printf '%s\n' "Processing server request" "Received HTTP response" "Sending HTTP request" \
    dentity DENTITY "Rejecting MDM push dictionary" "[ERROR]" > "$WORK/markers.txt"
  full_b=$(wc -c < "$log")
  push_b=$(grep -F -f "$WORK/markers.txt" "$log" | wc -c)
  since() { grep -F -f "$WORK/markers.txt" "$log" | awk -v c="2026-11-20 $1" 'match($0, /"timestamp":"[^"]*"/) { if (substr($0, RSTART + 13, 19) >= c) n += length($0) + 1 } END { print n + 0 }'; }
  inc15_b=$(since 09:40:00)
  printf '%-8s log bytes per run: full window %s; with message predicate %s; incremental (15-min interval) %s\n' \
    "${size}MB" "$full_b" "$push_b" "$inc15_b"
  bytes_rows="$bytes_rows{\"size_mb\":$size,\"full_window_bytes\":$full_b,\"full_window_predicate_bytes\":$push_b,\"incremental_15min_bytes\":$inc15_b,\"incremental_95min_bytes\":$push_b},"
  bytes_md="$bytes_md| $size MB | $full_b | $push_b ($(ratio "$push_b" "$full_b")) | $push_b (cursor older than the window: full window) | $inc15_b ($(ratio "$inc15_b" "$full_b")) |
"
  json_rows="$json_rows{\"size_mb\":$size,\"grep_s\":$g_t,\"jq_s\":$j_t,\"mdmwatch_s\":$m_t,\"grep_rss_kib\":$g_rss,\"jq_rss_kib\":$j_rss,\"mdmwatch_rss_kib\":$m_rss},"
  md_rows="$md_rows| $size MB | $g_t s | $j_t s | $m_t s ($(mbps "$size" "$m_t") MB/s) | $(ratio "$m_t" "$g_t")x | $(ratio "$m_t" "$j_t")x | $((m_rss / 1024)) MiB |
"
  rm -rf "$cap"
done

# Live run with fake probes of known duration under a sysroot: the slowest takes 1.0 s.
root="$WORK/sysroot"
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/bin" "$root/usr/libexec"
mk() { printf '#!/bin/sh\nsleep %s\n%s\n' "$2" "${3:-}" > "$root$1"; chmod 755 "$root$1"; }
mk /usr/bin/sw_vers 0.2 "printf 'ProductName:\tmacOS\nProductVersion:\t15.1\nBuildVersion:\t24B83\n'"
mk /usr/sbin/sysctl 0.1 "echo 1"
mk /usr/bin/profiles 0.3 "echo 'Enrolled via DEP: No'; echo 'MDM enrollment: No'"
mk /usr/bin/log 1.0 "echo 'Filtering the log data'; echo '{\"count\":0,\"finished\":1}'"
mk /bin/launchctl 0.2
mk /usr/bin/pmset 0.1 "echo \"Now drawing from 'AC Power'\""
mk /usr/sbin/diskutil 0.3
mk /usr/libexec/mdmclient 0.5
measure "$BIN" diagnose --json --sysroot "$root"; read -r live_t _ < "$WORK/m.txt"
printf '\nlive run with concurrent fake probes: %s s (slowest probe 1.0 s, ratio %s)\n' "$live_t" "$(ratio "$live_t" 1.0)"

size_bytes=$(wc -c < "$BIN")
start=$(date +%s%N); i=0
while [ $i -lt 50 ]; do "$BIN" -version >/dev/null; i=$((i + 1)); done
end=$(date +%s%N)
startup_ms=$(awk "BEGIN{printf \"%.2f\", ($end - $start) / 50 / 1000000}")
printf 'release binary: %s bytes; -version start-up: %s ms (mean of 50)\n' "$size_bytes" "$startup_ms"

date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf '{"date":"%s","machine":"%s","rows":[%s],"log_bytes_per_run":[%s],"live_run_s":%s,"slowest_probe_s":1.0,"binary_bytes":%s,"startup_ms":%s}\n' \
  "$date_utc" "$machine" "${json_rows%,}" "${bytes_rows%,}" "$live_t" "$size_bytes" "$startup_ms" > "$OUT_DIR/results.json"
{
  echo "# Benchmark results"
  echo
  echo "Latest run of \`scripts/bench.sh\`: $date_utc on $machine."
  echo
  echo "| log size | grep -c | jq | mdmwatch diagnose | vs grep | vs jq | mdmwatch peak RSS |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s' "$md_rows"
  echo
  echo "Log bytes read per run (generated 90-min capture; predicate and cursor simulated with grep/awk):"
  echo
  echo "| log size | full window, process predicate | + eventMessage CONTAINS markers | scheduled run (95-min interval) | incremental, 15-min interval |"
  echo "|---|---|---|---|---|"
  printf '%s' "$bytes_md"
  echo
  echo "- Live run with concurrent fake probes (slowest 1.0 s): $live_t s."
  echo "- Release binary: $size_bytes bytes; \`-version\` start-up: $startup_ms ms."
} > "$OUT_DIR/RESULTS.md"
echo "wrote $OUT_DIR/results.json and $OUT_DIR/RESULTS.md"
rm -rf "$WORK"
