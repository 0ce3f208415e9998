// Package helper is the re-executed side of tracer.Launch: the process that installs the filter
// and calls execve, and the ticker. It runs from this package's init function, and it imports
// nothing but runtime, syscall and unsafe, so that Go initializes it before the heavy packages a
// sctrace binary links (go-seccomp-bpf's tables, tablewriter's width tables, ...): the Go spec
// initializes, in import-path order, the first package whose imports are ready, and those
// packages wait for os and fmt, which wait for syscall, after which this package is the first
// ready one. The helper then execs or loops and never pays for the rest.
//
// The protocol (the tracer's side is in tracer/launch_linux.go):
//   - Env names the role: "exec" or "ticker".
//   - exec: argv is [name, path, argv...]; fd FilterFD carries the filter, which the tracer
//     writes only after PTRACE_SEIZE (reading it to EOF is the "tracer attached" barrier); fd
//     ErrFD gets 'R' once the helper runs, then is close-on-exec: EOF means the workload's execve
//     succeeded, 8 more bytes (step, errno) that a step failed.
//   - exec with ListenerEnv set to "NR:C0:C1" (hex): the filter is installed with
//     seccomp(2) system call NR and SECCOMP_FILTER_FLAG_NEW_LISTENER, and the execve passes the
//     listener's descriptor and the cookie C0, C1 in its unused fourth to sixth arguments. The
//     filter sends exactly that execve to the tracer (SECCOMP_RET_TRACE), which takes the
//     listener from this process (pidfd_getfd) before the execve closes it (it is
//     close-on-exec): the workload never holds its own supervisor's descriptor.
package helper

import (
	"runtime"
	"syscall"
	"unsafe"
)

const (
	// Env is the environment variable that makes a sctrace binary a helper.
	Env = "_SCTRACE_HELPER"
	// IgnoreEnv carries the signals (hex mask, bit N-1 for signal N) the tracer was started with
	// ignored: the helper ignores them again before execve, so that the workload inherits them
	// as it would without sctrace (nohup, a shell's trap "").
	IgnoreEnv = "_SCTRACE_IGNORE"
	// ListenerEnv asks for a user-notification listener (see the package comment).
	ListenerEnv = "_SCTRACE_LISTENER"
	// FilterFD and ErrFD are the helper's pipes (see the package comment).
	FilterFD = 3
	ErrFD    = 4
)

// Steps name what failed, by the step number the helper reports.
var Steps = []string{"", "prctl", "seccomp", "execve", "filter", "seccomp listener"}

// TickInterval is the ticker's period in microseconds.
const TickInterval = 50000

func init() {
	role, ok := syscall.Getenv(Env)
	if !ok {
		return
	}
	// init runs on the main thread, which is the thread the tracer seized; lock it there so
	// that the filter and the execve happen on the traced thread (DESIGN trap 2).
	runtime.LockOSThread()
	switch role {
	case "exec":
		execHelper()
	case "ticker":
		ticker()
	}
	exit(126)
}

func execHelper() {
	if _, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, ErrFD, syscall.F_SETFD, syscall.FD_CLOEXEC); e != 0 {
		exit(126)
	}
	write(ErrFD, []byte{'R'})
	args := cmdline()
	if len(args) < 3 {
		fail(4, syscall.EINVAL)
	}
	raw := readAll(FilterFD)
	syscall.RawSyscall(syscall.SYS_CLOSE, FilterFD, 0, 0)
	if len(raw) == 0 || len(raw)%8 != 0 || len(raw)/8 > 4096 {
		fail(4, syscall.EINVAL)
	}
	// The tracer is attached with PTRACE_O_EXITKILL now: that, not the parent-death signal the
	// helper was started with, ties the workload to the tracer. The workload must not inherit
	// sctrace's state (prctl(2): PR_SET_PDEATHSIG survives execve).
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, 0, 0, 0, 0, 0); e != 0 {
		fail(1, e)
	}
	var env []string
	for _, kv := range syscall.Environ() {
		if !hasPrefix(kv, Env+"=") && !hasPrefix(kv, IgnoreEnv+"=") && !hasPrefix(kv, ListenerEnv+"=") {
			env = append(env, kv)
		}
	}
	if v, ok := syscall.Getenv(IgnoreEnv); ok {
		mask := parseHex(v)
		for s := 1; s <= 64; s++ {
			if mask&(1<<(s-1)) != 0 && s != int(syscall.SIGKILL) && s != int(syscall.SIGSTOP) {
				ignore(syscall.Signal(s))
			}
		}
	}
	// Everything execve needs is allocated before the filter goes in: after it, the only system
	// call this thread makes is execve (the enforcement filter may allow nothing else).
	path, err := syscall.BytePtrFromString(args[1])
	if err != nil {
		fail(3, syscall.EINVAL)
	}
	argv, err := syscall.SlicePtrFromStrings(args[2:])
	if err != nil {
		fail(3, syscall.EINVAL)
	}
	envv, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		fail(3, syscall.EINVAL)
	}
	// No TSYNC: the helper's other runtime threads are never traced and must not be filtered.
	// prctl(2) numbers, the same on every arch (syscall lacks some of them).
	const prSetNoNewPrivs, prSetSeccomp, seccompModeFilter = 38, 22, 2
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0, 0, 0, 0); e != 0 {
		fail(1, e)
	}
	// struct sock_fprog { unsigned short len; struct sock_filter *filter; }: raw is already an
	// array of struct sock_filter in this machine's byte order.
	fprog := struct {
		len    uint16
		filter unsafe.Pointer
	}{uint16(len(raw) / 8), unsafe.Pointer(&raw[0])}
	var listener, c0, c1 uintptr
	if v, ok := syscall.Getenv(ListenerEnv); ok {
		nr, c0v, c1v, ok := splitListener(v)
		if !ok {
			fail(5, syscall.EINVAL)
		}
		c0, c1 = c0v, c1v
		// seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER | WAIT_KILLABLE_RECV): once the
		// supervisor has read a notification, only a fatal signal interrupts the waiting call
		// (Linux 5.19), so a program's own signals (Go's preemption) do not make it start over.
		const setModeFilter, newListener, waitKillable = 1, 0x8, 0x20
		fd, _, e := syscall.RawSyscall(nr, setModeFilter, newListener|waitKillable, uintptr(unsafe.Pointer(&fprog)))
		if e == syscall.EINVAL {
			fd, _, e = syscall.RawSyscall(nr, setModeFilter, newListener, uintptr(unsafe.Pointer(&fprog)))
		}
		if e != 0 {
			fail(5, e)
		}
		listener = fd
	} else if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetSeccomp, seccompModeFilter,
		uintptr(unsafe.Pointer(&fprog)), 0, 0, 0); e != 0 {
		// prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) is seccomp(SECCOMP_SET_MODE_FILTER) without flags.
		fail(2, e)
	}
	_, _, e := syscall.RawSyscall6(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(path)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), listener, c0, c1)
	fail(3, e)
}

