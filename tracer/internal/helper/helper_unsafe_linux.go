// Package helper is the re-executed side of tracer.Launch: the process that installs the filter
// and calls execve, and the ticker. It runs from this package's init function, and it imports
// nothing but runtime, syscall and unsafe, so that Go initializes it before the heavy packages a
// sctrace binary links (go-seccomp-bpf's tables, tablewriter's width tables, ...): the Go spec
// initializes, in import-path order, the first package whose imports are ready, and those
// packages wait for os and fmt, which wait for syscall, after which this package is the first
// ready one. The helper then execs or loops and never pays for the rest.
//
// The same ordering lets the sctrace command start the ticker early (Prespawn), from an init
// function of its own that runs before those heavy packages: the ticker's start-up then
// overlaps the command's own instead of following it.
//
// The protocol (the tracer's side is in tracer/launch_linux.go):
//   - Env names the role: "exec" or "ticker". Nothing else in the helper's environment counts:
//     the workload's environment comes with the Message.
//   - exec: fd ErrFD gets 'R' once the helper runs, then is close-on-exec: EOF means the
//     workload's execve succeeded, 8 more bytes (step, errno) that a step failed. The tracer
//     seizes the helper after the 'R', then writes a Message (message.go) to fd FilterFD and
//     closes it; the helper reads it to EOF (the "tracer attached" barrier). An empty message
//     means the helper is not needed: it exits without a word.
//   - exec with Message.Listener set: the filter is installed with seccomp(2) system call
//     Listener[0] and SECCOMP_FILTER_FLAG_NEW_LISTENER, and the execve passes the listener's
//     descriptor and the cookie Listener[1], Listener[2] in its unused fourth to sixth arguments.
//     The filter sends exactly that execve to the tracer (SECCOMP_RET_TRACE), which takes the
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
	// FilterFD and ErrFD are the helper's pipes (see the package comment).
	FilterFD = 3
	ErrFD    = 4
)

// Steps name what failed, by the step number the helper reports.
var Steps = []string{"", "prctl", "seccomp", "execve", "filter", "seccomp listener", "chdir", "stdio"}

