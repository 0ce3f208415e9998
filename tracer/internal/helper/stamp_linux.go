package helper

import (
	"syscall"
	"unsafe"
)

// The early child is a copy of the command as it was at start-up. A supervisor may change the
// command between its start and the launch (move it into a cgroup, lower its limits, adjust its
// OOM score, pin it to CPUs): the workload must then get the changed state, as a child forked at
// the launch would. stamp is what the child would have got of that, and Changed compares.

// stamp reads the state a child inherits that a supervisor is likely to change from outside.
func stamp() string {
	var b []byte
	for _, f := range []string{"/proc/self/cgroup", "/proc/self/oom_score_adj", "/proc/self/coredump_filter"} {
		b = append(b, readSmall(f)...)
		b = append(b, 0)
	}
	for r := 0; r < 16; r++ { // RLIMIT_CPU ... RLIMIT_RTTIME
		var lim [2]uint64
		// prlimit64(0, r, NULL, &lim): getrlimit with 64-bit values on every arch.
		syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, uintptr(r), 0, uintptr(unsafe.Pointer(&lim)), 0, 0)
		b = appendUint(b, lim[0])
		b = appendUint(b, lim[1])
	}
	// The main thread's (tid = pid): renice, taskset and ionice without -a change only it.
	nice, cpus := mainThreadSched()
	b = appendUint(b, uint64(nice))
	b = append(b, cpus...)
	return string(b)
}

// mainThreadSched returns the main thread's nice value (as getpriority(2) returns it, 20 - nice;
// 0 if unknown) and CPU affinity mask (nil if unknown: a machine with more than 1024 CPUs, or a
// filter that refuses the call).
func mainThreadSched() (int, []byte) {
	pid := uintptr(syscall.Getpid())
	prio, _, e := syscall.RawSyscall(syscall.SYS_GETPRIORITY, 0 /* PRIO_PROCESS */, pid, 0)
	if e != 0 {
		prio = 0
	}
	mask := make([]byte, 128)
	n, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, pid, uintptr(len(mask)), uintptr(unsafe.Pointer(&mask[0])))
	if e != 0 || n > uintptr(len(mask)) {
		return int(prio), nil
	}
	return int(prio), mask[:n]
}

// readSmall reads up to 4 KiB of a file ("" if it cannot).
func readSmall(path string) []byte {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	buf := make([]byte, 4096)
	n, _ := syscall.Read(fd, buf)
	if n < 0 {
		n = 0
	}
	return buf[:n]
}

func appendUint(b []byte, v uint64) []byte {
	for i := 0; i < 8; i++ {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// forkStamp is the stamp taken when the early child was forked.
var forkStamp string

// Changed reports whether the state the early child inherited has changed since it was forked:
// then it must not become the workload.
func Changed() bool { return stamp() != forkStamp }
