#!/usr/bin/env bash
# bench.sh — wall-time ratios of `sctrace record` against the workload alone, the floor tracer
# (the least work a seccomp + ptrace recorder can do) and strace, measured in one run.
#
#   bash bench/bench.sh [RUNS]        # RUNS per command, default 7; prints medians and ratios
#   BENCH_ONLY=record|enforce|start|inspect bash bench/bench.sh   # one part
#
# start: the start-up of `sctrace run` and `sctrace record` on /bin/true beside bench/golaunch,
# the smallest Go launcher of their shape (needs hyperfine, Debian package hyperfine).
#
# inspect: `sctrace inspect` of node (python3 without node), cold (empty cache), with the
# per-object summaries cached, and with the whole result cached (the defaults' second run).
#
# It also measures enforcement: `sctrace run` and `sctrace record --base` with the workload's own
# profile, against the workload alone.
#
# The machine is shared and noisy: compare ratios from the same run only. The floor tracer is
# bench/floor.c. Not a test: nothing here fails on a number.
set -euo pipefail
runs=${1:-7}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/sctrace" "$top/cmd/sctrace"
cc -O2 -o "$work/getppid-loop" "$top/testprogs/src/getppidloop.c"
cc -O2 -o "$work/allow-floor" "$top/bench/allow-floor.c"
cc -O2 -o "$work/floor" "$top/bench/floor.c"
(cd "$top" && go build -o "$work/golaunch" ./bench/golaunch)
floor="$work/floor"
times=()

# now_ns prints a monotonic-enough wall clock in nanoseconds.
now_ns() { date +%s%N; }

# interleaved CMD... runs each command (a string, eval'd; output discarded) $runs times, in
# turns: one run of each, then again, so that drift on a shared machine touches all alike. It
# sets times[i] to the median of command i, in ms.
interleaved() {
	local n=$# i r t0 t1 cmd
	local -a cmds=("$@") acc
	for ((r = 0; r < runs; r++)); do
		for ((i = 0; i < n; i++)); do
			cmd=${cmds[$i]}
			t0=$(now_ns)
			eval "$cmd" >/dev/null 2>&1 || true
			t1=$(now_ns)
			acc[$i]+="$(((t1 - t0) / 1000)) "
		done
	done
	times=()
	for ((i = 0; i < n; i++)); do
		times[$i]=$(printf '%s\n' ${acc[$i]} | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}')
	done
}

measure() {
	local name=$1; shift
	local q
	q=$(printf '%q ' "$@")
	interleaved "$q" "$work/sctrace record -q -o - -- $q" "strace -f --seccomp-bpf -e trace=all -qq -o /dev/null $q" "$floor $q" "FLOOR_READ=1 $floor $q"
	local bare=${times[0]} sct=${times[1]} str=${times[2]} flo=${times[3]} flr=${times[4]}
	echo "== $name (median of $runs, interleaved, ms): bare $bare  sctrace $sct  strace $str  floor $flo  floor reading each call $flr"
	awk -v b="$bare" -v s="$sct" -v t="$str" -v f="$flo" -v r="$flr" 'BEGIN {
		printf "   sctrace/bare   %.2fx\n", s / b
		printf "   sctrace/floor  %.2fx   (target <= 1.05x)\n", s / f
		printf "   sctrace/floor reading each call %.2fx   (that floor/floor %.2fx: the cost of PTRACE_GET_SYSCALL_INFO)\n", s / r, r / f
		printf "   sctrace/strace %.2fx   (target <= 0.5x)\n", s / t
	}'
}

# enforce CMD... : `sctrace run --on-deny errno` with the workload's own profile, and
# `sctrace record --base` with it, against the workload alone.
enforce() {
	local name=$1; shift
	local q
	q=$(printf '%q ' "$@")
	"$work/sctrace" record -q -o "$work/own.json" -- "$@" >/dev/null 2>&1 || true
	"$work/sctrace" record -q --syscalls-only -o "$work/own-s.json" -- "$@" >/dev/null 2>&1 || true
	interleaved "$q" "$work/allow-floor $q" "$work/sctrace run -q --profile $work/own.json -- $q" \
		"$work/sctrace record -q --base $work/own.json -o - -- $q" \
		"$work/sctrace record -q --syscalls-only --base $work/own-s.json -o - -- $q"
	local bare=${times[0]} allow=${times[1]} run=${times[2]} refine=${times[3]} refines=${times[4]}
	echo "== $name, enforcing its own profile (median of $runs, interleaved, ms): bare $bare  allow-all filter $allow  run $run  record --base $refine"
	awk -v b="$bare" -v a="$allow" -v r="$run" -v f="$refine" -v fs="$refines" 'BEGIN {
		printf "   run --on-deny errno / bare      %.3fx   (target <= 1.05x)\n", r / b
		printf "   run --on-deny errno / allow-all %.3fx   (target <= 1.03x; any seccomp filter costs allow-all/bare = %.3fx)\n", r / a, a / b
		printf "   record --base / bare            %.3fx   (target <= 1.10x)\n", f / b
		printf "   record --base --syscalls-only   %.3fx   (no file footprint to read, merge and write)\n", fs / b
	}'
}

