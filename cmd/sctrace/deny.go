package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/arch/decode"
	"github.com/sctrace/sctrace/emit"
	"github.com/sctrace/sctrace/emit/audit"
	"github.com/sctrace/sctrace/learn"
	"github.com/sctrace/sctrace/tracer"
)

// ledger names the calls a profile lacks as `sctrace run` meets them: one line the first time
// each (arch, call, executable) comes, a count after that, and a summary at the end. Its methods
// are called from the supervisor's goroutine and the tracer's, so it locks.
type ledger struct {
	mu      sync.Mutex
	w       io.Writer
	profile string // the profile's file name, for the messages
	mode    string
	judge   *emit.Judge
	byKey   map[ledgerKey]*entry
	order   []*entry
	// denied: processes (pids) that had a call failed; later calls of theirs may be only the
	// program's reaction to that failure (explain -o does not add them to the profile).
	denied map[int]bool
	killed int // processes a filter verdict killed
	// rootKilled: the workload's first process was killed by a filter verdict.
	rootKilled bool
	// learned gives the arguments the profile allows a call with (nil: any, or not allowed).
	learned func(archName, call string) *learn.Args
	// quiet (run -q): the summary leaves out the line that says nothing was denied.
	quiet bool
}

// ledgerKey is what the ledger counts: a call of an executable, and for a call the profile has
// with learned arguments, each combination of them (combo).
type ledgerKey struct{ arch, call, exe, combo string }

type entry struct {
	ledgerKey
	first  string // the first occurrence, decoded
	pid    int
	count  int
	answer string
	// afterDenial: every occurrence came from a process after one of its calls had failed.
	afterDenial bool
}

func newLedger(w io.Writer, profile, mode string, judge *emit.Judge) *ledger {
	return &ledger{w: w, profile: profile, mode: mode, judge: judge, byKey: map[ledgerKey]*entry{},
		denied: map[int]bool{}}
}

// callName is how a call is named: arch, then the table's name or its number.
func callName(audit uint32, nr int) (archName, call string, a *arch.Arch, n int) {
	a, n = arch.Classify(audit, nr)
	if a == nil {
		return fmt.Sprintf("audit-%#08x", audit), strconv.Itoa(nr), nil, nr
	}
	if name, ok := a.SyscallName(n); ok {
		return a.Name, name, a, n
	}
	return a.Name, strconv.Itoa(n), a, n
}

// render decodes a call as strace would: mem is what the tracer read for it (decode.Peek's
// argument); the other paths of the call (rename's, link's second) are read now from thread tid,
// which is stopped or waiting for its answer (0: not).
func render(a *arch.Arch, n int, args [6]uint64, mem []byte, tid int) string {
	if a == nil {
		return fmt.Sprintf("syscall_%d(%#x, %#x, %#x, %#x, %#x, %#x)", n, args[0], args[1], args[2], args[3], args[4], args[5])
	}
	mems := map[int][]byte{}
	first := -1
	if i, _, _, _, ok := decode.Peek(a, n, args); ok && mem != nil {
		mems[i], first = mem, i
	}
	if tid > 0 {
		for _, i := range decode.PathArgs(a, n, args) {
			if i != first {
				if b := tracer.ReadString(tid, args[i], 4096); b != nil {
					mems[i] = b
				}
			}
		}
	}
	return decode.CallMems(a, n, args, mems)
}

// exeOf is the executable a process runs now, from /proc.
func exeOf(pid int) string {
	if p, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe"); err == nil {
		return strings.TrimSuffix(p, " (deleted)")
	}
	return "?"
}

// verdictText says what a filter verdict does to the call.
func verdictText(v emit.Action, mode string) (text string, denied bool) {
	if errno, ok := v.IsErrno(); ok {
		name := unixErrnoName(errno)
		if errno == emit.ENOSYS {
			return "failed with ENOSYS, as on a kernel without it", true
		}
		return "failed with " + name, true
	}
	switch v & 0xffff0000 {
	case emit.ActLog:
		return "allowed (" + mode + " mode)", false
	case emit.ActKillProcess, emit.ActKillThread:
		return "killed the process", true
	case emit.ActTrap:
		return "answered with SIGSYS", true
	}
	return "allowed", false
}

