package helper

import (
	"syscall"
	"unsafe"
)

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
