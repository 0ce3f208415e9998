//go:build !mips && !mipsle && !mips64 && !mips64le

package helper

import (
	"runtime"
	"syscall"
	"unsafe"
)

// The workload's first process (ForkNow): instead of re-executing sctrace as the exec helper (a
// second Go runtime, whose start-up competed with the command's own for the CPU, and whose
// execve of the workload had to end its threads), the tracer forks this process. The child
// starts no runtime: from the fork to its execve it makes only raw system calls, in forkWorkload's
// frame, as package syscall's own fork does. It waits for the go-ahead byte on a pipe; by then
// the tracer has seized it and written, into a shared anonymous mapping that the fork left at
// the same address in both processes, everything the workload's execve needs (a forkHeader, then
// the strings and pointer arrays it points to). A failed step is reported as the exec helper
// reports it: (step, errno) on its error pipe, whose close-on-exec EOF otherwise means the
// execve succeeded.

// The Go runtime's fork hooks, which package syscall uses around its own fork (the runtime keeps
// them linkable for that, go.dev/issue/67401): BeforeFork blocks signals and makes stack growth
// fatal; AfterFork undoes that in the parent; AfterForkInChild resets the runtime's signal
// handlers to the default in the child.
//
//go:linkname runtimeBeforeFork syscall.runtime_BeforeFork
func runtimeBeforeFork()

//go:linkname runtimeAfterFork syscall.runtime_AfterFork
func runtimeAfterFork()

//go:linkname runtimeAfterForkInChild syscall.runtime_AfterForkInChild
func runtimeAfterForkInChild()

// ForkNow forks the workload's first process, from the calling thread (whose end kills it
// until it is seized: the tracer's locked thread), with m and stdio (the descriptors that become
// the workload's 0, 1 and 2) written for it into a shared mapping. False if m does not fit
// there or the fork fails: the caller starts the exec helper.
//
// On x86_64 the child shares this process's memory until its execve (cloneVM), like a vfork
// child but without stopping this thread, which must seize it: a fork copied the page tables
// of the whole Go process, the child's execve tore the copy down again, and every page this
// process wrote afterwards took a copy-on-write fault (0.5 ms of `run -- /bin/true`). Elsewhere
// it is a fork, and everything is written before it, so that the pages this process writes
// while the child exists are as few as can be.
func ForkNow(m *Message, stdio [3]int) (*Forked, bool) {
	size := (max(sharedNeed(m), 4096) + 4095) &^ 4095
	vm := cloneVMSupported && !selfTraced()
	if vm {
		size += childStack
	}
	shared, err := mapping(size)
	if err != nil {
		return nil, false
	}
	if !fill(shared, m, stdio) {
		unmap(shared)
		return nil, false
	}
	var goP, errP [2]int
	if err := syscall.Pipe2(goP[:], syscall.O_CLOEXEC); err != nil {
		unmap(shared)
		return nil, false
	}
	if err := syscall.Pipe2(errP[:], syscall.O_CLOEXEC); err != nil {
		syscall.Close(goP[0])
		syscall.Close(goP[1])
		unmap(shared)
		return nil, false
	}
	h := (*forkHeader)(unsafe.Pointer(&shared[0]))
	h.goR, h.goW, h.errW = int32(goP[0]), int32(goP[1]), int32(errP[1])
	h.ppid = int32(syscall.Getpid())
	h.nofile = origNofile()
	if h.nofile[1] != 0 && h.nofile[0] < smallNofile {
		h.nclose = ownDescriptors(&h.close, errP[1])
	}
	// The mask this thread has now, which package syscall's children get too (the runtime's
	// fork hook blocks every signal until the child has reset its handlers).
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 0 /* SIG_BLOCK */, 0, uintptr(unsafe.Pointer(&h.sigmask)), 8, 0, 0)
	// Like package syscall: no other goroutine may make a descriptor without close-on-exec
	// while the child is copied.
	syscall.ForkLock.Lock()
	var pid int
	var errno syscall.Errno
	if vm {
		pid, errno = startVM(h, uintptr(unsafe.Pointer(&shared[len(shared)-64])))
	} else {
		pid, errno = forkWorkload(h)
	}
	syscall.ForkLock.Unlock()
	syscall.Close(goP[0])
	syscall.Close(errP[1])
	if errno != 0 {
		syscall.Close(goP[1])
		syscall.Close(errP[0])
		unmap(shared)
		return nil, false
	}
	return &Forked{Pid: pid, goW: goP[1], Errs: errP[0], shared: shared, vm: vm}, true
}

