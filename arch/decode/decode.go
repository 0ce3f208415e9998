// Package decode renders a system call the way strace prints it: the name, then each argument
// decoded by its type (descriptors and numbers in decimal, flag words and enumerations by their
// names, a path as a quoted string, a socket address by family), with "..." for memory it was not
// given. It knows the calls sctrace names when it denies them; any other call is shown with its
// six arguments in hexadecimal.
//
// Constants are Linux's generic values, which x86_64, x86, x32, aarch64, riscv64 and loongarch64
// share; where an architecture differs (MIPS socket types, O_ flags outside x86 and the generic
// set, ioctl numbers on MIPS, PowerPC and SPARC) the argument is shown in hexadecimal rather than
// with a wrong name.
package decode

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/sctrace/sctrace/arch"
)

// kind is how one argument is shown.
type kind uint8

const (
	kInt        kind = iota // signed decimal (C int)
	kLong                   // signed decimal (C long)
	kUint                   // unsigned decimal
	kHex                    // hexadecimal
	kPtr                    // an address: NULL or hexadecimal
	kFd                     // a descriptor
	kAtFd                   // a directory descriptor: AT_FDCWD
	kPath                   // a NUL-terminated string in memory
	kMode                   // octal
	kOpenFlags              // O_*
	kDomain                 // AF_*
	kSockType               // SOCK_*
	kIoctl                  // an ioctl request
	kProt                   // PROT_*
	kMapFlags               // MAP_*
	kClone                  // CLONE_* and the exit signal
	kPrctl                  // PR_*
	kSignal                 // SIG*
	kFcntl                  // F_*
	kLevel                  // SOL_*
	kSockaddr               // a socket address in memory
	kPersona                // personality(2)
	kPtrace                 // PTRACE_*
	kAtFlags                // AT_*
	kSeccompOp              // SECCOMP_SET_MODE_*
	kSigHow                 // SIG_BLOCK, ...
	kWhence                 // SEEK_*
	kMsgFlags               // MSG_*
	kClock                  // CLOCK_*
	kWhich                  // PRIO_*
	kSockOpt                // SO_*, TCP_*, IP_*, IPV6_*: the option name of the level before it
	kEpollFlags             // EPOLL_CLOEXEC
)

// A sig is the argument kinds of a call decoded here.
type sig struct {
	name string
	args []kind
}

