#!/bin/sh
# Benchmark harness (issue: performance). One command on Linux or a Mac:
#   scripts/bench.sh                     # sizes 10 and 100 MB, 5 paired repetitions
#   BENCH_SIZES="10 100 200" BENCH_REPS=7 scripts/bench.sh
# Never part of CI's pass/fail. Measures, on generated captures (examples/genlog.rs):
#   - log evaluation of `mdmwatch diagnose --json --replay` on the two shapes of log: `sparse`
#     (what the source predicate alone returns: mostly chatter) and `dense` (what the shipped
#     predicate returns: every line a marker line), beside `grep -c` (the byte-scan limit) and
#     `jq` (what an admin's script does) over the same bytes. The machine is shared and noisy, so
#     grep and mdmwatch run back to back in each repetition and the ratio is the median of the
#     per-repetition ratios;
#   - where the time goes: the ndjson reader alone, with the mdmclient summary, and with the
#     straightforward reference fold the summary must equal (the summariser before its
#     optimisation: a fresh LogLine per event, str::find classifier), each paired with grep -c
#     (examples/logscan);
#   - peak RSS (GNU time);
#   - the cost of a whole run: wall time and total CPU (mdmwatch plus every process it spawns) of
#     `diagnose` over fake probes whose wall and CPU cost is measured on its own first;
#   - log bytes asked of `log show`: the source predicate alone vs with the message markers, and
#     a generated apsd log (`process == "apsd"`) read and summarised (apsd_log), which the fake
#     `log` of the whole run also prints for the log_apsd probe.
# Prints one table and writes bench/results.json and bench/RESULTS.md.
set -eu

cd "$(dirname "$0")/.."
SIZES="${BENCH_SIZES:-10 100}"
REPS="${BENCH_REPS:-5}"
WORK="${BENCH_WORK:-$(mktemp -d)}"
OUT_DIR="bench"
mkdir -p "$OUT_DIR"

have() { command -v "$1" >/dev/null 2>&1; }
need() {
  if ! have "$1" && have apt-get && [ "$(id -u)" = "0" ]; then
    apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null 2>&1; } || true
  fi
  have "$1"
}
if ! need /usr/bin/time time; then echo "bench: skipped, GNU time (package time) is not available" >&2; exit 0; fi
HAVE_JQ=1
need jq jq || { HAVE_JQ=0; echo "bench: jq not available: the jq column is skipped" >&2; }

# BENCH_BASELINE: another mdmwatch binary (an earlier build) measured the same way, for a
# before/after row. BENCH_BIN/BENCH_GEN/BENCH_SCAN: already-built binaries (quick iterations); the recorded
# figures are from the release build (LTO), which this builds by default.
# The whole-run rows need `--sysroot`, which only a build with debug assertions accepts: they use
# the release profile with debug assertions on (profile bench-sysroot, or BENCH_RUN_BIN);
# BENCH_BASELINE must accept it too.
if [ -n "${BENCH_BIN:-}" ] && [ -n "${BENCH_GEN:-}" ] && [ -n "${BENCH_SCAN:-}" ]; then
  BIN="$BENCH_BIN"; GEN="$BENCH_GEN"; SCAN="$BENCH_SCAN"; RUN_BIN="${BENCH_RUN_BIN:-$BENCH_BIN}"
else
  cargo build --release --quiet --features reference --bin mdmwatch --example genlog --example logscan
  BIN="target/release/mdmwatch"; GEN="target/release/examples/genlog"; SCAN="target/release/examples/logscan"
  if [ -n "${BENCH_RUN_BIN:-}" ]; then
    RUN_BIN="$BENCH_RUN_BIN"
  else
    cargo build --profile bench-sysroot --quiet --bin mdmwatch
    RUN_BIN="target/bench-sysroot/mdmwatch"
  fi
