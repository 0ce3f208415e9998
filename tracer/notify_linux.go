package tracer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/sctrace/sctrace/arch"
)

// Supervision (Options.Supervise): the filter answers the calls it denies with
// SECCOMP_RET_USER_NOTIF, and this process, holding the filter's listener, decides each one. The
// kernel allows one listener per filter chain (seccomp(2), EBUSY), so a workload cannot install a
// listener of its own to answer our notifications, and a call waiting for an answer cannot run
// before it has one: if the listener goes away, the waiting calls and every later one fail with
// ENOSYS. See DESIGN.md, "Supervised enforcement".
//
// The handover: the helper installs the filter with SECCOMP_FILTER_FLAG_NEW_LISTENER, so the
// listener is a close-on-exec descriptor of the helper, and passes its number and a random cookie
// in execve's unused arguments 4 to 6. A prologue the tracer puts in front of the filter sends
// that one execve to the tracer (SECCOMP_RET_TRACE): at its seccomp stop the tracer copies the
// descriptor out (pidfd_getfd) and then lets the execve run, which closes the helper's copy.

// NotifySupported reports whether this kernel lets Launch supervise a filter (Options.Supervise):
// seccomp user notification (Linux 5.0) and pidfd_getfd (5.6).
func NotifySupported() bool {
	var sizes [3]uint16
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_NOTIF_SIZES, 0, uintptr(unsafe.Pointer(&sizes))); e != 0 {
		return false
	}
	_, err := unix.PidfdGetfd(-1, 0, 0)
	return err != syscall.ENOSYS
}

// handover is the state of the listener's handover.
type handover struct {
	cookie [2]uint32
	audit  uint32 // the helper's ABI, and its execve's number
	execve int
	taken  bool
	err    error
}

// newHandover draws a cookie: the prologue lets exactly this execve reach the tracer, so it must
// not be guessable by the workload (it is never in the workload's memory: the helper's image is
// replaced by the execve it passes it to).
func newHandover() (*handover, error) {
	h := &handover{audit: arch.Native().Audit, execve: unix.SYS_EXECVE}
	var b [8]byte
	for h.cookie[0] == 0 || h.cookie[1] == 0 {
		if _, err := unix.Getrandom(b[:], 0); err != nil {
			return nil, fmt.Errorf("cookie: %w", err)
		}
		h.cookie[0], h.cookie[1] = binary.NativeEndian.Uint32(b[:4]), binary.NativeEndian.Uint32(b[4:])
	}
	return h, nil
}

// prologue returns filter with the handover test in front: the native execve whose fifth and
// sixth arguments carry the cookie returns SECCOMP_RET_TRACE; everything else goes on to the
// filter unchanged (BPF jumps are relative, so the filter's own need no change). The test loads
// only the arch and the number on every other path, so the kernel's verdict cache sees the
// filter's constant verdicts as before.
func (h *handover) prologue(filter []bpf.RawInstruction) []bpf.RawInstruction {
	return cookieGate(h.audit, uint32(h.execve), 4, h.cookie, unix.SECCOMP_RET_TRACE|OwnTraceData, filter)
}

// cookieGate returns filter with a test in front: the call nr of the ABI audit whose arguments
// first and first+1 carry the cookie (their low 32 bits) returns ret; everything else goes on to
// the filter unchanged (BPF jumps are relative, so the filter's own need no change). Other
// paths load only the arch and the number, so the kernel's verdict cache sees the filter's
// constant verdicts as before.
func cookieGate(audit, nr uint32, first int, cookie [2]uint32, ret uint32, filter []bpf.RawInstruction) []bpf.RawInstruction {
	a := arch.Native()
	lo := func(n int) uint32 { // offset of the low 32 bits of argument n in seccomp_data
		off := uint32(16 + 8*n)
		if a.BigEndian {
			off += 4
		}
		return off
	}
	ld := func(off uint32) bpf.RawInstruction {
		return bpf.RawInstruction{Op: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: off}
	}
	const n = 9 // the gate's length: the filter starts there
	jne := func(at int, v uint32) bpf.RawInstruction {
		return bpf.RawInstruction{Op: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: v, Jt: 0, Jf: uint8(n - at - 1)}
	}
	p := []bpf.RawInstruction{
		ld(4), jne(1, audit),
		ld(0), jne(3, nr),
		ld(lo(first)), jne(5, cookie[0]),
		ld(lo(first + 1)), jne(7, cookie[1]),
		{Op: unix.BPF_RET | unix.BPF_K, K: ret},
	}
	return append(p, filter...)
}