// sigs lists the argument kinds of the calls decoded here, sorted by name (sigOf searches it):
// the calls sctrace names when it denies them, and common calls whose arguments need no decoding
// beyond their types.
var sigs = []sig{
	{"accept", []kind{kFd, kPtr, kPtr}},
	{"accept4", []kind{kFd, kPtr, kPtr, kHex}},
	{"access", []kind{kPath, kMode}},
	{"acct", []kind{kPath}},
	{"add_key", []kind{kPath, kPath, kPtr, kUint, kInt}},
	{"alarm", []kind{kUint}},
	{"arch_prctl", []kind{kHex, kPtr}},
	{"bind", []kind{kFd, kSockaddr, kUint}},
	{"bpf", []kind{kInt, kPtr, kUint}},
	{"brk", []kind{kPtr}},
	{"capget", []kind{kPtr, kPtr}},
	{"capset", []kind{kPtr, kPtr}},
	{"chdir", []kind{kPath}},
	{"chmod", []kind{kPath, kMode}},
	{"chown", []kind{kPath, kInt, kInt}},
	{"chown32", []kind{kPath, kInt, kInt}},
	{"chroot", []kind{kPath}},
	{"clock_getres", []kind{kClock, kPtr}},
	{"clock_gettime", []kind{kClock, kPtr}},
	{"clock_nanosleep", []kind{kClock, kHex, kPtr, kPtr}},
	{"clock_settime", []kind{kClock, kPtr}},
	{"clone", []kind{kClone, kPtr, kPtr, kPtr, kHex}},
	{"clone3", []kind{kPtr, kUint}},
	{"close", []kind{kFd}},
	{"close_range", []kind{kFd, kFd, kHex}},
	{"connect", []kind{kFd, kSockaddr, kUint}},
	{"copy_file_range", []kind{kFd, kPtr, kFd, kPtr, kUint, kHex}},
	{"creat", []kind{kPath, kMode}},
	{"delete_module", []kind{kPath, kHex}},
	{"dup", []kind{kFd}},
	{"dup2", []kind{kFd, kFd}},
	{"dup3", []kind{kFd, kFd, kOpenFlags}},
	{"epoll_create", []kind{kInt}},
	{"epoll_create1", []kind{kEpollFlags}},
	{"epoll_ctl", []kind{kFd, kInt, kFd, kPtr}},
	{"epoll_pwait", []kind{kFd, kPtr, kInt, kInt, kPtr, kUint}},
	{"epoll_wait", []kind{kFd, kPtr, kInt, kInt}},
	{"eventfd", []kind{kUint}},
	{"eventfd2", []kind{kUint, kHex}},
	{"execve", []kind{kPath, kPtr, kPtr}},
	{"execveat", []kind{kAtFd, kPath, kPtr, kPtr, kAtFlags}},
	{"exit", []kind{kInt}},
	{"exit_group", []kind{kInt}},
	{"faccessat", []kind{kAtFd, kPath, kMode}},
	{"faccessat2", []kind{kAtFd, kPath, kMode, kAtFlags}},
	{"fadvise64", []kind{kFd, kLong, kLong, kInt}},
	{"fallocate", []kind{kFd, kHex, kLong, kLong}},
	{"fanotify_init", []kind{kHex, kHex}},
	{"fchdir", []kind{kFd}},
	{"fchmod", []kind{kFd, kMode}},
	{"fchmodat", []kind{kAtFd, kPath, kMode}},
	{"fchown", []kind{kFd, kInt, kInt}},
	{"fcntl", []kind{kFd, kFcntl, kHex}},
	{"fcntl64", []kind{kFd, kFcntl, kHex}},
	{"fdatasync", []kind{kFd}},
	{"fgetxattr", []kind{kFd, kPtr, kPtr, kUint}},
	{"finit_module", []kind{kFd, kPath, kHex}},
	{"flistxattr", []kind{kFd, kPtr, kUint}},
	{"flock", []kind{kFd, kInt}},
	{"fork", []kind{}},
	{"fsetxattr", []kind{kFd, kPtr, kPtr, kUint, kHex}},
	{"fstat", []kind{kFd, kPtr}},
	{"fstatfs", []kind{kFd, kPtr}},
	{"fsync", []kind{kFd}},
	{"ftruncate", []kind{kFd, kLong}},
	{"futex", []kind{kPtr, kInt, kInt, kPtr, kPtr, kInt}},
	{"getcpu", []kind{kPtr, kPtr, kPtr}},
	{"getcwd", []kind{kPtr, kUint}},
	{"getdents", []kind{kFd, kPtr, kUint}},
	{"getdents64", []kind{kFd, kPtr, kUint}},
	{"getegid", []kind{}},
	{"geteuid", []kind{}},
	{"getgid", []kind{}},
	{"getgroups", []kind{kInt, kPtr}},
	{"getitimer", []kind{kInt, kPtr}},
	{"getpeername", []kind{kFd, kPtr, kPtr}},
	{"getpgid", []kind{kInt}},
	{"getpgrp", []kind{}},
	{"getpid", []kind{}},
	{"getppid", []kind{}},
	{"getpriority", []kind{kWhich, kInt}},
	{"getrandom", []kind{kPtr, kUint, kHex}},
	{"getresgid", []kind{kPtr, kPtr, kPtr}},
	{"getresuid", []kind{kPtr, kPtr, kPtr}},
	{"getrlimit", []kind{kInt, kPtr}},
	{"getrusage", []kind{kInt, kPtr}},
	{"getsid", []kind{kInt}},
	{"getsockname", []kind{kFd, kPtr, kPtr}},
	{"getsockopt", []kind{kFd, kLevel, kSockOpt, kPtr, kPtr}},
	{"gettid", []kind{}},
	{"gettimeofday", []kind{kPtr, kPtr}},
	{"getuid", []kind{}},
	{"getxattr", []kind{kPath, kPtr, kPtr, kUint}},
	{"init_module", []kind{kPtr, kUint, kPath}},
	{"inotify_add_watch", []kind{kFd, kPath, kHex}},
	{"inotify_init", []kind{}},
	{"inotify_init1", []kind{kHex}},
	{"inotify_rm_watch", []kind{kFd, kInt}},
	{"io_uring_setup", []kind{kUint, kPtr}},
	{"ioctl", []kind{kFd, kIoctl, kPtr}},
	{"ioperm", []kind{kHex, kHex, kInt}},
	{"iopl", []kind{kInt}},
	{"kexec_load", []kind{kHex, kUint, kPtr, kHex}},
	{"keyctl", []kind{kInt, kHex, kHex, kHex, kHex}},
	{"kill", []kind{kInt, kSignal}},
	{"landlock_create_ruleset", []kind{kPtr, kUint, kHex}},
	{"lgetxattr", []kind{kPath, kPtr, kPtr, kUint}},
	{"link", []kind{kPath, kPath}},
	{"linkat", []kind{kAtFd, kPath, kAtFd, kPath, kAtFlags}},
	{"listen", []kind{kFd, kInt}},
	{"listxattr", []kind{kPath, kPtr, kUint}},
	{"llistxattr", []kind{kPath, kPtr, kUint}},
	{"lseek", []kind{kFd, kLong, kWhence}},
	{"lsetxattr", []kind{kPath, kPtr, kPtr, kUint, kHex}},
	{"lstat", []kind{kPath, kPtr}},
	{"madvise", []kind{kPtr, kUint, kInt}},
	{"memfd_create", []kind{kPath, kHex}},
	{"mkdir", []kind{kPath, kMode}},
	{"mkdirat", []kind{kAtFd, kPath, kMode}},
	{"mlock", []kind{kPtr, kUint}},
	{"mlockall", []kind{kHex}},
	{"mmap", []kind{kPtr, kUint, kProt, kMapFlags, kFd, kHex}},
	{"mmap2", []kind{kPtr, kUint, kProt, kMapFlags, kFd, kHex}},
	{"mount", []kind{kPath, kPath, kPath, kHex, kPtr}},
	{"mprotect", []kind{kPtr, kUint, kProt}},
	{"mremap", []kind{kPtr, kUint, kUint, kHex, kPtr}},
	{"msync", []kind{kPtr, kUint, kHex}},
	{"munlock", []kind{kPtr, kUint}},
	{"munmap", []kind{kPtr, kUint}},
	{"nanosleep", []kind{kPtr, kPtr}},
	{"newfstatat", []kind{kAtFd, kPath, kPtr, kAtFlags}},
	{"open", []kind{kPath, kOpenFlags, kMode}},
	{"openat", []kind{kAtFd, kPath, kOpenFlags, kMode}},
	{"pause", []kind{}},
	{"perf_event_open", []kind{kPtr, kInt, kInt, kFd, kHex}},
	{"personality", []kind{kPersona}},
	{"pidfd_open", []kind{kInt, kHex}},
	{"pidfd_send_signal", []kind{kFd, kSignal, kPtr, kHex}},
	{"pipe", []kind{kPtr}},
	{"pipe2", []kind{kPtr, kOpenFlags}},
	{"pivot_root", []kind{kPath, kPath}},
	{"pkey_mprotect", []kind{kPtr, kUint, kProt, kInt}},
	{"poll", []kind{kPtr, kUint, kInt}},
	{"ppoll", []kind{kPtr, kUint, kPtr, kPtr, kUint}},
	{"prctl", []kind{kPrctl, kHex, kHex, kHex, kHex}},
	{"pread64", []kind{kFd, kPtr, kUint, kLong}},
	{"prlimit64", []kind{kInt, kInt, kPtr, kPtr}},
	{"process_vm_readv", []kind{kInt, kPtr, kUint, kPtr, kUint, kHex}},
	{"process_vm_writev", []kind{kInt, kPtr, kUint, kPtr, kUint, kHex}},
	{"ptrace", []kind{kPtrace, kInt, kPtr, kPtr}},
	{"pwrite64", []kind{kFd, kPtr, kUint, kLong}},
	{"quotactl", []kind{kHex, kPath, kInt, kPtr}},
	{"read", []kind{kFd, kPtr, kUint}},
	{"readahead", []kind{kFd, kLong, kUint}},
	{"readlink", []kind{kPath, kPtr, kUint}},
	{"readlinkat", []kind{kAtFd, kPath, kPtr, kUint}},
	{"readv", []kind{kFd, kPtr, kInt}},
	{"reboot", []kind{kHex, kHex, kHex, kPtr}},
	{"recvfrom", []kind{kFd, kPtr, kUint, kMsgFlags, kPtr, kPtr}},
	{"recvmmsg", []kind{kFd, kPtr, kUint, kMsgFlags, kPtr}},
	{"recvmsg", []kind{kFd, kPtr, kMsgFlags}},
	{"removexattr", []kind{kPath, kPtr}},
	{"rename", []kind{kPath, kPath}},
	{"renameat", []kind{kAtFd, kPath, kAtFd, kPath}},
	{"renameat2", []kind{kAtFd, kPath, kAtFd, kPath, kHex}},
	{"request_key", []kind{kPath, kPath, kPtr, kInt}},
	{"rmdir", []kind{kPath}},
	{"rseq", []kind{kPtr, kUint, kHex, kHex}},
	{"rt_sigaction", []kind{kSignal, kPtr, kPtr, kUint}},
	{"rt_sigprocmask", []kind{kSigHow, kPtr, kPtr, kUint}},
	{"rt_sigqueueinfo", []kind{kInt, kSignal, kPtr}},
	{"rt_sigreturn", []kind{}},
	{"rt_sigsuspend", []kind{kPtr, kUint}},
	{"rt_sigtimedwait", []kind{kPtr, kPtr, kPtr, kUint}},
	{"sched_getaffinity", []kind{kInt, kUint, kPtr}},
	{"sched_getparam", []kind{kInt, kPtr}},
	{"sched_getscheduler", []kind{kInt}},
	{"sched_setaffinity", []kind{kInt, kUint, kPtr}},
	{"sched_setscheduler", []kind{kInt, kInt, kPtr}},
	{"sched_yield", []kind{}},
	{"seccomp", []kind{kSeccompOp, kHex, kPtr}},
	{"sendfile", []kind{kFd, kFd, kPtr, kUint}},
	{"sendmmsg", []kind{kFd, kPtr, kUint, kMsgFlags}},
	{"sendmsg", []kind{kFd, kPtr, kMsgFlags}},
	{"sendto", []kind{kFd, kPtr, kUint, kMsgFlags, kSockaddr, kUint}},
	{"set_robust_list", []kind{kPtr, kUint}},
	{"set_tid_address", []kind{kPtr}},
	{"setfsgid", []kind{kInt}},
	{"setfsuid", []kind{kInt}},
	{"setgid", []kind{kInt}},
	{"setgroups", []kind{kInt, kPtr}},
	{"sethostname", []kind{kPtr, kUint}},
	{"setitimer", []kind{kInt, kPtr, kPtr}},
	{"setns", []kind{kFd, kClone}},
	{"setpgid", []kind{kInt, kInt}},
	{"setpriority", []kind{kWhich, kInt, kInt}},
	{"setregid", []kind{kInt, kInt}},
	{"setresgid", []kind{kInt, kInt, kInt}},
	{"setresuid", []kind{kInt, kInt, kInt}},
	{"setreuid", []kind{kInt, kInt}},
	{"setrlimit", []kind{kInt, kPtr}},
	{"setsid", []kind{}},
	{"setsockopt", []kind{kFd, kLevel, kSockOpt, kPtr, kUint}},
	{"setuid", []kind{kInt}},
	{"setxattr", []kind{kPath, kPtr, kPtr, kUint, kHex}},
	{"shutdown", []kind{kFd, kInt}},
	{"sigaltstack", []kind{kPtr, kPtr}},
	{"signalfd4", []kind{kFd, kPtr, kUint, kHex}},
	{"socket", []kind{kDomain, kSockType, kInt}},
	{"socketpair", []kind{kDomain, kSockType, kInt, kPtr}},
	{"splice", []kind{kFd, kPtr, kFd, kPtr, kUint, kHex}},
	{"stat", []kind{kPath, kPtr}},
	{"statfs", []kind{kPath, kPtr}},
	{"statx", []kind{kAtFd, kPath, kAtFlags, kHex, kPtr}},
	{"swapoff", []kind{kPath}},
	{"swapon", []kind{kPath, kHex}},
	{"symlink", []kind{kPath, kPath}},
	{"symlinkat", []kind{kPath, kAtFd, kPath}},
	{"sync", []kind{}},
	{"sync_file_range", []kind{kFd, kLong, kLong, kHex}},
	{"syncfs", []kind{kFd}},
	{"sysinfo", []kind{kPtr}},
	{"syslog", []kind{kInt, kPtr, kInt}},
	{"tgkill", []kind{kInt, kInt, kSignal}},
	{"time", []kind{kPtr}},
	{"timer_create", []kind{kClock, kPtr, kPtr}},
	{"timerfd_create", []kind{kInt, kHex}},
	{"times", []kind{kPtr}},
	{"tkill", []kind{kInt, kSignal}},
	{"truncate", []kind{kPath, kLong}},
	{"umask", []kind{kMode}},
	{"umount2", []kind{kPath, kHex}},
	{"uname", []kind{kPtr}},
	{"unlink", []kind{kPath}},
	{"unlinkat", []kind{kAtFd, kPath, kAtFlags}},
	{"unshare", []kind{kClone}},
	{"userfaultfd", []kind{kHex}},
	{"utimensat", []kind{kAtFd, kPath, kPtr, kAtFlags}},
	{"vfork", []kind{}},
	{"vhangup", []kind{}},
	{"wait4", []kind{kInt, kPtr, kHex, kPtr}},
	{"waitid", []kind{kInt, kInt, kPtr, kHex, kPtr}},
	{"write", []kind{kFd, kPtr, kUint}},
	{"writev", []kind{kFd, kPtr, kInt}},
}