case "${BENCH_ONLY:-all}" in
all | record)
	measure "getppid-loop 200000" "$work/getppid-loop" 200000
	measure "find /usr -type f (file walk)" find /usr -type f
	;;
esac
case "${BENCH_ONLY:-all}" in
all | enforce)
	enforce "getppid-loop 2000000" "$work/getppid-loop" 2000000
	enforce "find /usr -type f (file walk)" find /usr -type f
	;;
esac
case "${BENCH_ONLY:-all}" in
all | start)
	if command -v hyperfine >/dev/null; then
		"$work/sctrace" record -q -o "$work/true.json" -- /bin/true
		# Rounds of 30 runs of each command, in turns, so that drift on a shared machine
		# touches all three alike; the ratios are taken within a round, then their median.
		for ((r = 1; r <= 7; r++)); do
			hyperfine -N -w 5 -r 30 --export-json "$work/start$r.json" "$work/golaunch /bin/true" \
				"$work/sctrace run -q --profile $work/true.json -- /bin/true" \
				"$work/sctrace record -q -o /dev/null -- /bin/true" >/dev/null 2>&1
			awk 'BEGIN { RS = "\"median\": *" } NR > 1 { split($0, f, ","); m[NR - 1] = f[1] * 1000 }
				END { printf "%.3f %.3f %.3f %.4f %.3f\n", m[1], m[2], m[3], m[2] / m[1], m[3] - m[2] }' "$work/start$r.json"
		done >"$work/start.txt"
		sort -n -k4 "$work/start.txt" | awk '{ g[NR] = $1; r[NR] = $2; c[NR] = $3; q[NR] = $4; lo = (NR == 1 || $4 < lo) ? $4 : lo; hi = $4 }
			END { k = int((NR + 1) / 2)
			      printf "== start-up (medians of 30 runs, 7 rounds in turns; the round with the median ratio, ms): golaunch %.2f  run %.2f  record %.2f\n", g[k], r[k], c[k]
			      printf "   run / golaunch %.2fx (rounds: %.2f to %.2f)   (target <= 1.25x)\n", q[k], lo, hi }' 
		sort -n -k5 "$work/start.txt" | awk '{ d[NR] = $5 } END { printf "   record - run   %.2f ms (median of the rounds; %.2f to %.2f)   (target <= 2 ms)\n", d[int((NR + 1) / 2)], d[1], d[NR] }'
	else
		echo "== start-up: skipped (hyperfine is not installed)"
	fi
	;;
esac
case "${BENCH_ONLY:-all}" in
all | inspect)
	prog=$(command -v node || command -v python3)
	cold=() sums=() res=()
	for ((r = 0; r < runs; r++)); do
		rm -rf "$work/cache"
		t0=$(now_ns); "$work/sctrace" inspect --cache "$work/cache" --format json "$prog" >/dev/null; t1=$(now_ns)
		rm -f "$work/cache"/result-*
		"$work/sctrace" inspect --cache "$work/cache" --format json "$prog" >/dev/null; t2=$(now_ns)
		"$work/sctrace" inspect --cache "$work/cache" --format json "$prog" >/dev/null; t3=$(now_ns)
		cold+=($(((t1 - t0) / 1000000))) sums+=($(((t2 - t1) / 1000000))) res+=($(((t3 - t2) / 1000000)))
	done
	med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
	echo "== inspect $prog (median of $runs, ms): cold $(med "${cold[@]}") (target <= 5000)  summaries cached $(med "${sums[@]}")  result cached $(med "${res[@]}") (target <= 1000)"
	;;
esac
