//go:build !mips && !mipsle && !mips64 && !mips64le

package helper

import (
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// The witness tells a signal sent to sctrace alone from one sent to its whole process group (a
// supervisor's kill(0, …), timeout(1), systemd signalling every process of its unit). Only the
// first must be forwarded to the workload; the tracer knows the second from a signal-delivery
// stop of the workload, except where the workload blocks the signal and reads it from a signalfd
// (as daemons do): no stop shows it, and the forwarder sent it a second time. `record`'s ticker
// witnesses the group's signals through its own stops; `run` has no ticker, and gets this
// process instead: a child forked from sctrace (raw system calls only), in sctrace's process
// group, that blocks SIGINT, SIGTERM, SIGHUP and SIGQUIT, reads them from a signalfd and notes,
// in a page it shares with sctrace, when it last got each (CLOCK_MONOTONIC). It ends when the
// pipe sctrace holds the other end of is closed: when sctrace ends or Close is called (the
// tracer does that once the workload is gone, so that its wait4(-1) can end).

// Witness is a running witness.
type Witness struct {
	Pid  int
	last *[65]int64 // in the shared mapping: when it last got signal N (ns, CLOCK_MONOTONIC)
	n    *[65]int64 // after it: how many times it got signal N
	mem  []byte
	life int // sctrace's end of the lifeline pipe
}

// StartWitness starts a witness. It takes about as long as a fork of sctrace.
func StartWitness() (*Witness, error) {
	mem, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_ANON)
	if err != nil {
		return nil, err
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		syscall.Munmap(mem)
		return nil, err
	}
	var act kernelSigaction
	act.handler = 1 // SIG_IGN
	set := uint64(1)<<(syscall.SIGINT-1) | 1<<(syscall.SIGTERM-1) | 1<<(syscall.SIGHUP-1) | 1<<(syscall.SIGQUIT-1)
	name := [16]byte{'s', 'c', 't', '-', 'w', 'i', 't', 'n', 'e', 's', 's'}
	w := &Witness{last: (*[65]int64)(unsafe.Pointer(&mem[0])), n: (*[65]int64)(unsafe.Pointer(&mem[65*8])), mem: mem, life: p[1]}
	args, nargs := argArea()
	pid, errno := forkWitness(&act, &set, w.last, w.n, p[0], &name, args, nargs)
	runtime.KeepAlive(&act)
	syscall.Close(p[0])
	if errno != 0 {
		syscall.Close(p[1])
		syscall.Munmap(mem)
		return nil, errno
	}
	w.Pid = pid
	return w, nil
}

// Saw reports whether the witness got sig at or after since (ns, CLOCK_MONOTONIC).
func (w *Witness) Saw(sig syscall.Signal, since int64) bool {
	if sig <= 0 || int(sig) >= len(w.last) {
		return false
	}
	return atomic.LoadInt64(&w.last[sig]) >= since
}

// Count returns how many times the witness got sig.
func (w *Witness) Count(sig syscall.Signal) int64 {
	if sig <= 0 || int(sig) >= len(w.n) {
		return 0
	}
	return atomic.LoadInt64(&w.n[sig])
}

// Close ends the witness (killed: a stopped one would not see its pipe close); the caller reaps
// it. Saw goes on answering from what it noted.
func (w *Witness) Close() {
	if w.life >= 0 {
		syscall.Kill(w.Pid, syscall.SIGKILL)
		syscall.Close(w.life)
		w.life = -1
	}
}

// Monotonic returns CLOCK_MONOTONIC in ns, the witness's clock.
func Monotonic() int64 {
	var ts syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// pollFd is struct pollfd.
type pollFd struct {
	fd             int32
	events, revent int16
}

// forkWitness forks the witness and returns its pid. The witness makes raw system calls only,
// in this frame (see rawFork).
//
//go:noinline
//go:norace
//go:nocheckptr
func forkWitness(act *kernelSigaction, set *uint64, last, count *[65]int64, life int, name *[16]byte, args uintptr, nargs int) (int, syscall.Errno) {
	var (
		r1   uintptr
		e    syscall.Errno
		i    int
		sfd  uintptr
		fds  [2]pollFd
		info [128]byte // struct signalfd_siginfo
		ts   [2]int64  // struct timespec
		sig  uint32
		ign  = [...]syscall.Signal{syscall.SIGALRM, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU,
			syscall.SIGPIPE, syscall.SIGUSR1, syscall.SIGUSR2}
	)
	const prSetName, pollIn, sfdCloexec = 15, 1, syscall.O_CLOEXEC
	if r1, e = rawFork(); e != 0 || r1 != 0 {
		return int(r1), e
	}
	// Every descriptor but the lifeline closed: close_range(2), Linux 5.9; without it, the
	// first 1024 one by one.
	if _, _, e = syscall.RawSyscall(436, uintptr(life+1), ^uintptr(0), 0); e != 0 {
		for i = life + 1; i < 1024; i++ {
			syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(i), 0, 0)
		}
	}
	for i = 0; i < life; i++ {
		syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(i), 0, 0)
	}
	syscall.RawSyscall6(syscall.SYS_PRCTL, prSetName, uintptr(unsafe.Pointer(&name[0])), 0, 0, 0, 0)
	overwriteArgs(args, nargs, name)
	if _, _, e = syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 0 /* SIG_BLOCK */, uintptr(unsafe.Pointer(set)), 0, 8, 0, 0); e != 0 {
		goto exit
	}
	for i = 0; i < len(ign); i++ {
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(ign[i]), uintptr(unsafe.Pointer(act)), 0, 8, 0, 0)
	}
	if sfd, _, e = syscall.RawSyscall6(syscall.SYS_SIGNALFD4, ^uintptr(0), uintptr(unsafe.Pointer(set)), 8, sfdCloexec, 0, 0); e != 0 {
		goto exit
	}
	fds[0] = pollFd{fd: int32(sfd), events: pollIn}
	fds[1] = pollFd{fd: int32(life), events: pollIn}
	for {
		fds[0].revent, fds[1].revent = 0, 0
		if _, _, e = syscall.RawSyscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 2, 0, 0, 0, 0); e != 0 && e != syscall.EINTR {
			goto exit
		}
		if fds[1].revent != 0 {
			goto exit // sctrace closed its end, or ended
		}
		if fds[0].revent&pollIn != 0 {
			if r1, _, e = syscall.RawSyscall(syscall.SYS_READ, sfd, uintptr(unsafe.Pointer(&info[0])), uintptr(len(info))); e == 0 && r1 == uintptr(len(info)) {
				sig = *(*uint32)(unsafe.Pointer(&info[0]))
				if sig < uint32(len(last)) {
					syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts[0])), 0)
					last[sig] = ts[0]*1e9 + ts[1]
					count[sig]++
				}
			}
		}
	}
exit:
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
	}
}