// Step numbers, indexes of Steps.
const (
	stepPrctl    = 1
	stepSeccomp  = 2
	stepExecve   = 3
	stepMessage  = 4
	stepListener = 5
	stepChdir    = 6
	stepStdio    = 7
)

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
	raw := readAll(FilterFD)
	syscall.RawSyscall(syscall.SYS_CLOSE, FilterFD, 0, 0)
	if len(raw) == 0 {
		exit(126) // not needed after all
	}
	m, ok := Decode(raw)
	if !ok || len(m.Filter) == 0 || len(m.Filter)%8 != 0 || len(m.Filter)/8 > 4096 {
		fail(stepMessage, syscall.EINVAL)
	}
	// The tracer is attached with PTRACE_O_EXITKILL now: that, not the parent-death signal the
	// helper was started with, ties the workload to the tracer. The workload must not inherit
	// sctrace's state (prctl(2): PR_SET_PDEATHSIG survives execve).
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, 0, 0, 0, 0, 0); e != 0 {
		fail(stepPrctl, e)
	}
	if m.Dir != "" {
		if err := syscall.Chdir(m.Dir); err != nil {
			fail(stepChdir, err.(syscall.Errno))
		}
	}
	if m.Stdio != Identity {
		setStdio(m.Stdio)
	}
	for s := 1; s <= 64; s++ {
		if m.Ignore&(1<<(s-1)) != 0 && s != int(syscall.SIGKILL) && s != int(syscall.SIGSTOP) {
			ignore(syscall.Signal(s))
		}
	}
	restoreNofile()
	// Everything execve needs is allocated before the filter goes in: after it, the only system
	// call this thread makes is execve (the enforcement filter may allow nothing else).
	path, err := syscall.BytePtrFromString(m.Path)
	if err != nil {
		fail(stepExecve, syscall.EINVAL)
	}
	argv, err := syscall.SlicePtrFromStrings(m.Argv)
	if err != nil {
		fail(stepExecve, syscall.EINVAL)
	}
	envv, err := syscall.SlicePtrFromStrings(m.Env)
	if err != nil {
		fail(stepExecve, syscall.EINVAL)
	}
	// No TSYNC: the helper's other runtime threads are never traced and must not be filtered.
	// prctl(2) numbers, the same on every arch (syscall lacks some of them).
	const prSetNoNewPrivs, prSetSeccomp, seccompModeFilter = 38, 22, 2
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0, 0, 0, 0); e != 0 {
		fail(stepPrctl, e)
	}
	// struct sock_fprog { unsigned short len; struct sock_filter *filter; }: Filter is already an
	// array of struct sock_filter in this machine's byte order.
	fprog := struct {
		len    uint16
		filter unsafe.Pointer
	}{uint16(len(m.Filter) / 8), unsafe.Pointer(&m.Filter[0])}
	var listener, c0, c1 uintptr
	if nr := uintptr(m.Listener[0]); nr != 0 {
		c0, c1 = uintptr(m.Listener[1]), uintptr(m.Listener[2])
		// seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER | WAIT_KILLABLE_RECV): once the
		// supervisor has read a notification, only a fatal signal interrupts the waiting call
		// (Linux 5.19), so a program's own signals (Go's preemption) do not make it start over.
		const setModeFilter, newListener, waitKillable = 1, 0x8, 0x20
		fd, _, e := syscall.RawSyscall(nr, setModeFilter, newListener|waitKillable, uintptr(unsafe.Pointer(&fprog)))
		if e == syscall.EINVAL {
			fd, _, e = syscall.RawSyscall(nr, setModeFilter, newListener, uintptr(unsafe.Pointer(&fprog)))
		}
		if e != 0 {
			fail(stepListener, e)
		}
		listener = fd
	} else if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetSeccomp, seccompModeFilter,
		uintptr(unsafe.Pointer(&fprog)), 0, 0, 0); e != 0 {
		// prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) is seccomp(SECCOMP_SET_MODE_FILTER) without flags.
		fail(stepSeccomp, e)
	}
	_, _, e := syscall.RawSyscall6(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(path)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), listener, c0, c1)
	fail(stepExecve, e)
}

// setStdio makes descriptors 0, 1 and 2 copies of the helper's descriptors stdio[0..2]: the
// sources are copied out of the way first, so that any mapping (a swap too) comes out right.
func setStdio(stdio [3]byte) {
	var tmp [3]int
	for i := range tmp {
		fd, err := dupAbove(int(stdio[i]), 3)
		if err != 0 {
			fail(stepStdio, err)
		}
		tmp[i] = fd
	}
	for i, fd := range tmp {
		if err := syscall.Dup3(fd, i, 0); err != nil {
			fail(stepStdio, err.(syscall.Errno))
		}
		syscall.Close(fd)
	}
}

// dupAbove is fcntl(fd, F_DUPFD_CLOEXEC, lowest).
func dupAbove(fd, lowest int) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, uintptr(lowest))
	return int(r), e
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

// ticker stops every TickInterval with SIGALRM (a signal-delivery stop the tracer swallows),
// so that the tracer's raw wait4 returns at least that often. It ignores every catchable signal
// (a terminal's Ctrl-C, hang-up or quit must not end it: DESIGN trap 25). Before the tracer
// attaches, an ignored signal is discarded; once traced, ignored signals are still reported to
// the tracer (kernel/signal.c, sig_ignored), which swallows them.
func ticker() {
	// Its name, as the forked ticker's (prespawnTicker): comm "sct-ticker".
	name := [16]byte{'s', 'c', 't', '-', 't', 'i', 'c', 'k', 'e', 'r'}
	syscall.RawSyscall6(syscall.SYS_PRCTL, 15 /* PR_SET_NAME */, uintptr(unsafe.Pointer(&name[0])), 0, 0, 0, 0)
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