// selfTraced reports whether this process is traced (a debugger): a debugger that follows forks
// takes a CLONE_VM child for a fork and removes its breakpoints from the child's memory, which
// is this process's. The child is then forked.
func selfTraced() bool {
	b := readSmall("/proc/self/status")
	const key = "\nTracerPid:\t"
	for i := 0; i+len(key) < len(b); i++ {
		if string(b[i:i+len(key)]) == key {
			return b[i+len(key)] != '0'
		}
	}
	return false
}

// childStack is the size of the stack the child of cloneVM runs on, at the end of its mapping.
// workloadChild and the system calls it makes are nosplit, so the linker bounds what they use
// (less than 1 KiB).
const childStack = 16 << 10

// startVM starts workloadChild(h) in a child that shares this process's memory, on the stack
// whose top is stack, with the runtime's fork hooks around the clone: every signal is blocked in
// this thread from before the clone to after it, so the child starts with them blocked.
//
//go:noinline
//go:norace
//go:nocheckptr
func startVM(h *forkHeader, stack uintptr) (int, syscall.Errno) {
	fn := workloadChild
	pc := **(**uintptr)(unsafe.Pointer(&fn)) // a func value points to its code pointer
	runtimeBeforeFork()
	pid, e := cloneVM(uintptr(syscall.SIGCHLD)|syscall.CLONE_VM, stack&^15, unsafe.Pointer(h), pc)
	runtimeAfterFork()
	return int(pid), syscall.Errno(e)
}

// rawFork forks this process with the runtime's fork hooks: it returns the child's pid in the
// parent, and 0 in the child, whose runtime signal handlers are then the defaults. From there on
// the child may call nothing that can grow the stack (system calls only, in the caller's frame).
//
//go:noinline
//go:norace
//go:nocheckptr
func rawFork() (uintptr, syscall.Errno) {
	runtimeBeforeFork()
	var r1 uintptr
	var e syscall.Errno
	if runtime.GOARCH == "s390x" {
		r1, _, e = syscall.RawSyscall6(syscall.SYS_CLONE, 0, uintptr(syscall.SIGCHLD), 0, 0, 0, 0)
	} else {
		r1, _, e = syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	}
	if e != 0 || r1 != 0 {
		runtimeAfterFork()
		return r1, e
	}
	runtimeAfterForkInChild()
	return 0, 0
}

// forkWorkload forks the workload's first process, which runs workloadChild(h), and returns
// its pid in the parent (where cloneVM is not implemented).
//
//go:noinline
//go:norace
//go:nocheckptr
func forkWorkload(h *forkHeader) (int, syscall.Errno) {
	if r1, e := rawFork(); e != 0 || r1 != 0 {
		return int(r1), e
	}
	workloadChild(h)
	return 0, 0 // not reached: workloadChild ends in execve or exit_group
}

// workloadChild is the workload's first process from its fork to its execve (see above). It
// makes only raw system calls and calls only nosplit functions: on x86_64 it runs on a stack the
// Go runtime does not know, in memory this process shares with its parent (cloneVM), where a
// stack check would fail and anything the runtime does would corrupt the parent. Its steps are
// separate functions so that each frame stays small: the linker bounds what a chain of nosplit
// frames may use (792 bytes), also in builds without optimisation (-gcflags=all=-N -l, for
// debuggers), whose frames keep every temporary.
//
//go:nosplit
//go:norace
//go:nocheckptr
func workloadChild(h *forkHeader) {
	childSignals(h)
	if !childWait(h) {
		childExit()
	}
	step, e := childSetup(h)
	if step == 0 {
		childSched(h)
		childNofile(h)
		var fd uintptr
		if fd, step, e = childFilter(h); step == 0 {
			_, _, e = syscall.RawSyscall6(syscall.SYS_EXECVE, h.path, h.argv, h.envv, fd, h.listener[1], h.listener[2])
			step = stepExecve
		}
	}
	childFail(h, step, e)
	childExit()
}

// prctl(2) and seccomp(2) constants, the same on every arch.
const (
	prSetPdeathsig, prSetNoNewPrivs, prSetSeccomp, seccompModeFilter = 1, 38, 22, 2
	setModeFilter, newListener, waitKillable                         = 1, 0x8, 0x20
)