fi

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime | sed 's/.*averages*: //'; }
cpu_model=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || sysctl -n machdep.cpu.brand_string 2>/dev/null || echo unknown)
cores=$(nproc 2>/dev/null || sysctl -n hw.ncpu)
machine="$(uname -sm), $cores cores, $cpu_model"
load_start=$(load)

now() { date +%s%N; }
secs() { awk "BEGIN{printf \"%.4f\\n\", ($2 - $1) / 1e9}"; }
# One timed run: wall seconds to $WORK/t, max RSS (KiB) and user+sys CPU seconds (this process
# and its waited-for children) to $WORK/r. Output goes to a file: GNU grep stops at the first
# match when stdout is /dev/null. GNU time prints "Command exited with non-zero status N" first
# when the command fails (mdmwatch exits 1 when it finds problems), so only its last line is read.
run1() {
  t0=$(now)
  /usr/bin/time -f '%M %U %S' -o "$WORK/time.txt" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || true
  t1=$(now)
  secs "$t0" "$t1" > "$WORK/t"
  tail -n 1 "$WORK/time.txt" | awk '{ printf "%d %.3f\n", $1, $2 + $3 }' > "$WORK/r"
}
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.4f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk "BEGIN{ if ($2 == 0) print \"n/a\"; else printf \"%.2f\\n\", $1 / $2 }"; }
maxkib() { sort -n | tail -n 1; }

rows_md=""
rows_json=""
# row CASE MDMWATCH REFERENCE RATIO JQ VS_JQ RSS
row() {
  printf '%-34s %-22s %-22s %-8s %-10s %-7s %s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7"
  rows_md="$rows_md| $1 | $2 | $3 | $4 | $5 | $6 | $7 |
"
}
printf '\nmdmwatch benchmark on %s (load %s)\n\n' "$machine" "$load_start"
printf '%-34s %-22s %-22s %-8s %-10s %-7s %s\n' case mdmwatch "reference" ratio jq "vs jq" "peak RSS"

