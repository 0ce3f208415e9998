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
	if cloneVMSupported {
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
	// The mask this thread has now, which package syscall's children get too (the runtime's
	// fork hook blocks every signal until the child has reset its handlers).
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 0 /* SIG_BLOCK */, 0, uintptr(unsafe.Pointer(&h.sigmask)), 8, 0, 0)
	// Like package syscall: no other goroutine may make a descriptor without close-on-exec
	// while the child is copied.
	syscall.ForkLock.Lock()
	var pid int
	var errno syscall.Errno
	if cloneVMSupported {
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
	return &Forked{Pid: pid, goW: goP[1], Errs: errP[0], shared: shared}, true
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
	runtimeBeforeFork()
	pid, e := cloneVM(uintptr(syscall.SIGCHLD)|syscall.CLONE_VM, stack&^15, unsafe.Pointer(h))
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
// stack check would fail and anything the runtime does would corrupt the parent.
//
//go:nosplit
//go:norace
//go:nocheckptr
func workloadChild(h *forkHeader) {
	var (
		r1   uintptr
		e    syscall.Errno
		step uint32
		sig  uintptr
		fd   uintptr
		tmp  [3]uintptr
		buf  [8]byte
		i    int
		lim  [2]uint64
		act  kernelSigaction
	)
	// prctl(2) and seccomp(2) constants, the same on every arch.
	const (
		prSetPdeathsig, prSetNoNewPrivs, prSetSeccomp, seccompModeFilter = 1, 38, 22, 2
		setModeFilter, newListener, waitKillable                         = 1, 0x8, 0x20
	)
	// Every signal is blocked (the runtime's fork hook): the runtime's handlers go first, so
	// that none of them ever runs here, then the mask is the workload's. Signals ignored stay
	// ignored (nohup), as across an execve. (After rawFork the runtime has done this already.)
	for sig = 1; sig <= 64; sig++ {
		if sig == uintptr(syscall.SIGKILL) || sig == uintptr(syscall.SIGSTOP) {
			continue
		}
		if _, _, e = syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, 0, uintptr(unsafe.Pointer(&act)), 8, 0, 0); e == 0 && act.handler > 1 {
			act = kernelSigaction{} // SIG_DFL
			syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
		}
	}
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 2 /* SIG_SETMASK */, uintptr(unsafe.Pointer(&h.sigmask)), 0, 8, 0, 0)

	// It dies with the thread that forked it (the tracer's) until the tracer has seized it,
	// after which PTRACE_O_EXITKILL does that job; and at once if the parent is gone already.
	// Its copy of the go-ahead pipe's write end: without it, the pipe reaches EOF when the tracer
	// closes its own (a child nobody takes).
	syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(h.goW), 0, 0)
	if _, _, e = syscall.RawSyscall6(syscall.SYS_PRCTL, prSetPdeathsig, uintptr(syscall.SIGKILL), 0, 0, 0, 0); e != 0 {
		goto exit
	}
	if r1, _, _ = syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0); r1 != uintptr(h.ppid) {
		goto exit
	}
	for {
		r1, _, e = syscall.RawSyscall(syscall.SYS_READ, uintptr(h.goR), uintptr(unsafe.Pointer(&buf[0])), 1)
		if e != syscall.EINTR {
			break
		}
	}
	if e != 0 || r1 != 1 {
		goto exit // not needed after all, or the tracer is gone
	}
	// The workload must not inherit the parent-death signal (it survives execve).
	if _, _, e = syscall.RawSyscall6(syscall.SYS_PRCTL, prSetPdeathsig, 0, 0, 0, 0, 0); e != 0 {
		step = stepPrctl
		goto fail
	}
	if h.dir != 0 {
		if _, _, e = syscall.RawSyscall(syscall.SYS_CHDIR, h.dir, 0, 0); e != 0 {
			step = stepChdir
			goto fail
		}
	}
	if h.identity == 0 {
		// The sources out of the way first, so that any mapping (a swap too) comes out right.
		for i = 0; i < 3; i++ {
			if tmp[i], _, e = syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(h.stdio[i]), syscall.F_DUPFD_CLOEXEC, 3); e != 0 {
				step = stepStdio
				goto fail
			}
		}
		for i = 0; i < 3; i++ {
			if _, _, e = syscall.RawSyscall(syscall.SYS_DUP3, tmp[i], uintptr(i), 0); e != 0 {
				step = stepStdio
				goto fail
			}
		}
	}
	// The main thread's scheduling, which a child forked from another thread (ForkNow) does not
	// inherit; failures (a nice value only root may set) leave the inherited one.
	if h.prio != 0 {
		syscall.RawSyscall(syscall.SYS_SETPRIORITY, 0 /* PRIO_PROCESS */, 0, uintptr(20-h.prio))
	}
	if h.ncpus != 0 {
		syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, uintptr(h.ncpus), uintptr(unsafe.Pointer(&h.cpus[0])))
	}
	if h.ioprio >= 0 {
		syscall.RawSyscall(syscall.SYS_IOPRIO_SET, 1 /* IOPRIO_WHO_PROCESS */, 0, uintptr(h.ioprio))
	}
	if h.policy >= 0 {
		syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, 0, uintptr(h.policy), uintptr(unsafe.Pointer(&h.rtprio)))
	}
	if h.slack != 0 {
		syscall.RawSyscall6(syscall.SYS_PRCTL, 29 /* PR_SET_TIMERSLACK */, uintptr(h.slack), 0, 0, 0, 0)
	}
	for sig = 1; sig <= 64; sig++ {
		if h.ignore&(1<<(sig-1)) != 0 && sig != uintptr(syscall.SIGKILL) && sig != uintptr(syscall.SIGSTOP) {
			syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&h.sigIgn)), 0, 8, 0, 0)
		}
	}
	// The soft limit on open files the command was started with, if Go's raise is still in
	// place (soft = hard - 1; otherwise someone set it since, and it stays).
	// (nofileToRestore, written out: nothing may be called here that could grow the stack.)
	if h.nofile[0] != 0 {
		if _, _, e = syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, 0, uintptr(unsafe.Pointer(&lim)), 0, 0); e == 0 &&
			lim[1] == h.nofile[1] && lim[0] == lim[1]-1 && h.nofile[0] < lim[0] {
			lim[0] = h.nofile[0]
			syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, uintptr(unsafe.Pointer(&lim)), 0, 0, 0)
		}
	}
	if _, _, e = syscall.RawSyscall6(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0, 0, 0, 0); e != 0 {
		step = stepPrctl
		goto fail
	}
	if h.listener[0] != 0 {
		// seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER | WAIT_KILLABLE_RECV): see the package comment.
		fd, _, e = syscall.RawSyscall(h.listener[0], setModeFilter, newListener|waitKillable, uintptr(unsafe.Pointer(&h.fprog)))
		if e == syscall.EINVAL {
			fd, _, e = syscall.RawSyscall(h.listener[0], setModeFilter, newListener, uintptr(unsafe.Pointer(&h.fprog)))
		}
		if e != 0 {
			step = stepListener
			goto fail
		}
	} else if _, _, e = syscall.RawSyscall6(syscall.SYS_PRCTL, prSetSeccomp, seccompModeFilter,
		uintptr(unsafe.Pointer(&h.fprog)), 0, 0, 0); e != 0 {
		step = stepSeccomp
		goto fail
	}
	_, _, e = syscall.RawSyscall6(syscall.SYS_EXECVE, h.path, h.argv, h.envv, fd, h.listener[1], h.listener[2])
	step = stepExecve
fail:
	buf[0], buf[1], buf[2], buf[3] = byte(step), byte(step>>8), byte(step>>16), byte(step>>24)
	buf[4], buf[5], buf[6], buf[7] = byte(e), byte(e>>8), byte(e>>16), byte(e>>24)
	syscall.RawSyscall(syscall.SYS_WRITE, uintptr(h.errW), uintptr(unsafe.Pointer(&buf[0])), 8)
exit:
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 127, 0, 0)
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