// childSignals resets the runtime's signal handlers and sets the workload's mask. Every signal
// is blocked (the runtime's fork hook): the handlers go first, so that none of them ever runs in
// the child. Signals ignored stay ignored (nohup), as across an execve. (After rawFork the
// runtime has done this already.)
//
//go:nosplit
//go:norace
//go:nocheckptr
func childSignals(h *forkHeader) {
	var act kernelSigaction
	for sig := uintptr(1); sig <= 64; sig++ {
		if sig == uintptr(syscall.SIGKILL) || sig == uintptr(syscall.SIGSTOP) {
			continue
		}
		if _, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, 0, uintptr(unsafe.Pointer(&act)), 8, 0, 0); e == 0 && act.handler > 1 {
			act = kernelSigaction{} // SIG_DFL
			syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
		}
	}
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 2 /* SIG_SETMASK */, uintptr(unsafe.Pointer(&h.sigmask)), 0, 8, 0, 0)
}

// childWait waits for the go-ahead; false if it does not come (not needed after all, the tracer
// gone, or the parent gone already). The child dies with the thread that forked it (the
// tracer's) until the tracer has seized it, after which PTRACE_O_EXITKILL does that job.
//
//go:nosplit
//go:norace
//go:nocheckptr
func childWait(h *forkHeader) bool {
	var buf [1]byte
	// Its copy of the go-ahead pipe's write end: without it, the pipe reaches EOF when the
	// tracer closes its own (a child nobody takes).
	syscall.RawSyscall6(syscall.SYS_CLOSE, uintptr(h.goW), 0, 0, 0, 0, 0)
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetPdeathsig, uintptr(syscall.SIGKILL), 0, 0, 0, 0); e != 0 {
		return false
	}
	if r1, _, _ := syscall.RawSyscall6(syscall.SYS_GETPPID, 0, 0, 0, 0, 0, 0); r1 != uintptr(h.ppid) {
		return false
	}
	for {
		r1, _, e := syscall.RawSyscall6(syscall.SYS_READ, uintptr(h.goR), uintptr(unsafe.Pointer(&buf[0])), 1, 0, 0, 0)
		if e != syscall.EINTR {
			return e == 0 && r1 == 1
		}
	}
}

// childSetup clears the parent-death signal (the workload must not inherit it: it survives
// execve), changes directory and arranges descriptors 0 to 2; a failed step and its errno.
//
//go:nosplit
//go:norace
//go:nocheckptr
func childSetup(h *forkHeader) (uint32, syscall.Errno) {
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetPdeathsig, 0, 0, 0, 0, 0); e != 0 {
		return stepPrctl, e
	}
	if h.dir != 0 {
		if _, _, e := syscall.RawSyscall6(syscall.SYS_CHDIR, h.dir, 0, 0, 0, 0, 0); e != 0 {
			return stepChdir, e
		}
	}
	if h.identity != 0 {
		return 0, 0
	}
	// The sources out of the way first, so that any mapping (a swap too) comes out right.
	// (Written out: an index that is a variable is bounds-checked, and the check's panic is not
	// nosplit.)
	t0, _, e := syscall.RawSyscall6(syscall.SYS_FCNTL, uintptr(h.stdio[0]), syscall.F_DUPFD_CLOEXEC, 3, 0, 0, 0)
	if e != 0 {
		return stepStdio, e
	}
	t1, _, e := syscall.RawSyscall6(syscall.SYS_FCNTL, uintptr(h.stdio[1]), syscall.F_DUPFD_CLOEXEC, 3, 0, 0, 0)
	if e != 0 {
		return stepStdio, e
	}
	t2, _, e := syscall.RawSyscall6(syscall.SYS_FCNTL, uintptr(h.stdio[2]), syscall.F_DUPFD_CLOEXEC, 3, 0, 0, 0)
	if e != 0 {
		return stepStdio, e
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_DUP3, t0, 0, 0, 0, 0, 0); e != 0 {
		return stepStdio, e
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_DUP3, t1, 1, 0, 0, 0, 0); e != 0 {
		return stepStdio, e
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_DUP3, t2, 2, 0, 0, 0, 0); e != 0 {
		return stepStdio, e
	}
	return 0, 0
}

// childSched gives the child the main thread's scheduling, which a child forked from another
// thread does not inherit, and ignores the signals the Message lists. Failures (a nice value
// only root may set) leave the inherited state.
//
//go:nosplit
//go:norace
//go:nocheckptr
func childSched(h *forkHeader) {
	if h.prio != 0 {
		syscall.RawSyscall6(syscall.SYS_SETPRIORITY, 0 /* PRIO_PROCESS */, 0, uintptr(20-h.prio), 0, 0, 0)
	}
	if h.ncpus != 0 {
		syscall.RawSyscall6(syscall.SYS_SCHED_SETAFFINITY, 0, uintptr(h.ncpus), uintptr(unsafe.Pointer(&h.cpus[0])), 0, 0, 0)
	}
	if h.ioprio >= 0 {
		syscall.RawSyscall6(syscall.SYS_IOPRIO_SET, 1 /* IOPRIO_WHO_PROCESS */, 0, uintptr(h.ioprio), 0, 0, 0)
	}
	if h.policy >= 0 {
		syscall.RawSyscall6(syscall.SYS_SCHED_SETSCHEDULER, 0, uintptr(h.policy), uintptr(unsafe.Pointer(&h.rtprio)), 0, 0, 0)
	}
	if h.slack != 0 {
		syscall.RawSyscall6(syscall.SYS_PRCTL, 29 /* PR_SET_TIMERSLACK */, uintptr(h.slack), 0, 0, 0, 0)
	}
	for sig := uintptr(1); sig <= 64; sig++ {
		if h.ignore&(1<<(sig-1)) != 0 && sig != uintptr(syscall.SIGKILL) && sig != uintptr(syscall.SIGSTOP) {
			syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&h.sigIgn)), 0, 8, 0, 0)
		}
	}
}