func unixErrnoName(n uint16) string {
	switch n {
	case emit.EPERM:
		return "EPERM"
	case emit.ENOSYS:
		return "ENOSYS"
	}
	return "errno " + strconv.Itoa(int(n)) + " (" + syscall.Errno(n).Error() + ")"
}

// note records one call the filter did not allow; it returns the verdict's errno (0: the call
// runs). ev.Pid and ev.Tid are the caller's.
func (l *ledger) note(ev *tracer.Event, v emit.Action, exe string) { l.noteAs(ev, v, exe, true) }

// noteAs is note; print false leaves the first occurrence unprinted (a kill prints its own line).
func (l *ledger) noteAs(ev *tracer.Event, v emit.Action, exe string, print bool) {
	archName, call, a, n := callName(ev.Audit, ev.Nr)
	answer, _ := verdictText(v, l.mode)
	if a != nil && v == emit.Errno(emit.ENOSYS) {
		if name, ok := a.SyscallName(n); ok {
			if fb, isFallback := emit.FallbackOf(name); isFallback {
				answer = "failed with ENOSYS, as on a kernel without it: the program falls back to " + fb
			}
		}
	}
	k := ledgerKey{archName, call, exe, l.comboOf(archName, call, ev.Args)}
	l.mu.Lock()
	defer l.mu.Unlock()
	after := l.denied[ev.Pid]
	if errno, failed := v.IsErrno(); failed && errno != emit.ENOSYS {
		// ENOSYS is what a kernel without the call answers: programs expect it and go on.
		l.denied[ev.Pid] = true
	}
	e := l.byKey[k]
	if e != nil {
		e.count++
		e.afterDenial = e.afterDenial && after
		return
	}
	e = &entry{ledgerKey: k, first: render(a, n, ev.Args, ev.Mem, ev.Tid), pid: ev.Pid, count: 1, answer: answer, afterDenial: after}
	l.byKey[k] = e
	l.order = append(l.order, e)
	if !print {
		return
	}
	what := call
	if a != nil {
		if _, named := a.SyscallName(n); !named {
			what = "call " + call + " (no name in sctrace's " + archName + " table)"
		}
	}
	if k.combo != "" {
		fmt.Fprintf(l.w, "sctrace: %s allows %s %s only with other arguments: %s (%s) called %s: %s\n", l.profile, archName, what, who(ev), exe, e.first, answer)
		return
	}
	fmt.Fprintf(l.w, "sctrace: %s lacks %s %s: %s (%s) called %s: %s\n", l.profile, archName, what, who(ev), exe, e.first, answer)
}

// comboOf is, for a call the profile allows only with learned arguments, the combination of
// them this call has ("" otherwise).
func (l *ledger) comboOf(archName, call string, args [6]uint64) string {
	if l.learned == nil {
		return ""
	}
	a := l.learned(archName, call)
	if a == nil || a.Widened {
		return ""
	}
	v := make([]uint64, len(a.Index))
	for i, idx := range a.Index {
		v[i] = args[idx] & a.Mask[i]
	}
	return audit.DescribeValues(archName, call, a.Index, v)
}

// killedBy says that a filter killed process pid (running exe) at the call in ev (Nr -1: not
// readable here).
func (l *ledger) killedBy(ev *tracer.Event, exe string, root bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if root {
		l.rootKilled = true
	}
	l.killed++
	if ev.Nr < 0 && ev.Audit == 0 {
		fmt.Fprintf(l.w, "sctrace: seccomp killed %s (%s) at a call sctrace could not read on this machine\n", who(ev), exe)
		return
	}
	archName, call, a, n := callName(ev.Audit, ev.Nr)
	combo := l.comboOf(archName, call, ev.Args)
	lacks := "lacks " + call
	if combo != "" {
		lacks = "allows " + call + " only with other arguments"
	}
	fmt.Fprintf(l.w, "sctrace: seccomp killed %s (%s) at %s %s: %s %s\n",
		who(ev), exe, archName, render(a, n, ev.Args, ev.Mem, ev.Tid), l.profile, lacks)
	if e := l.byKey[ledgerKey{archName, call, exe, combo}]; e != nil && !strings.Contains(e.answer, "killed") {
		e.answer += ", which killed it"
	}
}