for shape in dense compact sparse; do
  for size in $SIZES; do
    cap="$WORK/cap"
    rm -rf "$cap"
    "$GEN" "$cap" "$size" "$shape" 2>/dev/null
    log="$cap/log_mdmclient.stdout"
    mb=$(awk "BEGIN{printf \"%.1f\", $(wc -c < "$log") / 1048576}")
    : > "$WORK/g"; : > "$WORK/m"; : > "$WORK/q"; : > "$WORK/rss"; : > "$WORK/qr"; : > "$WORK/qs"; : > "$WORK/qf"; : > "$WORK/qb"; : > "$WORK/jq"
    i=0
    while [ "$i" -lt "$REPS" ]; do
      run1 grep -c 'Received HTTP response' "$log"; g=$(cat "$WORK/t")
      run1 "$BIN" diagnose --json --replay "$cap"; m=$(cat "$WORK/t"); cut -d' ' -f1 "$WORK/r" >> "$WORK/rss"
      echo "$g" >> "$WORK/g"; echo "$m" >> "$WORK/m"; ratio "$m" "$g" >> "$WORK/q"
      if [ -n "${BENCH_BASELINE:-}" ]; then
        run1 "$BENCH_BASELINE" diagnose --json --replay "$cap"; ratio "$(cat "$WORK/t")" "$g" >> "$WORK/qb"
      fi
      # Where the time goes: the reader alone, then reader + mdmclient summary (no start-up,
      # no other probe), each against this repetition's grep.
      run1 "$SCAN" "$log" read; ratio "$(cat "$WORK/t")" "$g" >> "$WORK/qr"
      run1 "$SCAN" "$log" mdm; ratio "$(cat "$WORK/t")" "$g" >> "$WORK/qs"
      run1 "$SCAN" "$log" mdm-reference; ratio "$(cat "$WORK/t")" "$g" >> "$WORK/qf"
      i=$((i + 1))
    done
    if [ "$HAVE_JQ" = 1 ]; then
      for _ in 1 2 3; do
        run1 jq -R -c 'fromjson? | select(.eventMessage? // "" | contains("HTTP response"))' "$log"
        cat "$WORK/t" >> "$WORK/jq"
      done
      j_t=$(median < "$WORK/jq")
    else
      j_t=0
    fi
    g_t=$(median < "$WORK/g"); m_t=$(median < "$WORK/m"); q=$(median < "$WORK/q")
    rss=$(maxkib < "$WORK/rss"); qr=$(median < "$WORK/qr"); qs=$(median < "$WORK/qs"); qf=$(median < "$WORK/qf")
    mbps=$(awk "BEGIN{ if ($m_t == 0) print \"n/a\"; else printf \"%.0f\", $mb / $m_t }")
    if [ "$HAVE_JQ" = 1 ]; then jcol="$j_t s"; vsjq="$(ratio "$m_t" "$j_t")x"; else jcol="skipped"; vsjq="-"; fi
    row "$shape $mb MB" "$m_t s ($mbps MB/s)" "grep -c $g_t s" "${q}x" "$jcol" "$vsjq" "$((rss / 1024)) MiB"
    rows_json="$rows_json{\"shape\":\"$shape\",\"mb\":$mb,\"mdmwatch_s\":$m_t,\"grep_s\":$g_t,\"ratio_vs_grep\":$q,\"jq_s\":$j_t,\"peak_rss_kib\":$rss,\"reader_ratio_vs_grep\":$qr,\"reader_summary_ratio_vs_grep\":$qs,\"reader_reference_fold_ratio_vs_grep\":$qf},"
    if [ -n "${BENCH_BASELINE:-}" ]; then
      row "  $shape $mb MB: baseline binary" "-" "grep -c" "$(median < "$WORK/qb")x" "-" "-" "-"
    fi
    row "  $shape $mb MB: reader alone" "-" "grep -c" "${qr}x" "-" "-" "-"
    row "  $shape $mb MB: reader + mdm_log" "-" "grep -c" "${qs}x" "-" "-" "-"
    row "  $shape $mb MB: reader + reference fold" "-" "grep -c" "${qf}x" "-" "-" "-"
    # Log bytes: the sparse capture is what the source predicate returns; the marker clause
    # (the mdmclient needles of src/parse/log_patterns.rs, mirrored here) keeps the lines
    # grep -F finds.
    if [ "$shape" = sparse ]; then
      printf '%s\n' "Received HTTP response" "Sending HTTP request" "Processing server request" \
        "Unable to create MDM identity" dentity "Rejecting MDM push dictionary" "[ERROR]" \
        NSURLErrorDomain > "$WORK/markers.txt"
      full_b=$(wc -c < "$log")
      push_b=$(grep -F -f "$WORK/markers.txt" "$log" | wc -c)
      bytes_last="$full_b $push_b"
    fi
    rm -rf "$cap"
  done
done

read -r full_b push_b <<EOF
$bytes_last
EOF
row "log bytes: + message markers" "$push_b B" "sources only $full_b B" "$(ratio "$push_b" "$full_b")x" "-" "-" "-"

# apsd: what `process == "apsd"` returns, read by the same reader, then summarised as the
# log_apsd probe is (apsd_log::summarize).
cap="$WORK/apsd"; rm -rf "$cap"
"$GEN" "$cap" 10 apsd 2>/dev/null
alog="$cap/log_apsd.stdout"
: > "$WORK/a"; : > "$WORK/ag"; : > "$WORK/as"; : > "$WORK/asg"
i=0
while [ "$i" -lt "$REPS" ]; do
  run1 grep -c 'Received message' "$alog"; g=$(cat "$WORK/t")
  run1 "$SCAN" "$alog" read; a=$(cat "$WORK/t")
  ratio "$a" "$g" >> "$WORK/ag"; echo "$a" >> "$WORK/a"
  run1 "$SCAN" "$alog" apsd; a=$(cat "$WORK/t")
  ratio "$a" "$g" >> "$WORK/asg"; echo "$a" >> "$WORK/as"
  i=$((i + 1))
