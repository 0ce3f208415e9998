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
	// The main thread's (tid = pid): renice, taskset, ionice, chrt and a write to
	// /proc/PID/timerslack_ns without -a change only it.
	ms := mainThreadSched()
	b = appendUint(b, uint64(ms.prio))
	b = append(b, ms.cpus...)
	b = appendUint(b, uint64(ms.ioprio))
	b = appendUint(b, uint64(ms.policy))
	b = appendUint(b, uint64(ms.rtprio))
	b = appendUint(b, ms.slack)
	return string(b)
}

// schedState is the main thread's scheduling, which a child inherits from the thread that forks
// it: a child forked from another thread (ForkNow) is given it.
type schedState struct {
	prio   int    // getpriority(2)'s value, 20 - nice; 0 if unknown
	cpus   []byte // the CPU affinity mask; nil if unknown (more than 1024 CPUs, a filter)
	ioprio int    // ioprio_get(2)'s value; -1 if unknown
	policy int    // sched_getscheduler(2)'s value; -1 if unknown
	rtprio int    // sched_getparam(2)'s priority
	slack  uint64 // the timer slack in ns; 0 if unknown (reading it needs CAP_SYS_NICE)
}

// mainThreadSched reads the main thread's scheduling.
func mainThreadSched() schedState {
	pid := uintptr(syscall.Getpid())
	var s schedState
	prio, _, e := syscall.RawSyscall(syscall.SYS_GETPRIORITY, 0 /* PRIO_PROCESS */, pid, 0)
	if e == 0 {
		s.prio = int(prio)
	}
	mask := make([]byte, 128)
	n, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, pid, uintptr(len(mask)), uintptr(unsafe.Pointer(&mask[0])))
	if e == 0 && n <= uintptr(len(mask)) {
		s.cpus = mask[:n]
	}
	s.ioprio = -1
	if v, _, e := syscall.RawSyscall(syscall.SYS_IOPRIO_GET, 1 /* IOPRIO_WHO_PROCESS */, pid, 0); e == 0 {
		s.ioprio = int(v)
	}
	s.policy = -1
	var param int32
	if v, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETSCHEDULER, pid, 0, 0); e == 0 {
		if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETPARAM, pid, uintptr(unsafe.Pointer(&param)), 0); e == 0 {
			s.policy, s.rtprio = int(v), int(param)
		}
	}
	if b := readSmall("/proc/self/timerslack_ns"); len(b) > 0 {
		for _, c := range b {
			if c < '0' || c > '9' {
				break
			}
			s.slack = s.slack*10 + uint64(c-'0')
		}
	}
	return s
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