// who names the caller: its process, and its thread when that is not the main one.
func who(ev *tracer.Event) string {
	if ev.Tid != 0 && ev.Tid != ev.Pid {
		return fmt.Sprintf("pid %d (thread %d)", ev.Pid, ev.Tid)
	}
	return fmt.Sprintf("pid %d", ev.Pid)
}

// afterFailure reports whether the process pid had a call failed before.
func (l *ledger) afterFailure(pid int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.denied[pid]
}

// summaryRow is one line of the summary: a call (with its arguments, for a call the profile
// allows only with others), made by one executable or more.
type summaryRow struct {
	arch, call, combo string
	entries           []*entry // in the order they came
	count             int
}

// summaryRows groups the ledger's entries, one per call and executable, into one row per call
// (and combination of arguments), sorted by arch and call: the summary's count says how many
// calls the profile lacks, and it prints that many rows.
func (l *ledger) summaryRows() []*summaryRow {
	byKey := map[ledgerKey]*summaryRow{}
	var rows []*summaryRow
	for _, e := range l.order {
		k := ledgerKey{arch: e.arch, call: e.call, combo: e.combo}
		r := byKey[k]
		if r == nil {
			r = &summaryRow{arch: e.arch, call: e.call, combo: e.combo}
			byKey[k] = r
			rows = append(rows, r)
		}
		r.entries = append(r.entries, e)
		r.count += e.count
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].arch != rows[j].arch {
			return rows[i].arch < rows[j].arch
		}
		return rows[i].call < rows[j].call
	})
	return rows
}

// notAdded reports whether an -o run left some of the row's occurrences out of the profile
// (an executable's every occurrence came after one of its process's calls had failed).
func (r *summaryRow) notAdded() bool {
	for _, e := range r.entries {
		if e.afterDenial {
			return true
		}
	}
	return false
}

// who says which executables made the row's call and what each got: "/bin/ls, /bin/cat:
// allowed (report mode)"; executables that got different answers in turn, separated by "; ".
func (r *summaryRow) who(out string) string {
	const maxNames = 3
	type group struct {
		answer string
		exes   []string
	}
	var groups []*group
	for _, e := range r.entries {
		answer := e.answer
		if e.afterDenial && out != "" {
			answer += " (made after an earlier call had failed: not added)"
		}
		var g *group
		for _, x := range groups {
			if x.answer == answer {
				g = x
			}
		}
		if g == nil {
			g = &group{answer: answer}
			groups = append(groups, g)
		}
		if len(r.entries) > 1 {
			g.exes = append(g.exes, fmt.Sprintf("%s (%d×)", e.exe, e.count))
		} else {
			g.exes = append(g.exes, e.exe)
		}
	}
	parts := make([]string, len(groups))
	for i, g := range groups {
		names := g.exes
		if len(names) > maxNames {
			names = append(names[:maxNames:maxNames], fmt.Sprintf("%d more", len(g.exes)-maxNames))
		}
		parts[i] = strings.Join(names, ", ") + ": " + g.answer
	}
	return strings.Join(parts, "; ")
}

