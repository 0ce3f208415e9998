package helper

import (
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/sctrace/sctrace/tracer/internal/nofile"
)

// forkHeader starts the shared mapping: what the child does, with pointers into the mapping.
type forkHeader struct {
	path, argv, envv, dir uintptr // dir 0: stay; argv and envv: NULL-terminated arrays
	fprog                 sockFprog
	listener              [3]uintptr // seccomp(2)'s number and the cookie; number 0: no listener
	ignore                uint64     // signals to set to SIG_IGN, bit N-1 for signal N
	stdio                 [3]int32   // the child's descriptors that become 0, 1 and 2
	identity              int32      // stdio is {0, 1, 2}
	sigIgn                kernelSigaction
	prio                  int32     // the main thread's getpriority(2) value (20 - nice); 0: leave
	ncpus                 int32     // bytes of cpus; 0: leave
	cpus                  [128]byte // the main thread's CPU affinity mask
	ioprio                int32     // its ioprio_get(2) value; -1: leave
	policy                int32     // its scheduling policy; -1: leave
	rtprio                int32     // its sched_param priority
	slack                 uint64    // its timer slack in ns; 0: leave
	goR, goW, errW        int32     // the child's ends of the go-ahead pipe, and the error pipe's
	ppid                  int32     // this process's pid
	nofile                [2]uint64 // the limit on open files to restore (origNofile)
	sigmask               uint64    // the forking thread's signal mask, the workload's
	nclose                int32     // how many of close are set
	close                 [64]int32 // this process's close-on-exec descriptors (ownDescriptors)
}

// schedResetOnFork is SCHED_RESET_ON_FORK, or-ed into a policy.
const schedResetOnFork = 0x40000000

// sockFprog is struct sock_fprog.
type sockFprog struct {
	len    uint16
	filter uintptr
}

// kernelSigaction is the kernel's struct sigaction, which starts with the handler on every arch
// but MIPS (include/linux/signal_types.h).
type kernelSigaction struct {
	handler, flags, restorer uintptr
	mask                     uint64
}

// Forked is the workload's first process (ForkNow), waiting for its work.
type Forked struct {
	Pid    int
	goW    int    // the go-ahead pipe
	Errs   int    // the read end of the error pipe
	shared []byte // the mapping with its work (and, on x86_64, its stack)
	vm     bool   // started by cloneVM: it shares this process's memory until its execve
}

// fill writes m into shared, the mapping for the child, with stdio the child's descriptors that
// become the workload's 0, 1 and 2 (m.Stdio is the exec helper's); false if it does not fit or
// the exec helper must report an error in it.
func fill(shared []byte, m *Message, stdio [3]int) bool {
	hsize := (int(unsafe.Sizeof(forkHeader{})) + 7) &^ 7
	off := hsize
	base := uintptr(unsafe.Pointer(&shared[0]))
	room := func(n int) (int, bool) {
		at := (off + 7) &^ 7
		if at+n > len(shared) {
			return 0, false
		}
		off = at + n
		return at, true
	}
	str := func(s string) (uintptr, bool) {
		at, ok := room(len(s) + 1)
		if !ok {
			return 0, false
		}
		copy(shared[at:], s)
		shared[at+len(s)] = 0
		return base + uintptr(at), true
	}
	list := func(ss []string) (uintptr, bool) {
		at, ok := room((len(ss) + 1) * int(unsafe.Sizeof(uintptr(0))))
		if !ok {
			return 0, false
		}
		for i, s := range ss {
			p, ok := str(s)
			if !ok {
				return 0, false
			}
			*(*uintptr)(unsafe.Pointer(&shared[at+i*int(unsafe.Sizeof(uintptr(0)))])) = p
		}
		*(*uintptr)(unsafe.Pointer(&shared[at+len(ss)*int(unsafe.Sizeof(uintptr(0)))])) = 0
		return base + uintptr(at), true
	}
	for _, s := range append(append([]string{m.Path, m.Dir}, m.Argv...), m.Env...) {
		for i := 0; i < len(s); i++ {
			if s[i] == 0 {
				return false // the exec helper reports it (EINVAL)
			}
		}
	}
	var h forkHeader
	var ok bool
	if h.path, ok = str(m.Path); !ok {
		return false
	}
	if h.argv, ok = list(m.Argv); !ok {
		return false
	}
	if h.envv, ok = list(m.Env); !ok {
		return false
	}
	if m.Dir != "" {
		if h.dir, ok = str(m.Dir); !ok {
			return false
		}
	}
	at, ok := room(len(m.Filter))
	if !ok || len(m.Filter) == 0 || len(m.Filter)%8 != 0 || len(m.Filter)/8 > 4096 {
		return false
	}
	copy(shared[at:], m.Filter)
	h.fprog = sockFprog{len: uint16(len(m.Filter) / 8), filter: base + uintptr(at)}
	h.listener = [3]uintptr{uintptr(m.Listener[0]), uintptr(m.Listener[1]), uintptr(m.Listener[2])}
	h.ignore = m.Ignore
	h.identity = 1
	for i, fd := range stdio {
		h.stdio[i] = int32(fd)
		if fd != i {
			h.identity = 0
		}
	}
	h.sigIgn.handler = 1 // SIG_IGN
	ms := mainThreadSched()
	h.prio, h.ncpus = int32(ms.prio), int32(copy(h.cpus[:], ms.cpus))
	h.ioprio, h.policy, h.rtprio, h.slack = int32(ms.ioprio), int32(ms.policy), int32(ms.rtprio), ms.slack
	if h.policy >= 0 && h.policy&schedResetOnFork != 0 {
		h.policy = -1 // a child forked from the main thread would have been reset too
	}
	*(*forkHeader)(unsafe.Pointer(&shared[0])) = h
	return true
}