done
apsd_b=$(wc -c < "$alog"); apsd_n=$(grep -c '^{"traceID"' "$alog")
apsd_t=$(median < "$WORK/a"); apsd_s=$(median < "$WORK/as")
row "apsd log $((apsd_b / 1048576)) MB ($apsd_n entries)" "$apsd_t s (reader)" "grep -c" "$(median < "$WORK/ag")x" "-" "-" "-"
row "  apsd log: reader + apsd_log" "$apsd_s s" "grep -c" "$(median < "$WORK/asg")x" "-" "-" "-"
rm -rf "$cap"

# A whole run over fake probes under a sysroot: each sleeps (waiting on the OS, as the real
# tools mostly do) and burns a known amount of CPU. The fake `log` models what `log show` costs:
# it charges wall time and CPU per minute of the window it is asked for (`--last Nm|Nh|Nd`, or
# `--start`), BENCH_LOG_MS_PER_MIN ms of sleep and BENCH_LOG_ITER_PER_MIN awk iterations per
# minute (the real tool decompresses and filters every chunk of its time range), printing its
# pre-generated output a tenth at a time over that sleep (`log show` prints as it reads): for
# mdmclient's predicate 5 MB of dense log, for apsd's 5 MB of apsd log, for softwareupdated's the
# header and trailer (quiet), for the union all of it under one header and trailer. Every call is
# recorded (window minutes, bytes printed) so the report counts the `log` processes of a run.
root="$WORK/sysroot"
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/bin" "$root/usr/libexec" "$root/out"
LOG_MS_PER_MIN="${BENCH_LOG_MS_PER_MIN:-10}"
LOG_ITER_PER_MIN="${BENCH_LOG_ITER_PER_MIN:-10000}"
"$GEN" "$WORK/gm" 5 dense 2>/dev/null; mv "$WORK/gm/log_mdmclient.stdout" "$root/out/mdm.ndjson"
"$GEN" "$WORK/ga" 5 apsd 2>/dev/null; mv "$WORK/ga/log_apsd.stdout" "$root/out/apsd.ndjson"
rm -rf "$WORK/gm" "$WORK/ga"
# softwareupdated quiet (no marker line in the window): the header and the trailer only. The
# union's output is what `log show` prints for it: one header, every stream's entries, one trailer.
printf '%s\n' 'Filtering the log data using "..."' '{"count":0,"finished":1}' > "$root/out/su.ndjson"
{
  echo 'Filtering the log data using "..."'
  grep -h '^{' "$root/out/mdm.ndjson" "$root/out/apsd.ndjson" | grep -v '"finished"'
  echo "{\"count\":$(cat "$root/out/mdm.ndjson" "$root/out/apsd.ndjson" | grep -c '^{"traceID"'),\"finished\":1}"
} > "$root/out/union.ndjson"
# (GNU split; elsewhere the output is printed in one piece after the whole charge.)
for f in "$root"/out/*.ndjson; do split -n l/10 -d "$f" "$f.part" 2>/dev/null || cp "$f" "$f.part00"; done
# CPU: an awk loop of N iterations (about 0.1 s per million on a current core).
mk() { printf '#!/bin/sh\nsleep %s\nawk "BEGIN{for(i=0;i<%s;i++)s+=i}"\n%s\n' "$2" "$3" "${4:-}" > "$root$1"; chmod 755 "$root$1"; }
mk /usr/bin/sw_vers 0.2 200000 "printf 'ProductName:\tmacOS\nProductVersion:\t15.1\nBuildVersion:\t24B83\n'"
mk /usr/sbin/sysctl 0.1 100000 "echo 1"
mk /usr/bin/profiles 0.3 300000 "echo 'Enrolled via DEP: No'; echo 'MDM enrollment: No'"
cat > "$root/usr/bin/log" <<FAKELOG
#!/bin/sh
root="$root"
args="\$*"
min=\$(printf '%s\n' "\$args" | sed -n 's/.*--last \([0-9][0-9]*\)\([mhd]\).*/\1 \2/p')
case "\$min" in
  *" h") min=\$(( \${min% h} * 60 ));;
  *" d") min=\$(( \${min% d} * 1440 ));;
  *" m") min=\${min% m};;
  *) start=\$(printf '%s\n' "\$args" | sed -n 's/.*--start \([0-9-]* [0-9:]*\).*/\1/p')
     if [ -n "\$start" ]; then min=\$(( (\$(date +%s) - \$(date -d "\$start" +%s)) / 60 )); else min=90; fi;;