// sigOf returns the argument kinds of a call, if it is one decoded here.
func sigOf(name string) ([]kind, bool) {
	i, ok := sort.Find(len(sigs), func(i int) int { return strings.Compare(name, sigs[i].name) })
	if !ok {
		return nil, false
	}
	return sigs[i].args, true
}

// Peek says which memory Call would like to read for a call: the argument index and its
// address, at most max bytes, a NUL-terminated string if str. ok is false if none.
func Peek(a *arch.Arch, nr int, args [6]uint64) (arg int, addr uint64, max int, str bool, ok bool) {
	name, known := a.SyscallName(nr)
	if !known {
		return 0, 0, 0, false, false
	}
	kinds, _ := sigOf(name)
	for i, k := range kinds {
		switch k {
		case kPath:
			if args[i] != 0 {
				return i, args[i], 4096, true, true
			}
			return 0, 0, 0, false, false
		case kSockaddr:
			n := 128
			if i+1 < 6 && args[i+1] > 0 && args[i+1] < 128 {
				n = int(args[i+1])
			}
			if args[i] != 0 {
				return i, args[i], n, false, true
			}
			return 0, 0, 0, false, false
		}
	}
	return 0, 0, 0, false, false
}

// PathArgs lists the arguments of call nr of ABI a that are paths (NUL-terminated strings in
// memory) and not NULL: Peek asks for the first; a caller that can read the others gives them to
// CallMems.
func PathArgs(a *arch.Arch, nr int, args [6]uint64) []int {
	name, known := a.SyscallName(nr)
	if !known {
		return nil
	}
	var out []int
	kinds, _ := sigOf(name)
	for i, k := range kinds {
		if k == kPath && args[i] != 0 {
			out = append(out, i)
		}
	}
	return out
}

