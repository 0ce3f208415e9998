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

// summary prints what the run met: the calls, the kills, and the command that adds the calls.
func (l *ledger) summary(argv []string, out, added string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	notAdded := 0
	for _, e := range l.order {
		if e.afterDenial && out != "" {
			notAdded++
		}
	}
	if out != "" {
		defer func() {
			if added == "no new calls" {
				fmt.Fprintf(l.w, "sctrace: %s has nothing new: the same calls as %s\n", outName(out), l.profile)
			} else {
				fmt.Fprintf(l.w, "sctrace: %s is %s plus %s\n", outName(out), l.profile, added)
			}
			switch {
			case notAdded > 0:
				fmt.Fprintf(l.w, "sctrace: %s made after an earlier call had failed %s not added: the program may need %s, or make %s only "+
					"because of the failure; run it again with the result (or with --on-deny report, which fails nothing) until nothing new comes\n",
					plural(notAdded, "call", "calls"), isAre(notAdded), itThem(notAdded), itThem(notAdded))
			case out != "-" && len(l.order) > 0:
				fmt.Fprintf(l.w, "sctrace: enforce the result with: %s run --profile %s -- %s\n", invokedAs(), shellQuote(out), shellJoin(argv))
			}
		}()
	}
	if len(l.order) == 0 {
		return
	}
	total := 0
	for _, e := range l.order {
		total += e.count
	}
	calls := map[string]bool{}
	for _, e := range l.order {
		calls[e.arch+" "+e.call] = true
	}
	fmt.Fprintf(l.w, "sctrace: %s lacks %s the workload made (%s):\n", l.profile, plural(len(calls), "call", "calls"), plural(total, "time", "times"))
	sorted := append([]*entry(nil), l.order...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].arch != sorted[j].arch {
			return sorted[i].arch < sorted[j].arch
		}
		return sorted[i].call < sorted[j].call
	})
	const maxRows = 20
	// The call column as wide as its widest entry (a call with its arguments runs long).
	width := 18
	for i, e := range sorted {
		if n := utf8.RuneCountInString(e.call) + 2 + utf8.RuneCountInString(e.combo); i < maxRows && e.combo != "" && n > width {
			width = n
		} else if i < maxRows && utf8.RuneCountInString(e.call) > width {
			width = utf8.RuneCountInString(e.call)
		}
	}
	for i, e := range sorted {
		if i == maxRows {
			fmt.Fprintf(l.w, "  ... and %d more (listed above as they came)\n", len(sorted)-maxRows)
			break
		}
		note := ""
		if e.afterDenial && out != "" {
			note = " (made after an earlier call had failed: not added)"
		}
		call := e.call
		if e.combo != "" {
			call += "(" + e.combo + ")"
		}
		fmt.Fprintf(l.w, "  %-7s %-*s %4d×  %s: %s%s\n", e.arch, width, call, e.count, e.exe, e.answer, note)
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

func isAre(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
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