// splitListener parses ListenerEnv's "NR:C0:C1".
func splitListener(v string) (nr, c0, c1 uintptr, ok bool) {
	var parts [3]uintptr
	n := 0
	start := 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == ':' {
			if n == 3 || i == start {
				return 0, 0, 0, false
			}
			parts[n] = uintptr(parseHex(v[start:i]))
			n++
			start = i + 1
		}
	}
	return parts[0], parts[1], parts[2], n == 3 && parts[0] != 0
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// parseHex parses a hexadecimal number; junk counts as 0.
func parseHex(s string) uint64 {
	var v uint64
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0
		}
	}
	return v
}

// fail reports a failed step and exits.
func fail(step int, errno syscall.Errno) {
	var b [8]byte
	putUint32(b[:4], uint32(step))
	putUint32(b[4:], uint32(errno))
	write(ErrFD, b[:])
	exit(127)
}

// putUint32 writes v little-endian, as the tracer reads it.
func putUint32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func write(fd int, b []byte) {
	syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
}

func exit(code int) {
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, uintptr(code), 0, 0)
	}
}

// readAll reads fd to EOF.
func readAll(fd int) []byte {
	buf := make([]byte, 0, 4096)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if n <= 0 || err != nil {
			return buf
		}
		buf = buf[:len(buf)+n]
	}
}

// cmdline returns this process's arguments. os.Args would need package os, which this package
// must not wait for.
func cmdline() []string {
	fd, err := syscall.Open("/proc/self/cmdline", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		exit(126)
	}
	b := readAll(fd)
	syscall.Close(fd)
	var args []string
	start := 0
	for i, c := range b {
		if c == 0 {
			args = append(args, string(b[start:i]))
			start = i + 1
		}
	}
	return args
}

// ticker stops every TickInterval with SIGALRM (a signal-delivery stop the tracer swallows),
// so that the tracer's raw wait4 returns at least that often. It ignores every catchable signal
// (a terminal's Ctrl-C, hang-up or quit must not end it: DESIGN trap 25); the tracer starts it
// in a session of its own. Before the tracer attaches, an ignored SIGALRM is discarded; once
// traced, ignored signals are still reported to the tracer (kernel/signal.c, sig_ignored).
func ticker() {
	for _, sig := range []syscall.Signal{syscall.SIGALRM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP,
		syscall.SIGTERM, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGPIPE, syscall.SIGUSR1,
		syscall.SIGUSR2} {
		ignore(sig)
	}
	tick := syscall.NsecToTimeval(TickInterval * 1000)
	itv := [2]syscall.Timeval{tick, tick} // struct itimerval {interval, value}
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETITIMER, 0 /* ITIMER_REAL */, uintptr(unsafe.Pointer(&itv)), 0); e != 0 {
		exit(126)
	}
	for {
		// The timer's signal goes to the main thread when it is idle in a system call, as here.
		syscall.Syscall6(syscall.SYS_PPOLL, 0, 0, 0, 0, 0, 0)
	}
}