// CallMems is Call with the memory of several arguments (a path each, by argument index).
func CallMems(a *arch.Arch, nr int, args [6]uint64, mems map[int][]byte) string {
	return call(a, nr, args, mems)
}

// Call renders call nr of ABI a with args; mem is the memory Peek asked for at argument memArg
// (nil if it could not be read).
func Call(a *arch.Arch, nr int, args [6]uint64, mem []byte, memArg int) string {
	var mems map[int][]byte
	if memArg >= 0 && mem != nil {
		mems = map[int][]byte{memArg: mem}
	}
	return call(a, nr, args, mems)
}

func call(a *arch.Arch, nr int, args [6]uint64, mems map[int][]byte) string {
	name, known := a.SyscallName(nr)
	if !known {
		return fmt.Sprintf("syscall_%#x(%s)", uint32(nr), hexArgs(args[:]))
	}
	sig, ok := sigOf(name)
	if !ok {
		return name + "(" + hexArgs(args[:]) + ")"
	}
	if (name == "open" || name == "openat") && args[len(sig)-2]&(a.OCreat|0o20000000) == 0 {
		sig = sig[:len(sig)-1] // the mode is read only to create a file (strace omits it too)
	}
	parts := make([]string, len(sig))
	for i, k := range sig {
		m, peeked := mems[i]
		if k == kSockOpt && i > 0 {
			parts[i] = sockOpt(a, args[i-1], args[i])
			continue
		}
		parts[i] = arg(a, k, args[i], m, peeked)
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}

// sockOpt renders a socket option name, which means something only with its level.
func sockOpt(a *arch.Arch, level, v uint64) string {
	if generic(a) {
		for _, l := range sockOpts {
			if l.level == int64(int32(uint32(level))) {
				if n, ok := lookup(l.opts, int64(int32(uint32(v)))); ok {
					return n
				}
			}
		}
	}
	return fmt.Sprintf("%d", int32(uint32(v)))
}

// Arg renders one argument of a call of a as Call would (a pointer or path as its address:
// there is no memory to read), or "" when the call is not one this package decodes. An argument
// whose meaning depends on another (a socket option's name on its level) is rendered alone as
// a number: ArgIn has the others.
func Arg(a *arch.Arch, nr, index int, v uint64) string {
	var args [6]uint64
	if index >= 0 && index < 6 {
		args[index] = v
	}
	return argIn(a, nr, index, args, false)
}

// ArgIn is Arg, with the other arguments of the call (those that decide what this one means).
func ArgIn(a *arch.Arch, nr, index int, args [6]uint64) string {
	return argIn(a, nr, index, args, true)
}

func argIn(a *arch.Arch, nr, index int, args [6]uint64, context bool) string {
	name, known := a.SyscallName(nr)
	if !known || index < 0 || index > 5 {
		return ""
	}
	sig, ok := sigOf(name)
	if !ok || index >= len(sig) {
		return ""
	}
	if sig[index] == kSockOpt && index > 0 {
		if !context {
			return fmt.Sprintf("%d", int32(uint32(args[index])))
		}
		return sockOpt(a, args[index-1], args[index])
	}
	return arg(a, sig[index], args[index], nil, false)
}

func hexArgs(args []uint64) string {
	parts := make([]string, len(args))
	for i, v := range args {
		parts[i] = hex(v)
	}
	return strings.Join(parts, ", ")
}

// hex renders a number in hexadecimal, and 0 as strace does.
func hex(v uint64) string {
	if v == 0 {
		return "0"
	}
	return fmt.Sprintf("%#x", v)
}

// word is the argument as the ABI's C code sees it: a 32-bit ABI's arguments are 32 bits.
func word(a *arch.Arch, v uint64) uint64 {
	if a.Bits == 32 {
		return uint64(uint32(v))
	}
	return v
}

// generic reports whether a uses the generic constant values this package knows.
func generic(a *arch.Arch) bool {
	switch a.Name {
	case "x86_64", "x86", "x32", "aarch64", "riscv64", "loongarch64", "arm":
		return true
	}
	return false
}

func arg(a *arch.Arch, k kind, v uint64, mem []byte, peeked bool) string {
	v = word(a, v)
	i32 := int64(int32(uint32(v)))
	switch k {
	case kInt, kFd:
		return strconv.FormatInt(i32, 10)
	case kLong:
		if a.Bits == 32 {
			return strconv.FormatInt(i32, 10)
		}
		return strconv.FormatInt(int64(v), 10)
	case kUint:
		return strconv.FormatUint(v, 10)
	case kHex:
		return hex(v)
	case kPtr:
		if v == 0 {
			return "NULL"
		}
		return fmt.Sprintf("%#x", v)
	case kAtFd:
		if i32 == -100 {
			return "AT_FDCWD"
		}
		return strconv.FormatInt(i32, 10)
	case kMode:
		return fmt.Sprintf("%#o", v)
	case kPath:
		if v == 0 {
			return "NULL"
		}
		if !peeked || mem == nil {
			return fmt.Sprintf("%#x", v)
		}
		return strconv.Quote(string(mem))
	case kSockaddr:
		if v == 0 {
			return "NULL"
		}
		if !peeked || mem == nil {
			return fmt.Sprintf("%#x", v)
		}
		return sockaddr(mem)
	}
	if !generic(a) {
		return fmt.Sprintf("%#x", v)
	}
	switch k {
	case kOpenFlags:
		if a.Name != "x86_64" && a.Name != "x86" && a.Name != "x32" {
			return fmt.Sprintf("%#o", v)
		}
		acc := []string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}[v&3]
		if rest := flags(v&^3, openFlags); rest != "" {
			return acc + "|" + rest
		}
		return acc
	case kDomain:
		return enum(i32, domains, "AF_")
	case kSockType:
		t := enum(int64(v&0xf), sockTypes, "SOCK_")
		if rest := flags(v&^0xf, sockFlags); rest != "" {
			return t + "|" + rest
		}
		return t
	case kIoctl:
		if n, ok := lookup(ioctls, int64(uint32(v))); ok {
			return n
		}
		return fmt.Sprintf("%#x", uint32(v))
	case kProt:
		if v == 0 {
			return "PROT_NONE"
		}
		return flags(v, prots)
	case kMapFlags:
		t := enum(int64(v&3), mapTypes, "MAP_")
		if rest := flags(v&^3, mapFlags); rest != "" {
			return t + "|" + rest
		}
		return t
	case kClone:
		s := flags(v&^0xff, cloneFlags)
		if sig := v & 0xff; sig != 0 {
			if s != "" {
				s += "|"
			}
			s += enum(int64(sig), signals, "SIG")
		}
		if s == "" {
			return "0"
		}
		return s
	case kPrctl:
		return enum(i32, prctls, "PR_")
	case kSignal:
		if i32 == 0 {
			return "0"
		}
		return enum(i32, signals, "SIG")
	case kFcntl:
		return enum(i32, fcntls, "F_")
	case kLevel:
		return enum(i32, levels, "SOL_")
	case kSockOpt:
		return fmt.Sprintf("%d", i32)
	case kEpollFlags:
		return flags(v, epollFlags)
	case kPersona:
		if uint32(v) == 0xffffffff {
			return "0xffffffff"
		}
		base := enum(int64(v&0xff), personas, "PER_")
		if rest := flags(v&^0xff, personaFlags); rest != "" {
			return base + "|" + rest
		}
		return base
	case kPtrace:
		return enum(i32, ptraces, "PTRACE_")
	case kAtFlags:
		if v == 0 {
			return "0"
		}
		return flags(v, atFlags)
	case kSeccompOp:
		return enum(i32, seccompOps, "SECCOMP_")
	case kSigHow:
		return enum(i32, sigHows, "SIG_")
	case kWhence:
		return enum(i32, whences, "SEEK_")
	case kMsgFlags:
		if v == 0 {
			return "0"
		}
		return flags(v, msgFlags)
	case kClock:
		return enum(i32, clocks, "CLOCK_")
	case kWhich:
		return enum(i32, prioWhich, "PRIO_")
	}
	return fmt.Sprintf("%#x", v)
}

