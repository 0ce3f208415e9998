#!/usr/bin/env bash
# enforce.sh — wall-time cost of `sctrace run` enforcing a profile, measured in one run:
#
#   bash bench/enforce.sh [RUNS]      # RUNS per command, default 5; prints medians and ratios
#
# 1. steady state: `sctrace run` (--on-deny errno) with the workload's own profile, so no call
#    reaches sctrace, against bench/allow-floor.c (a one-instruction allow-all seccomp filter:
#    the least any enforcing launcher can cost) and against the workload alone; on the getppid
#    loop (2 000 000 calls) and a file walk (find /usr -xdev).
# 2. denial round trip: bench/denyloop.c makes N getpgid(0) calls; its profile is recorded with
#    N=0, so under `sctrace run --on-deny errno` each call goes to sctrace and fails with EPERM.
#    Latency = (time with N denials - time with N=0) / N, for the user-notification supervisor
#    (the default) and the ptrace one (SCTRACE_SUPERVISOR=ptrace).
# 3. `sctrace run --on-deny report` (no -o) on denyloop with 0 and with 1000 denials, both
#    supervisors.
#
# The commands of one part run interleaved (one run of each in turn, RUNS rounds), so drift on a
# shared, noisy machine hits them alike: compare ratios from the same run only. sctrace's stderr
# (one line per distinct denied call and a summary) is discarded in the timed runs; each
# configuration is run once beforehand, untimed, to check that it exits 0 and, where it should,
# that sctrace counted the expected number of denials. Not a test: nothing here fails on a number.
set -euo pipefail
runs=${1:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$top" && go build -o "$work/sctrace" ./cmd/sctrace)
cc -O2 -o "$work/getppid-loop" "$top/testprogs/src/getppidloop.c"
cc -O2 -o "$work/denyloop" "$top/bench/denyloop.c"
cc -O2 -o "$work/allow-floor" "$top/bench/allow-floor.c"
sct=$work/sctrace
denials=100000 # denials timed for the round-trip latency
reports=1000   # denials in the report-mode workload

# now_us prints the wall clock in microseconds (bash's own, no fork).
now_us() { echo "${EPOCHREALTIME/./}"; }

# interleave NAME CMD NAME CMD ...: runs each command (a string for eval) once per round, $runs
# rounds, output discarded, and sets med[NAME] to the command's median wall time in µs.
declare -A med
interleave() {
	local -a names=() cmds=()
	while (($# >= 2)); do names+=("$1"); cmds+=("$2"); shift 2; done
	local -A times=()
	local r k t0 t1
	for ((r = 0; r < runs; r++)); do
		for k in "${!cmds[@]}"; do
			t0=$(now_us)
			eval "${cmds[k]}" >/dev/null 2>&1 || true
			t1=$(now_us)
			times[$k]+="$((t1 - t0)) "
		done
	done
	for k in "${!names[@]}"; do
		med[${names[k]}]=$(printf '%s\n' ${times[$k]} | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
	done
}

# ms US prints microseconds as milliseconds.
ms() { awk -v u="$1" 'BEGIN {printf "%.1f", u / 1000}'; }

# check WANT CMD: runs the command (a string for eval) once, untimed, and warns if it does not
# exit 0, or if sctrace's summary does not count exactly WANT denials (with WANT 0: names any).
check() {
	local want=$1 cmd=$2 rc=0
	eval "$cmd" >/dev/null 2>"$work/check.err" || rc=$?
	if ((rc != 0)); then
		echo "   WARNING: exit status $rc: $cmd" >&2
		sed 's/^/     /' "$work/check.err" | head -5 >&2
	elif ((want > 0)) && ! grep -q "made ($want times)" "$work/check.err"; then
		echo "   WARNING: sctrace did not count $want denials: $cmd" >&2
		sed 's/^/     /' "$work/check.err" | head -5 >&2
	elif ((want == 0)) && grep -q "lacks" "$work/check.err"; then
		echo "   WARNING: calls reached sctrace where none should: $cmd" >&2
		sed 's/^/     /' "$work/check.err" | head -5 >&2
	fi
}

# steady NAME CMD: `sctrace run` with the workload's own profile against allow-floor and bare.
steady() {
	local name=$1 cmd=$2
	"$sct" record -q -o "$work/own.json" -- $cmd >/dev/null 2>&1 || true
	local run="$sct run -q --profile $work/own.json -- $cmd"
	check 0 "$run"
	interleave bare "$cmd" floor "$work/allow-floor $cmd" run "$run"
	echo "== $name, enforcing its own profile (median of $runs, ms): bare $(ms "${med[bare]}")  allow-floor $(ms "${med[floor]}")  run $(ms "${med[run]}")"
	awk -v b="${med[bare]}" -v f="${med[floor]}" -v r="${med[run]}" 'BEGIN {
		printf "   run / allow-floor  %.3fx   (target <= 1.03x)\n", r / f
		printf "   run / bare         %.3fx   (any seccomp filter costs allow-floor/bare = %.3fx)\n", r / b, f / b
	}'
}

steady "getppid-loop 2000000" "$work/getppid-loop 2000000"
steady "find /usr -xdev (file walk)" "find /usr -xdev"

# The denyloop profile: recorded with no denials, so it lacks getpgid.
"$sct" record -q -o "$work/deny.json" -- "$work/denyloop" 0 >/dev/null 2>&1
if grep -q '"getpgid"' "$work/deny.json"; then
	echo "WARNING: the denyloop profile records getpgid: nothing below is denied" >&2
fi
notify="$sct run -q --profile $work/deny.json"
ptrace="SCTRACE_SUPERVISOR=ptrace $sct run -q --profile $work/deny.json"

check 0 "$notify -- $work/denyloop 0"
check "$denials" "$notify -- $work/denyloop $denials"
check 0 "$ptrace -- $work/denyloop 0"
check "$denials" "$ptrace -- $work/denyloop $denials"
interleave n0 "$notify -- $work/denyloop 0" nN "$notify -- $work/denyloop $denials" \
	p0 "$ptrace -- $work/denyloop 0" pN "$ptrace -- $work/denyloop $denials"
echo "== denial round trip, --on-deny errno, $denials getpgid calls (median of $runs, ms): notify $(ms "${med[n0]}") + $(ms "$((med[nN] - med[n0]))")  ptrace $(ms "${med[p0]}") + $(ms "$((med[pN] - med[p0]))")"
awk -v n0="${med[n0]}" -v nN="${med[nN]}" -v p0="${med[p0]}" -v pN="${med[pN]}" -v d="$denials" 'BEGIN {
	n = (nN - n0) / d; p = (pN - p0) / d
	printf "   notify supervisor  %.2f us per denial\n", n
	printf "   ptrace supervisor  %.2f us per denial\n", p
	if (p > 0) printf "   notify / ptrace    %.2fx\n", n / p
}'

for sup in notify ptrace; do
	check 0 "${!sup} --on-deny report -- $work/denyloop 0"
	check "$reports" "${!sup} --on-deny report -- $work/denyloop $reports"
done
interleave rn0 "$notify --on-deny report -- $work/denyloop 0" rnN "$notify --on-deny report -- $work/denyloop $reports" \
	rp0 "$ptrace --on-deny report -- $work/denyloop 0" rpN "$ptrace --on-deny report -- $work/denyloop $reports"
echo "== --on-deny report on denyloop (median of $runs, ms): 0 denials: notify $(ms "${med[rn0]}")  ptrace $(ms "${med[rp0]}");  $reports denials: notify $(ms "${med[rnN]}")  ptrace $(ms "${med[rpN]}")"
awk -v n0="${med[rn0]}" -v nN="${med[rnN]}" -v p0="${med[rp0]}" -v pN="${med[rpN]}" -v d="$reports" 'BEGIN {
	printf "   notify / ptrace, 0 denials     %.2fx\n", n0 / p0
	printf "   notify / ptrace, %d denials  %.2fx\n", d, nN / pN
	printf "   %d denials / 0 denials      notify %.2fx  ptrace %.2fx\n", d, nN / n0, pN / p0
}'