// sharedNeed is the size of the mapping m needs (an upper bound: every string and array
// aligned to 8).
func sharedNeed(m *Message) int {
	n := int(unsafe.Sizeof(forkHeader{})) + 8 + len(m.Filter) + 8 + len(m.Path) + 9 + len(m.Dir) + 9
	for _, ss := range [][]string{m.Argv, m.Env} {
		n += (len(ss)+1)*int(unsafe.Sizeof(uintptr(0))) + 8
		for _, s := range ss {
			n += len(s) + 9
		}
	}
	return n
}

// SharesMemory reports whether the child runs in this process's memory until its execve.
func (f *Forked) SharesMemory() bool { return f.vm }

// Go lets the child go on (the tracer has seized it), and closes the go-ahead pipe.
func (f *Forked) Go() error {
	_, err := syscall.Write(f.goW, []byte{'G'})
	syscall.Close(f.goW)
	f.goW = -1
	return err
}

// Discard ends a child that is not used: reap must wait for it.
func (f *Forked) Discard(reap func(pid int)) {
	syscall.Kill(f.Pid, syscall.SIGKILL)
	reap(f.Pid)
	f.Reaped()
	syscall.Close(f.Errs)
}

// Reaped releases what this process holds of a child that is gone and reaped but the error
// pipe.
func (f *Forked) Reaped() {
	if f.goW >= 0 {
		syscall.Close(f.goW)
		f.goW = -1
	}
	f.Release()
}

// Release unmaps the child's mapping. On x86_64 the child runs in this process's memory until its
// execve (see cloneVM), on a stack in that mapping: Release must wait until it has called execve
// successfully or is gone (the tracer calls it once its loop is over).
func (f *Forked) Release() {
	if f.shared != nil {
		unmap(f.shared)
		f.shared = nil
	}
}

// spare is the mapping of the last child, kept for the next one (record --runs): unmapping it
// would flush the TLB of every CPU that runs one of this process's threads on the way out of
// every launch, and the process's exit frees it anyway.
var spare atomic.Pointer[[]byte]

// mapping returns a shared anonymous mapping of at least size bytes: the spare one if it is
// large enough.
func mapping(size int) ([]byte, error) {
	if b := spare.Swap(nil); b != nil {
		if len(*b) >= size {
			return *b, nil
		}
		syscall.Munmap(*b)
	}
	return syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_ANONYMOUS)
}

// unmap keeps b as the spare mapping, and unmaps the one it replaces.
func unmap(b []byte) {
	if old := spare.Swap(&b); old != nil {
		syscall.Munmap(*old)
	}
}

// origNofile is the soft limit on open files the command was started with, or 0 if unknown
// (package nofile: Go raised it before any code of sctrace's ran).
func origNofile() [2]uint64 {
	if !nofile.Known {
		return [2]uint64{}
	}
	return nofile.Orig
}

// nofileToRestore says whether to set the soft limit on open files back to orig's, given the
// current limit cur: only if Go's raise is still in place (soft = hard - 1, the hard limit the
// process started with: as package syscall decides for its own children).
func nofileToRestore(orig, cur [2]uint64) bool {
	return orig[0] != 0 && cur[1] == orig[1] && cur[0] == cur[1]-1 && orig[0] < cur[0]
}

// restoreNofile sets this process's soft limit on open files back to the one it was started
// with, if Go's raise is still in place: the exec helper calls it before its execve.
func restoreNofile() {
	orig := origNofile()
	var lim [2]uint64
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, 0, uintptr(unsafe.Pointer(&lim)), 0, 0); e == 0 &&
		nofileToRestore(orig, lim) {
		lim[0] = orig[0]
		syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, uintptr(unsafe.Pointer(&lim)), 0, 0, 0)
	}
}

// smallNofile is the soft limit on open files below which the child closes this process's own
// descriptors before it restores the limit: it holds copies of them until its execve, and the
// listener it then creates must fit under the limit (run under `ulimit -n 8` failed with EMFILE).
const smallNofile = 64

// ownDescriptors lists into out this process's close-on-exec descriptors from 3 up, but keep:
// the workload would not get them anyway. It returns how many it listed (at most len(out)).
func ownDescriptors(out *[64]int32, keep int) int32 {
	dir, err := syscall.Open("/proc/self/fd", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer syscall.Close(dir)
	var n int32
	buf := make([]byte, 4096)
	for {
		m, err := syscall.Getdents(dir, buf)
		if err != nil || m <= 0 {
			return n
		}
		_, _, names := syscall.ParseDirent(buf[:m], -1, nil)
		for _, name := range names {
			fd := 0
			for _, c := range []byte(name) {
				fd = fd*10 + int(c-'0')
			}
			if fd < 3 || fd == keep || fd == dir {
				continue
			}
			flags, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
			if e != 0 || flags&syscall.FD_CLOEXEC == 0 {
				continue
			}
			if int(n) < len(out) {
				out[n] = int32(fd)
				n++
			}
		}
	}
}
