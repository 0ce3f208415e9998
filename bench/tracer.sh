#!/usr/bin/env bash
# tracer.sh — what the tracer itself costs: peak RSS and CPU time (user+sys) of the sctrace
# process beside `strace -f -qq -o /dev/null`, on forks (dead tasks), concurrent threads (live
# tasks), a file walk and a syscall loop; and the wall-time ratio sctrace/strace.
#
#   bash bench/tracer.sh [RUNS]          # RUNS per cell, default 3; prints medians (~17 min)
#   BENCH_QUICK=1 bash bench/tracer.sh   # smaller sizes: a smoke run of about 2 minutes
#
# sctrace's numbers are its own getrusage(RUSAGE_SELF), not its children's: the binary appends
# "maxrss_kb user_s sys_s" to $SCTRACE_RUSAGE at exit. strace has no such hook, so it runs under
# GNU time (/usr/bin/time, Debian package `time`), whose rusage includes the workload strace
# waited for: the workload alone is measured the same way and its CPU subtracted; strace's RSS is
# printed as reported (max of the two). Without /usr/bin/time those columns are skipped.
#
# The machine is shared and noisy: compare numbers from the same run only. Not a test: nothing
# here fails on a number.
set -euo pipefail
runs=${1:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/sctrace" "$top/cmd/sctrace"
cc -O2 -o "$work/forks" "$top/testprogs/src/forks.c"
cc -O2 -pthread -o "$work/threads" "$top/testprogs/src/manythreads.c"
cc -O2 -o "$work/getppid-loop" "$top/testprogs/src/getppidloop.c"

if [ -n "${BENCH_QUICK:-}" ]; then
	forks_small=100 forks_big=3000 threads_small=200 threads_big=500 tree=/usr/share calls=200000
else
	forks_small=1000 forks_big=30000 threads_small=200 threads_big=2000 tree=/usr calls=2000000
fi

gnutime=""
if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' -o /dev/null true 2>/dev/null; then
	gnutime=/usr/bin/time
else
	echo "note: GNU time (/usr/bin/time, Debian package \`time\`) is missing: strace's RSS and CPU are skipped"
fi
have_strace=""
if command -v strace >/dev/null; then
	have_strace=1
else
	echo "note: strace is missing: its columns are skipped"
fi

# now_ns prints a monotonic-enough wall clock in nanoseconds.
now_ns() { date +%s%N; }

# median prints the median of the numbers on stdin (the mean of the middle two for an even
# count), or nothing if there are none.
median() {
	sort -g | awk '{a[NR] = $1} END {
		if (NR == 0) exit
		if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2
	}'
}

# timed OUT CMD... runs CMD under GNU time (output discarded) and appends "rss_kb cpu_s wall_s"
# to OUT; without GNU time, only the wall time, after two dashes.
timed() {
	local out=$1 t0 t1; shift
	t0=$(now_ns)
	if [ -n "$gnutime" ]; then
		"$gnutime" -f '%M %U %S' -o "$work/time" "$@" >/dev/null 2>&1 || true
	else
		"$@" >/dev/null 2>&1 || true
	fi
	t1=$(now_ns)
	if [ -n "$gnutime" ]; then
		# A workload that exits non-zero gets a line "Command exited with …" first.
		tail -n 1 "$work/time" | awk -v w=$((t1 - t0)) '{printf "%d %.3f %.3f\n", $1, $2 + $3, w / 1e9}' >>"$out"
	else
		awk -v w=$((t1 - t0)) 'BEGIN {printf "- - %.3f\n", w / 1e9}' >>"$out"
	fi
}

# traced OUT CMD... runs CMD under `sctrace record` and appends sctrace's own "rss_kb cpu_s
# wall_s" to OUT (nothing if sctrace wrote no rusage; its own errors are passed on to stderr).
traced() {
	local out=$1 t0 t1; shift
	rm -f "$work/rusage"
	t0=$(now_ns)
	SCTRACE_RUSAGE=$work/rusage "$work/sctrace" record -q -o /dev/null -- "$@" >/dev/null 2>"$work/stderr" || true
	t1=$(now_ns)
	grep '^sctrace:' "$work/stderr" >&2 || true
	if [ -s "$work/rusage" ]; then
		tail -n 1 "$work/rusage" | awk -v w=$((t1 - t0)) '{printf "%d %.3f %.3f\n", $1, $2 + $3, w / 1e9}' >>"$out"
	fi
}

# col FILE N prints the median of column N of FILE ("-" lines and a missing file give nothing).
col() {
	[ -f "$1" ] || return 0
	awk -v n="$2" '$n != "-" {print $n}' "$1" | median
}