// childNofile sets the soft limit on open files back to the one the command was started with,
// if Go's raise is still in place (soft = hard - 1; otherwise someone set it since, and it
// stays): nofileToRestore, written out.
//
//go:nosplit
//go:norace
//go:nocheckptr
func childNofile(h *forkHeader) {
	var lim [2]uint64
	if h.nofile[0] == 0 {
		return
	}
	// Under a small limit, the descriptors of sctrace's that the child holds until its execve
	// go first, so that the listener fits under the limit (ownDescriptors). (No index that is a
	// variable: its bounds check's panic is not nosplit.)
	for i := int32(0); i < h.nclose; i++ {
		fd := *(*int32)(unsafe.Add(unsafe.Pointer(&h.close[0]), 4*uintptr(i)))
		syscall.RawSyscall6(syscall.SYS_CLOSE, uintptr(fd), 0, 0, 0, 0, 0)
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, 0, uintptr(unsafe.Pointer(&lim)), 0, 0); e == 0 &&
		lim[1] == h.nofile[1] && lim[0] == lim[1]-1 && h.nofile[0] < lim[0] {
		lim[0] = h.nofile[0]
		syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, uintptr(unsafe.Pointer(&lim)), 0, 0, 0)
	}
}

// childFilter sets no_new_privs and installs the filter: the listener's descriptor (if any), or
// a failed step and its errno.
//
//go:nosplit
//go:norace
//go:nocheckptr
func childFilter(h *forkHeader) (uintptr, uint32, syscall.Errno) {
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0, 0, 0, 0); e != 0 {
		return 0, stepPrctl, e
	}
	if h.listener[0] != 0 {
		// seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER | WAIT_KILLABLE_RECV): see the package comment.
		fd, _, e := syscall.RawSyscall6(h.listener[0], setModeFilter, newListener|waitKillable, uintptr(unsafe.Pointer(&h.fprog)), 0, 0, 0)
		if e == syscall.EINVAL {
			fd, _, e = syscall.RawSyscall6(h.listener[0], setModeFilter, newListener, uintptr(unsafe.Pointer(&h.fprog)), 0, 0, 0)
		}
		if e != 0 {
			return 0, stepListener, e
		}
		return fd, 0, 0
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetSeccomp, seccompModeFilter, uintptr(unsafe.Pointer(&h.fprog)), 0, 0, 0); e != 0 {
		return 0, stepSeccomp, e
	}
	return 0, 0, 0
}

// childFail reports a failed step as the exec helper does: (step, errno) on the error pipe.
//
//go:nosplit
//go:norace
//go:nocheckptr
func childFail(h *forkHeader, step uint32, e syscall.Errno) {
	var buf [8]byte
	buf[0], buf[1], buf[2], buf[3] = byte(step), byte(step>>8), byte(step>>16), byte(step>>24)
	buf[4], buf[5], buf[6], buf[7] = byte(e), byte(e>>8), byte(e>>16), byte(e>>24)
	syscall.RawSyscall6(syscall.SYS_WRITE, uintptr(h.errW), uintptr(unsafe.Pointer(&buf[0])), 8, 0, 0, 0)
}

// childExit ends the child.
//
//go:nosplit
//go:norace
func childExit() {
	for {
		syscall.RawSyscall6(syscall.SYS_EXIT_GROUP, 127, 0, 0, 0, 0, 0)
	}
}

// prespawnTicker forks the ticker (see ticker) the same way as the workload's first process: it starts no Go
// runtime, which the re-executed ticker cost record's start-up.
func prespawnTicker() (int, bool) {
	var act kernelSigaction
	act.handler = 1 // SIG_IGN
	tick := syscall.NsecToTimeval(TickInterval * 1000)
	itv := [2]syscall.Timeval{tick, tick} // struct itimerval {interval, value}
	args, nargs := argArea()
	pid, errno := forkTicker(&act, &itv, syscall.Getpid(), args, nargs)
	return pid, errno == 0
}

