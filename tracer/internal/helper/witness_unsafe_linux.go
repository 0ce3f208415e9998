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
// process instead: forked from sctrace (raw system calls only), through an intermediate child
// that exits at once, so that it is not sctrace's child (the tracer's wait4(-1) must end when
// the workload has). It stays in sctrace's process group, blocks SIGINT, SIGTERM, SIGHUP and
// SIGQUIT, reads them from a signalfd and counts each in a mapping it shares with sctrace. It
// ends when the pipe sctrace holds the other end of is closed: when sctrace ends or Close is
// called. Where sctrace would adopt it (PID 1 of a container, a subreaper), there is none.

// Witness is a running witness.
type Witness struct {
	counts *[65]uint32 // in the shared mapping: how often it got signal N
	taken  [65]uint32  // how many of those Take accounted for
	mem    []byte
	life   int // sctrace's end of the lifeline pipe
}

// StartWitness starts a witness. It takes about as long as a fork of sctrace.
func StartWitness() (*Witness, error) {
	// An orphan is adopted by PID 1 or the nearest subreaper: if that is sctrace, the witness
	// would be its child after all.
	var subreaper int32
	syscall.RawSyscall6(syscall.SYS_PRCTL, 37 /* PR_GET_CHILD_SUBREAPER */, uintptr(unsafe.Pointer(&subreaper)), 0, 0, 0, 0)
	if syscall.Getpid() == 1 || subreaper != 0 {
		return nil, syscall.EBUSY
	}
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
	name := [16]byte{'s', 'c', 't', 'r', 'a', 'c', 'e', '-', 'w', 'i', 't', 'n', 'e', 's', 's'}
	w := &Witness{counts: (*[65]uint32)(unsafe.Pointer(&mem[0])), mem: mem, life: p[1]}
	pid, errno := forkWitness(&act, &set, w.counts, p[0], &name)
	runtime.KeepAlive(&act)
	syscall.Close(p[0])
	if errno != 0 {
		w.Close()
		return nil, errno
	}
	// The intermediate exits at once. (The tracer's wait4(-1) may reap it first: ECHILD.)
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, syscall.WALL, nil); err != syscall.EINTR {
			break
		}
	}
	return w, nil
}

// Take reports whether the witness got sig more often than Take has accounted for, and accounts
// for one. One goroutine at a time may call it.
func (w *Witness) Take(sig syscall.Signal) bool {
	if sig <= 0 || int(sig) >= len(w.counts) {
		return false
	}
	if atomic.LoadUint32(&w.counts[sig]) > w.taken[sig] {
		w.taken[sig]++
		return true
	}
	return false
}

// Close ends the witness.
func (w *Witness) Close() {
	if w.life >= 0 {
		syscall.Close(w.life)
		w.life = -1
	}
}

// pollFd is struct pollfd.
type pollFd struct {
	fd             int32
	events, revent int16
}

// forkWitness forks the intermediate child, which forks the witness and exits, and returns the
// intermediate's pid. The witness makes raw system calls only, in this frame (see rawFork).
//
//go:noinline
//go:norace
//go:nocheckptr
func forkWitness(act *kernelSigaction, set *uint64, counts *[65]uint32, life int, name *[16]byte) (int, syscall.Errno) {
	var (
		r1   uintptr
		e    syscall.Errno
		i    int
		sfd  uintptr
		fds  [2]pollFd
		info [128]byte // struct signalfd_siginfo
		sig  uint32
		ign  = [...]syscall.Signal{syscall.SIGALRM, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU,
			syscall.SIGPIPE, syscall.SIGUSR1, syscall.SIGUSR2}
	)
	const prSetName, pollIn, sfdCloexec = 15, 1, syscall.O_CLOEXEC
	if r1, e = rawFork(); e != 0 || r1 != 0 {
		return int(r1), e
	}
	// The intermediate: fork the witness, and exit.
	if runtime.GOARCH == "s390x" {
		r1, _, e = syscall.RawSyscall6(syscall.SYS_CLONE, 0, uintptr(syscall.SIGCHLD), 0, 0, 0, 0)
	} else {
		r1, _, e = syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	}
	if e != 0 || r1 != 0 {
		goto exit
	}
	// The witness. Every descriptor but the lifeline closed: close_range(2), Linux 5.9; without
	// it, the first 1024 one by one.
	if _, _, e = syscall.RawSyscall(436, uintptr(life+1), ^uintptr(0), 0); e != 0 {
		for i = life + 1; i < 1024; i++ {
			syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(i), 0, 0)
		}
	}
	for i = 0; i < life; i++ {
		syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(i), 0, 0)
	}
	syscall.RawSyscall6(syscall.SYS_PRCTL, prSetName, uintptr(unsafe.Pointer(&name[0])), 0, 0, 0, 0)
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
				if sig < uint32(len(counts)) {
					counts[sig]++
				}
			}
		}
	}
exit:
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
	}
}