esac
awk "BEGIN{for(i=0;i<\$min * $LOG_ITER_PER_MIN;i++)s+=i}"
case "\$args" in
  *") OR ("*) file="\$root/out/union.ndjson";;
  *ApplePushService.framework/apsd*) file="\$root/out/apsd.ndjson";;
  *softwareupdated*) file="\$root/out/su.ndjson";;
  *) file="\$root/out/mdm.ndjson";;
esac
echo "\$min \$(wc -c < "\$file")" >> "\$root/log_calls"
# Printed as it is read: one part of the output after each equal share of the charged time.
parts=\$(ls "\$file".part* | wc -l)
each=\$(awk "BEGIN{print \$min * $LOG_MS_PER_MIN / 1000 / \$parts}")
for part in "\$file".part*; do sleep "\$each"; cat "\$part"; done
FAKELOG
chmod 755 "$root/usr/bin/log"
mk /bin/launchctl 0.2 200000
mk /usr/bin/pmset 0.1 100000 "echo \"Now drawing from 'AC Power'\""
mk /usr/sbin/diskutil 0.3 300000
mk /usr/libexec/mdmclient 0.5 500000
# Each probe's own cost, alone (times the calls diagnose makes: sysctl twice, profiles three
# times, launchctl twice; `log` is measured per call below, once per process a run starts).
probes_cpu=0; slowest=0
for spec in sw_vers:usr/bin:1 sysctl:usr/sbin:2 profiles:usr/bin:3 launchctl:bin:2 \
  pmset:usr/bin:1 diskutil:usr/sbin:1 mdmclient:usr/libexec:1; do
  name=${spec%%:*}; rest=${spec#*:}; dir=${rest%%:*}; calls=${rest#*:}
  : > "$WORK/pc"; : > "$WORK/pw"
  for _ in 1 2 3; do
    run1 "$root/$dir/$name"; cut -d' ' -f2 "$WORK/r" >> "$WORK/pc"; cat "$WORK/t" >> "$WORK/pw"
  done
  c=$(median < "$WORK/pc"); w=$(median < "$WORK/pw")
  probes_cpu=$(awk "BEGIN{printf \"%.3f\", $probes_cpu + $c * $calls}")
  slowest=$(awk "BEGIN{print ($w > $slowest) ? $w : $slowest}")
done
# The fake `log` alone, once per shape of call (one stream; the union), 3 times each.
log_cost() {
  : > "$WORK/pc"; : > "$WORK/pw"
  for _ in 1 2 3; do
    run1 "$root/usr/bin/log" show --style ndjson --info --last 96m --predicate "$1"
    cut -d' ' -f2 "$WORK/r" >> "$WORK/pc"; cat "$WORK/t" >> "$WORK/pw"
  done
  rm -f "$root/log_calls"
  echo "$(median < "$WORK/pc") $(median < "$WORK/pw")"
}
read -r log1_cpu log1_wall <<LOGCOST
$(log_cost 'processImagePath == "/usr/libexec/mdmclient"')
LOGCOST
read -r logu_cpu logu_wall <<LOGCOST
$(log_cost '(processImagePath == "/usr/libexec/mdmclient") OR (processImagePath == "/System/Library/PrivateFrameworks/ApplePushService.framework/apsd")')
LOGCOST
# cost_run BIN LABEL: median wall, total CPU and mdmwatch's own CPU of REPS runs of BIN, with the
# number of `log` processes per run, the minutes each read and the bytes they returned.
cost_run() {
  : > "$WORK/rw"; : > "$WORK/rc"; : > "$WORK/rr"
  rm -f "$root/log_calls"
  state="$WORK/state-$2.json"
  i=0
  while [ "$i" -lt "$REPS" ]; do
    # A scheduled run: the channel history says the previous run ended 95 minutes ago.
    prev=$(date -u -d '-95 minutes' +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -v-95M +%Y-%m-%dT%H:%M:%SZ)
    printf '{"version":1,"channel_history":{"since":"%s","last_run_end":"%s"}}\n' "$prev" "$prev" > "$state"
    run1 "$1" diagnose --json --sysroot "$root" --state "$state"
    cat "$WORK/t" >> "$WORK/rw"; cut -d' ' -f2 "$WORK/r" >> "$WORK/rc"; cut -d' ' -f1 "$WORK/r" >> "$WORK/rr"
    i=$((i + 1))
  done
  calls=$(awk -v r="$REPS" 'END{ printf "%g", NR / r }' "$root/log_calls")
  minutes=$(awk -v n="$calls" 'NR <= n { m = m (m == "" ? "" : " + ") $1 } END{ print m }' "$root/log_calls")
  bytes=$(awk -v r="$REPS" '{ b += $2 } END{ printf "%d", b / r }' "$root/log_calls")
  wall=$(median < "$WORK/rw"); cpu=$(median < "$WORK/rc"); rss=$(maxkib < "$WORK/rr")
  if [ "$calls" = 1 ]; then lc=$logu_cpu; lslow=$logu_wall; else lc=$log1_cpu; lslow=$log1_wall; fi
  pc=$(awk "BEGIN{printf \"%.3f\", $probes_cpu + $lc * $calls}")
  own=$(awk "BEGIN{ d = $cpu - $pc; printf \"%.3f\", (d < 0) ? 0 : d }")
  slow=$(awk "BEGIN{print ($lslow > $slowest) ? $lslow : $slowest}")
  row "run ($2): wall" "$wall s" "slowest probe $slow s" "$(ratio "$wall" "$slow")x" "-" "-" "$((rss / 1024)) MiB"
  row "run ($2): CPU, mdmwatch own" "$own s (total $cpu s)" "probes $pc s" "$(ratio "$own" "$pc")x" "-" "-" "-"
  row "run ($2): log show" "$calls processes, $minutes min" "$bytes B returned" "-" "-" "-" "-"
  cost_json="$cost_json\"$2\":{\"wall_s\":$wall,\"slowest_probe_s\":$slow,\"total_cpu_s\":$cpu,\"probes_cpu_s\":$pc,\"own_cpu_s\":$own,\"peak_rss_kib\":$rss,\"log_processes\":$calls,\"log_minutes\":\"$minutes\",\"log_bytes\":$bytes},"
  run_wall=$wall; run_cpu=$cpu; run_rss=$rss; own_cpu=$own; run_slowest=$slow
}
cost_json=""
if [ -n "${BENCH_BASELINE:-}" ]; then
  cost_run "$BENCH_BASELINE" before
fi
cost_run "$RUN_BIN" this

size_bytes=$(wc -c < "$BIN")
start=$(now); i=0
while [ $i -lt 50 ]; do "$BIN" -version >/dev/null; i=$((i + 1)); done
startup_ms=$(awk "BEGIN{printf \"%.2f\", ($(now) - $start) / 50 / 1000000}")
row "start-up (-version, mean of 50)" "$startup_ms ms" "-" "-" "-" "-" "-"
load_end=$(load)
printf '\nrelease binary %s bytes; load at start %s, at end %s\n' "$size_bytes" "$load_start" "$load_end"

date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf '{"date":"%s","machine":"%s","load_start":"%s","load_end":"%s","reps":%s,"logs":[%s],"log_bytes":{"sources_only":%s,"with_markers":%s},"apsd":{"bytes":%s,"entries":%s,"reader_s":%s,"summary_s":%s},"run":{"wall_s":%s,"slowest_probe_s":%s,"total_cpu_s":%s,"probes_cpu_s":%s,"own_cpu_s":%s,"peak_rss_kib":%s},"cost":{%s},"binary_bytes":%s,"startup_ms":%s}\n' \
  "$date_utc" "$machine" "$load_start" "$load_end" "$REPS" "${rows_json%,}" "$full_b" "$push_b" "$apsd_b" "$apsd_n" "$apsd_t" "$apsd_s" \
  "$run_wall" "$run_slowest" "$run_cpu" "$probes_cpu" "$own_cpu" "$run_rss" "${cost_json%,}" "$size_bytes" "$startup_ms" > "$OUT_DIR/results.json"
{
  echo "# Benchmark results"
  echo
  echo "Latest run of \`scripts/bench.sh\`: $date_utc on $machine; load average (1, 5, 15 min) $load_start at the start, $load_end at the end; medians of $REPS paired repetitions (jq: of 3)."
  echo
  echo "| case | mdmwatch | reference | ratio | jq | vs jq | peak RSS |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s' "$rows_md"
  echo
  echo "- dense/compact/sparse rows: \`mdmwatch diagnose --json --replay\` over a generated capture (dense: full-size entries of about 790 bytes, every one a marker line; compact: about 660 bytes, short messages, every one a marker line; sparse: 98 % chatter); ratio: median of the per-repetition ratios to \`grep -c\` over the same file, run back to back. The baseline binary rows run BENCH_BASELINE, which for the whole-run rows must accept \`--sysroot\` (a build with debug assertions): compare them with care."
  echo "- reader rows: examples/logscan over the same file (no start-up, no other probe): the ndjson reader alone, with \`mdm_log::summarize\`, and with \`mdm_log::summarize_reference\` (the straightforward fold the summary is tested equal to: the summariser before its optimisation); ratio to \`grep -c\` as above."
  echo "- log bytes: the sparse capture is what the source predicate returns; the markers keep what \`grep -F\` of the mdmclient needles (\`log_patterns\`) keeps."
  echo "- apsd: a generated apsd log (its exact image path) read by the ndjson reader alone (examples/logscan read), and summarised by \`apsd_log::summarize\` (examples/logscan apsd)."
  echo "- run: \`diagnose --json --sysroot --state\` (the release profile with debug assertions on, the only optimised build that accepts \`--sysroot\`) over fake probes that sleep and burn CPU, as a scheduled run: the state file says the previous run ended 95 minutes before. The fake \`log\` charges $LOG_MS_PER_MIN ms of sleep and $LOG_ITER_PER_MIN awk iterations per minute of window and prints what the predicate asks for, a tenth after each tenth of that time: 5 MB of dense mdmclient log, 5 MB of apsd log, softwareupdated quiet (header and trailer), or for the union all of it under one header and trailer. Probes' CPU is each fake alone (median of 3) times the calls a run makes (\`log\` calls counted from its own record); mdmwatch's own CPU is the run's total (GNU time: it and its children) minus that. \`before\`: BENCH_BASELINE (a build before one \`log show\` per run); \`this\`: this build."
  echo "- release binary: $size_bytes bytes."
} > "$OUT_DIR/RESULTS.md"
echo "wrote $OUT_DIR/results.json and $OUT_DIR/RESULTS.md"
rm -rf "$WORK"