// argArea returns the address and size of this process's command line (what /proc/PID/cmdline
// shows: arg_start and arg_end, fields 48 and 49 of /proc/self/stat; package os is not imported
// here, see Prespawn). A forked helper writes its name over it, so that pgrep -f and pkill -f
// with sctrace's command line do not take it for sctrace; 0 if it cannot be told.
func argArea() (uintptr, int) {
	b := readSmall("/proc/self/stat")
	i := len(b) - 1
	for i >= 0 && b[i] != ')' {
		i--
	}
	if i < 0 {
		return 0, 0
	}
	field, val, in := 2, uint64(0), false // ')' ends field 2
	var start, end uint64
	for _, c := range b[i+1:] {
		if c == ' ' || c == '\n' {
			if in {
				switch field {
				case 48:
					start = val
				case 49:
					end = val
				}
				in = false
			}
			continue
		}
		if !in {
			in, field, val = true, field+1, 0
		}
		if c >= '0' && c <= '9' {
			val = val*10 + uint64(c-'0')
		}
	}
	if start == 0 || end <= start || end-start > 64<<20 {
		return 0, 0
	}
	return uintptr(start), int(end - start)
}

// overwriteArgs writes name, then NULs, over the n bytes at args (a child's copy of the command
// line, outside Go's heap). It calls nothing (see rawFork).
//
//go:nosplit
//go:norace
//go:nocheckptr
func overwriteArgs(args uintptr, n int, name *[16]byte) {
	for i := 0; i < n; i++ {
		c := byte(0)
		if i < len(name) {
			c = name[i]
		}
		*(*byte)(unsafe.Add(nil, args+uintptr(i))) = c
	}
	if n > len(name) {
		// The area's last byte no longer NUL: the kernel then shows the command line up to the
		// first NUL (as for setproctitle), the name alone rather than it and n NULs.
		*(*byte)(unsafe.Add(nil, args+uintptr(n-1))) = ' '
	}
}

// forkTicker forks the ticker: a child in sctrace's process group, with the parent-death signal,
// that ignores the signals a terminal or a user sends (DESIGN trap 25) and sleeps in ppoll while
// its interval timer raises SIGALRM every TickInterval.
//
//go:noinline
//go:norace
//go:nocheckptr
func forkTicker(act *kernelSigaction, itv *[2]syscall.Timeval, ppid int, args uintptr, nargs int) (int, syscall.Errno) {
	var (
		r1   uintptr
		e    syscall.Errno
		i    int
		sigs = [...]syscall.Signal{syscall.SIGALRM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP,
			syscall.SIGTERM, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGPIPE,
			syscall.SIGUSR1, syscall.SIGUSR2}
		name = [16]byte{'s', 'c', 't', '-', 't', 'i', 'c', 'k', 'e', 'r'}
	)
	const prSetPdeathsig, prSetName = 1, 15
	if r1, e = rawFork(); e != 0 || r1 != 0 {
		return int(r1), e
	}
	// It needs no descriptor (the re-executed ticker has none): close_range(0, ~0, 0), 436 on
	// every arch, Linux 5.9; without it, the first 1024 one by one.
	if _, _, e = syscall.RawSyscall(436, 0, ^uintptr(0), 0); e != 0 {
		for i = 0; i < 1024; i++ {
			syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(i), 0, 0)
		}
	}
	syscall.RawSyscall6(syscall.SYS_PRCTL, prSetName, uintptr(unsafe.Pointer(&name[0])), 0, 0, 0, 0)
	overwriteArgs(args, nargs, &name)
	syscall.RawSyscall6(syscall.SYS_PRCTL, prSetPdeathsig, uintptr(syscall.SIGKILL), 0, 0, 0, 0)
	if r1, _, _ = syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0); r1 != uintptr(ppid) {
		goto exit
	}
	for i = 0; i < len(sigs); i++ {
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sigs[i]), uintptr(unsafe.Pointer(act)), 0, 8, 0, 0)
	}
	if _, _, e = syscall.RawSyscall(syscall.SYS_SETITIMER, 0 /* ITIMER_REAL */, uintptr(unsafe.Pointer(itv)), 0); e != 0 {
		goto exit
	}
	for {
		// The timer's signal comes to this, the only thread, idle in a system call.
		syscall.RawSyscall6(syscall.SYS_PPOLL, 0, 0, 0, 0, 0, 0)
	}
exit:
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 126, 0, 0)
	}
}