// matches reports whether a seccomp stop is the handover execve.
func (h *handover) matches(info *syscallInfo) bool {
	return info.Arch == h.audit && int(int32(uint32(info.Nr))) == h.execve &&
		uint32(info.Args[4]) == h.cookie[0] && uint32(info.Args[5]) == h.cookie[1]
}

// takeListener copies the listener out of the helper, stopped at the handover execve, and starts
// the supervisor. On failure the helper is killed: the workload must not run with a filter
// nobody supervises.
func (t *tracer) takeListener(tid int, info *syscallInfo) {
	h := t.handover
	if h.taken || tid != t.root || t.rootExeced {
		// Only the helper's one execve carries the cookie; anything else guessed it.
		unix.Kill(tid, unix.SIGKILL)
		t.fail("handover: a second execve with the cookie", tid, syscall.EPERM)
		return
	}
	h.taken = true
	if beforeHandover != nil {
		beforeHandover(tid)
	}
	fd, err := copyListener(tid, int(info.Args[3]))
	if err != nil {
		h.err = err
		unix.Kill(tid, unix.SIGKILL)
		return
	}
	t.sup = newSupervisor(fd, t.supervise, t.peek, t.supervisorLost)
	if t.fullTrace != nil {
		t.sup.injected = &t.injectCookie
	}
	// The execve itself is judged like any other call.
	e := Event{Kind: EventSyscall, Pid: tid, Tid: tid, Audit: info.Arch, Nr: h.execve, Args: info.Args}
	if errno := t.supervise(&e); errno != 0 {
		if !skipSyscall(tid, errno) {
			h.err = fmt.Errorf("the filter denies the helper's execve, and this machine cannot fail it (errno %d)", errno)
			unix.Kill(tid, unix.SIGKILL)
		}
	}
}

// supervisorLost ends the workload when its supervisor fails: its calls that wait for an answer
// would wait for good, and the ones after them could not be judged. Fail closed.
func (t *tracer) supervisorLost(err error) {
	t.supLost.Store(true)
	for _, pid := range t.liveProcesses() {
		unix.Kill(pid, unix.SIGKILL)
	}
}

// beforeHandover, if set, runs before the listener is taken from the process tid (tests).
var beforeHandover func(tid int)

// copyListener duplicates descriptor n of process pid and checks that it is a seccomp listener.
func copyListener(pid, n int) (int, error) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, fmt.Errorf("take the seccomp listener: pidfd_open: %w", err)
	}
	defer unix.Close(pidfd)
	fd, err := unix.PidfdGetfd(pidfd, n, 0)
	if err != nil {
		return -1, fmt.Errorf("take the seccomp listener: pidfd_getfd: %w", err)
	}
	if link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); link != "anon_inode:seccomp notify" {
		unix.Close(fd)
		return -1, fmt.Errorf("take the seccomp listener: descriptor %d of the helper is %q", n, link)
	}
	return fd, nil
}

// seccompNotif and seccompNotifResp are struct seccomp_notif and struct seccomp_notif_resp
// (include/uapi/linux/seccomp.h).
type seccompNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

type seccompNotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// supervisor answers the listener's notifications on a goroutine of its own until the filter has
// no task left (the listener then reports POLLHUP) or stop is called.
type supervisor struct {
	fd    int
	quit  [2]int // a pipe whose write end stop writes to (-1: none)
	wg    sync.WaitGroup
	judge func(*Event) int
	peek  func(*Event) (uint64, int, bool)
	mem   memReader
	tgids map[int]int // thread -> process, checked at each use (processOf)
	// injected, if set, marks the tracer's own injected seccomp calls (inject_linux.go), which
	// run unjudged.
	injected *injectCookie
	// Answered counts the notifications answered; Lost those whose caller was gone first.
	answered, withdrawn int
	err                 error
	// lost is called, on the supervisor's goroutine, if the supervisor fails while the workload
	// may still have calls waiting: it must end the workload, whose waiting calls would
	// otherwise wait for good.
	lost func(error)
}

func newSupervisor(fd int, judge func(*Event) int, peek func(*Event) (uint64, int, bool), lost func(error)) *supervisor {
	s := &supervisor{fd: fd, judge: judge, peek: peek, lost: lost}
	// The caller waits for every answer: wake it on the supervisor's CPU (Linux 6.6; older
	// kernels refuse the ioctl, which costs only speed).
	// The flags are the ioctl's argument itself, not a pointer.
	unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SET_FLAGS, unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
	// A raw pipe, not os.Pipe: it is polled here, and os.Pipe would start the runtime's
	// poller for nothing (run's start-up).
	if unix.Pipe2(s.quit[:], unix.O_CLOEXEC) != nil {
		s.quit = [2]int{-1, -1}
	}
	s.wg.Add(1)
	go s.run()
	return s
}