names=() rows=()

# measure NAME CMD... : RUNS rounds of (workload alone, sctrace, strace), interleaved so that
# drift on the machine touches all three alike, after one untimed warm-up run (caches).
measure() {
	local name=$1 k=${#names[@]}; shift
	names+=("$name")
	"$@" >/dev/null 2>&1 || true
	for ((i = 0; i < runs; i++)); do
		timed "$work/$k.bare" "$@"
		traced "$work/$k.sct" "$@"
		[ -z "$have_strace" ] || timed "$work/$k.str" strace -f -qq -o /dev/null "$@"
	done
	rows+=("$(col "$work/$k.sct" 1)|$(col "$work/$k.str" 1)|$(col "$work/$k.sct" 2)|$(col "$work/$k.str" 2)|$(col "$work/$k.bare" 2)|$(col "$work/$k.sct" 3)|$(col "$work/$k.str" 3)|$(col "$work/$k.bare" 3)|$(col "$work/$k.bare" 1)")
	echo "  done: $name" >&2
}

echo "targets (project issue): sctrace RSS <= 12 MiB on each workload, flat in the number of calls"
echo "and of dead tasks; sctrace CPU about half of strace's (CPU ratio ~0.5)."
echo "sizes: ${BENCH_QUICK:+BENCH_QUICK, }median of $runs runs per cell; $(nproc) CPUs, $(uname -r)"
measure "forks $forks_small" "$work/forks" "$forks_small"
measure "forks $forks_big" "$work/forks" "$forks_big"
measure "threads $threads_small" "$work/threads" "$threads_small"
measure "threads $threads_big" "$work/threads" "$threads_big"
measure "find $tree -type f" find "$tree" -type f
measure "getppid $calls" "$work/getppid-loop" "$calls"

echo
printf '%-24s | %15s | %17s | %13s | %15s | %18s\n' workload "sctrace RSS MiB" "strace RSS MiB[1]" "sctrace CPU s" "strace CPU s[2]" "sctrace/strace CPU"
printf '%s\n' "-------------------------+-----------------+-------------------+---------------+-----------------+-------------------"
for k in "${!names[@]}"; do
	IFS='|' read -r srss trss scpu tcpu bcpu _ <<<"${rows[$k]}"
	awk -v n="${names[$k]}" -v srss="$srss" -v trss="$trss" -v scpu="$scpu" -v tcpu="$tcpu" -v bcpu="$bcpu" 'BEGIN {
		net = (tcpu != "" && bcpu != "") ? tcpu - bcpu : ""
		printf "%-24s | %15s | %17s | %13s | %15s | %18s\n", n,
			srss != "" ? sprintf("%.1f", srss / 1024) : "n/a",
			trss != "" ? sprintf("%.1f", trss / 1024) : "-",
			scpu != "" ? sprintf("%.2f", scpu) : "n/a",
			net != "" ? sprintf("%.2f", net) : "-",
			(scpu != "" && net != "" && net > 0) ? sprintf("%.2fx", scpu / net) : "-"
	}'
done
echo
printf '%-24s | %12s | %11s | %14s | %13s | %19s\n' workload "bare RSS MiB" "bare wall s" "sctrace wall s" "strace wall s" "sctrace/strace wall"
printf '%s\n' "-------------------------+--------------+-------------+----------------+---------------+--------------------"
for k in "${!names[@]}"; do
	IFS='|' read -r _ _ _ _ _ swall twall bwall brss <<<"${rows[$k]}"
	awk -v n="${names[$k]}" -v s="$swall" -v t="$twall" -v b="$bwall" -v r="$brss" 'BEGIN {
		printf "%-24s | %12s | %11s | %14s | %13s | %19s\n", n,
			r != "" ? sprintf("%.1f", r / 1024) : "-",
			b != "" ? sprintf("%.2f", b) : "-",
			s != "" ? sprintf("%.2f", s) : "n/a",
			t != "" ? sprintf("%.2f", t) : "-",
			(s != "" && t != "" && t > 0) ? sprintf("%.2fx", s / t) : "-"
	}'
done
echo
echo "[1] strace's RSS is GNU time's, which is max(strace, workload): the workloads are small C"
echo "    programs, except find; where it equals \"bare RSS\" below (the workload alone), it is the"
echo "    workload's (find, 2000 threads with their stacks), and strace's own is at most that."
echo "[2] strace's CPU is (strace run - workload alone), the medians of each, from GNU time."
echo "sctrace's columns are the sctrace process alone (SCTRACE_RUSAGE, RUSAGE_SELF); its ticker"
echo "helper, a second small process, is not counted. Wall times include process start-up."