// summary prints what the run met: the calls, the kills, and the command that adds the calls;
// with -o (out), what the profile written has that the profile run lacks (grown: newCalls).
func (l *ledger) summary(argv []string, out string, grown []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rows := l.summaryRows()
	notAdded := 0
	for _, r := range rows {
		if out != "" && r.notAdded() {
			notAdded++
		}
	}
	if out != "" {
		defer func() {
			if len(grown) == 0 {
				fmt.Fprintf(l.w, "sctrace: %s has nothing new: the same calls as %s\n", outName(out), l.profile)
			} else {
				fmt.Fprintf(l.w, "sctrace: %s is %s plus %s\n", outName(out), l.profile, describeNew(grown))
			}
			// New calls the list above does not name: the filter allowed them beside the
			// profile (learn.Complete, the timing-dependent calls, --widen), and a process
			// traced fully (refiner) made them.
			listed := map[string]bool{}
			for _, r := range rows {
				listed[r.arch+" "+r.call] = true
			}
			var beside []string
			for _, c := range grown {
				if !listed[c] && !strings.Contains(c, "(") {
					beside = append(beside, c)
				}
			}
			const why = "(what every program may need, the timing-dependent calls, --widen)"
			switch {
			case len(beside) > 0 && len(rows) > 0:
				fmt.Fprintf(l.w, "sctrace: %d of them (%s) %s not in the list above: the run allowed %s beside %s %s, and the workload made %s\n",
					len(beside), strings.Join(beside, ", "), isAre(len(beside)), itThem(len(beside)), l.profile, why, itThem(len(beside)))
			case len(beside) > 0:
				fmt.Fprintf(l.w, "sctrace: the run allowed %s beside %s %s, and the workload made %s\n",
					itThem(len(beside)), l.profile, why, itThem(len(beside)))
			}
			switch {
			case notAdded > 0:
				fmt.Fprintf(l.w, "sctrace: %s made after an earlier call had failed %s not added: the program may need %s, or make %s only "+
					"because of the failure; run it again with the result (or with --on-deny report, which fails nothing) until nothing new comes\n",
					plural(notAdded, "call", "calls"), wasWere(notAdded), itThem(notAdded), itThem(notAdded))
			case out != "-" && len(rows) > 0:
				fmt.Fprintf(l.w, "sctrace: enforce the result with: %s run --profile %s -- %s\n", invokedAs(), shellQuote(out), shellJoin(argv))
			}
		}()
	}
	if len(rows) == 0 {
		if l.killed == 0 && !l.quiet {
			// The summary of a run with nothing to list is one line, so that a run that
			// printed nothing else still says how it went.
			what := "nothing denied"
			if l.mode == "report" || l.mode == "log" {
				what = "nothing to report"
			}
			fmt.Fprintf(l.w, "sctrace: %s: the workload made no call %s lacks\n", what, l.profile)
		}
		return
	}
	total, combos := 0, 0
	for _, r := range rows {
		total += r.count
		if r.combo != "" {
			combos++
		}
	}
	what := plural(len(rows), "call", "calls")
	if combos > 0 {
		// A call the profile has, with other arguments: the row is that combination.
		what = plural(len(rows), "call or combination of arguments", "calls or combinations of arguments")
	}
	fmt.Fprintf(l.w, "sctrace: %s lacks %s the workload made (%s):\n", l.profile, what, plural(total, "time", "times"))
	const maxRows = 20
	// The call column as wide as its widest entry (a call with its arguments runs long).
	width := 18
	for i, r := range rows {
		if n := utf8.RuneCountInString(r.call) + 2 + utf8.RuneCountInString(r.combo); i < maxRows && r.combo != "" && n > width {
			width = n
		} else if i < maxRows && utf8.RuneCountInString(r.call) > width {
			width = utf8.RuneCountInString(r.call)
		}
	}
	for i, r := range rows {
		if i == maxRows {
			fmt.Fprintf(l.w, "  ... and %d more (listed above as they came)\n", len(rows)-maxRows)
			break
		}
		call := r.call
		if r.combo != "" {
			call += "(" + r.combo + ")"
		}
		fmt.Fprintf(l.w, "  %-7s %-*s %4d×  %s\n", r.arch, width, call, r.count, r.who(out))
	}
	cmd := invokedAs() + " run --profile " + shellQuote(l.profile) + " --on-deny report -o " + shellQuote(l.profile) + " -- " + shellJoin(argv)
	switch {
	case out != "":
	case l.mode == "report" || l.mode == "log":
		fmt.Fprintf(l.w, "sctrace: to add them to the profile: %s\n", cmd)
	default:
		fmt.Fprintf(l.w, "sctrace: if the workload needs them, add them (it runs with every call allowed, and only the new ones are added):\n  %s\n", cmd)
	}
}

// shellQuote and shellJoin quote for a POSIX shell (audit.ShellQuote).
func shellQuote(s string) string { return audit.ShellQuote(s) }

func shellJoin(argv []string) string { return audit.ShellJoin(argv) }

// outName is how the messages name an output file: "-" is stdout.
func outName(out string) string {
	if out == "-" {
		return "the profile written to stdout"
	}
	return out
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// invokedAs is sctrace as the user typed it (./sctrace after the README's build, sctrace from
// PATH), for the commands sctrace suggests: a bare "sctrace" did not run from a build directory.
func invokedAs() string {
	if len(os.Args) == 0 || os.Args[0] == "" {
		return "sctrace"
	}
	return shellQuote(os.Args[0])
}