func (s *supervisor) run() {
	defer s.wg.Done()
	fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}}
	if s.quit[0] >= 0 {
		fds = append(fds, unix.PollFd{Fd: int32(s.quit[0]), Events: unix.POLLIN})
	}
	for {
		fds[0].Revents = 0
		if len(fds) > 1 {
			fds[1].Revents = 0
		}
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == syscall.EINTR {
				continue
			}
			s.fail(os.NewSyscallError("poll", err))
			return
		}
		if fds[0].Revents&unix.POLLIN != 0 {
			if err := s.answer(); err != nil {
				s.fail(err)
				return
			}
			continue
		}
		if fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
			return // no task uses the filter any more
		}
		if len(fds) > 1 && fds[1].Revents != 0 {
			return
		}
	}
}

// processOf returns the process (thread group) of thread tid, which is blocked in a notified
// call. A cached answer is checked with one stat of /proc/TGID/task/TID (a tid is reused only
// after its thread is gone); reading /proc/TID/status costs more than the rest of a round trip.
func (s *supervisor) processOf(tid int) int {
	if tgid, ok := s.tgids[tid]; ok {
		if unix.Access("/proc/"+strconv.Itoa(tgid)+"/task/"+strconv.Itoa(tid), unix.F_OK) == nil {
			return tgid
		}
	}
	tgid, _, ok := procStatus(tid)
	if !ok {
		return tid
	}
	if s.tgids == nil || len(s.tgids) > 4096 {
		s.tgids = map[int]int{}
	}
	s.tgids[tid] = tgid
	return tgid
}

// fail records a fatal error and has the workload ended.
func (s *supervisor) fail(err error) {
	s.err = err
	if s.lost != nil {
		s.lost(err)
	}
}

// notifIoctl is the listener's ioctl; a variable so that tests can make it fail.
var notifIoctl = func(fd int, req uint, arg unsafe.Pointer) syscall.Errno {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
	return e
}

// answer receives one notification and sends the verdict. An error means the listener cannot be
// served any more.
func (s *supervisor) answer() error {
	var n seccompNotif
	if e := notifIoctl(s.fd, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&n)); e != 0 {
		if e != syscall.ENOENT && e != syscall.EINTR { // ENOENT: the caller was interrupted first
			return os.NewSyscallError("SECCOMP_IOCTL_NOTIF_RECV", e)
		}
		return nil
	}
	tid := int(n.Pid)
	pid := s.processOf(tid)
	e := Event{Kind: EventSyscall, Pid: pid, Tid: tid, Audit: n.Arch, Nr: int(n.Nr), Args: n.Args}
	if s.injected != nil && s.injected.matches(&e) {
		return s.reply(n.ID, 0)
	}
	if s.peek != nil {
		if addr, max, str := s.peek(&e); addr != 0 && max > 0 {
			e.Mem = s.mem.read(tid, addr, max, str)
		}
	}
	// The pid (and the memory read through it) is the caller's only if its notification is still
	// pending: a caller killed meanwhile could have had its pid reused.
	if !s.valid(n.ID) {
		s.withdrawn++
		return nil
	}
	return s.reply(n.ID, s.judge(&e))
}

// reply answers notification id: fail the call with errno, or let it run (0).
func (s *supervisor) reply(id uint64, errno int) error {
	resp := seccompNotifResp{ID: id}
	if errno != 0 {
		resp.Error = -int32(errno)
	} else {
		resp.Flags = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE
	}
	if e := notifIoctl(s.fd, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp)); e != 0 {
		if e == syscall.ENOENT {
			s.withdrawn++ // the caller was interrupted or killed before the answer
			return nil
		}
		return os.NewSyscallError("SECCOMP_IOCTL_NOTIF_SEND", e)
	}
	s.answered++
	return nil
}

func (s *supervisor) valid(id uint64) bool {
	return notifIoctl(s.fd, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, unsafe.Pointer(&id)) == 0
}

// stop ends the supervisor and closes the listener: a task of the workload still alive (none,
// when the loop has ended) would get ENOSYS from every call the filter does not allow.
func (s *supervisor) stop() error {
	if s.quit[1] >= 0 {
		unix.Write(s.quit[1], []byte{0})
	}
	s.wg.Wait()
	if s.quit[0] >= 0 {
		unix.Close(s.quit[0])
		unix.Close(s.quit[1])
	}
	unix.Close(s.fd)
	return s.err
}

// errNoHandover: the workload started, but its filter's listener never reached the tracer.
var errNoHandover = errors.New("the workload started without handing over its seccomp listener")