// flags renders a flag word: the names of the bits it knows, in the order of names (by value),
// then the rest in hexadecimal.
func flags(v uint64, names []bit) string {
	if v == 0 {
		return ""
	}
	var parts []string
	for _, b := range names {
		if v&b.v == b.v {
			parts = append(parts, b.name)
			v &^= b.v
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	return strings.Join(parts, "|")
}

// enum renders a value from a list of names, or prefix with its number (as strace does for
// values it does not know: AF_???  would hide the number).
func enum(v int64, names []value, prefix string) string {
	if n, ok := lookup(names, v); ok {
		return n
	}
	return fmt.Sprintf("%d /* %s??? */", v, prefix)
}

// sockaddr renders a socket address: AF_UNIX path, IPv4 and IPv6 address and port.
func sockaddr(b []byte) string {
	if len(b) < 2 {
		return "{...}"
	}
	family := binary.NativeEndian.Uint16(b)
	switch family {
	case 1: // AF_UNIX
		path := b[2:]
		if i := strings.IndexByte(string(path), 0); i > 0 {
			path = path[:i]
		}
		if len(path) > 0 && path[0] == 0 {
			return fmt.Sprintf("{sa_family=AF_UNIX, sun_path=@%s}", strconv.Quote(string(path[1:])))
		}
		return fmt.Sprintf("{sa_family=AF_UNIX, sun_path=%s}", strconv.Quote(string(path)))
	case 2: // AF_INET
		if len(b) >= 8 {
			addr := netip.AddrFrom4([4]byte(b[4:8]))
			return fmt.Sprintf("{sa_family=AF_INET, sin_port=htons(%d), sin_addr=inet_addr(%q)}",
				binary.BigEndian.Uint16(b[2:]), addr.String())
		}
	case 10: // AF_INET6
		if len(b) >= 24 {
			addr := netip.AddrFrom16([16]byte(b[8:24]))
			return fmt.Sprintf("{sa_family=AF_INET6, sin6_port=htons(%d), sin6_addr=%q}",
				binary.BigEndian.Uint16(b[2:]), addr.String())
		}
	}
	if n, ok := lookup(domains, int64(family)); ok {
		return "{sa_family=" + n + ", ...}"
	}
	return fmt.Sprintf("{sa_family=%d, ...}", family)
}
