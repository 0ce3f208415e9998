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

// sigs lists the argument kinds of the calls decoded here.
var sigs = map[string][]kind{
	"socket":         {kDomain, kSockType, kInt},
	"socketpair":     {kDomain, kSockType, kInt, kPtr},
	"connect":        {kFd, kSockaddr, kUint},
	"bind":           {kFd, kSockaddr, kUint},
	"sendto":         {kFd, kPtr, kUint, kMsgFlags, kSockaddr, kUint},
	"listen":         {kFd, kInt},
	"accept":         {kFd, kPtr, kPtr},
	"accept4":        {kFd, kPtr, kPtr, kHex},
	"setsockopt":     {kFd, kLevel, kSockOpt, kPtr, kUint},
	"getsockopt":     {kFd, kLevel, kSockOpt, kPtr, kPtr},
	"ioctl":          {kFd, kIoctl, kPtr},
	"open":           {kPath, kOpenFlags, kMode},
	"openat":         {kAtFd, kPath, kOpenFlags, kMode},
	"creat":          {kPath, kMode},
	"access":         {kPath, kMode},
	"faccessat":      {kAtFd, kPath, kMode},
	"faccessat2":     {kAtFd, kPath, kMode, kAtFlags},
	"stat":           {kPath, kPtr},
	"lstat":          {kPath, kPtr},
	"newfstatat":     {kAtFd, kPath, kPtr, kAtFlags},
	"statx":          {kAtFd, kPath, kAtFlags, kHex, kPtr},
	"mkdir":          {kPath, kMode},
	"mkdirat":        {kAtFd, kPath, kMode},
	"rmdir":          {kPath},
	"unlink":         {kPath},
	"unlinkat":       {kAtFd, kPath, kAtFlags},
	"chdir":          {kPath},
	"chmod":          {kPath, kMode},
	"fchmodat":       {kAtFd, kPath, kMode},
	"chown":          {kPath, kInt, kInt},
	"truncate":       {kPath, kLong},
	"readlink":       {kPath, kPtr, kUint},
	"readlinkat":     {kAtFd, kPath, kPtr, kUint},
	"execve":         {kPath, kPtr, kPtr},
	"execveat":       {kAtFd, kPath, kPtr, kPtr, kAtFlags},
	"chroot":         {kPath},
	"mount":          {kPath, kPath, kPath, kHex, kPtr},
	"umount2":        {kPath, kHex},
	"read":           {kFd, kPtr, kUint},
	"write":          {kFd, kPtr, kUint},
	"close":          {kFd},
	"dup":            {kFd},
	"dup2":           {kFd, kFd},
	"dup3":           {kFd, kFd, kOpenFlags},
	"fcntl":          {kFd, kFcntl, kHex},
	"fcntl64":        {kFd, kFcntl, kHex},
	"mmap":           {kPtr, kUint, kProt, kMapFlags, kFd, kHex},
	"mmap2":          {kPtr, kUint, kProt, kMapFlags, kFd, kHex},
	"mprotect":       {kPtr, kUint, kProt},
	"pkey_mprotect":  {kPtr, kUint, kProt, kInt},
	"munmap":         {kPtr, kUint},
	"personality":    {kPersona},
	"prctl":          {kPrctl, kHex, kHex, kHex, kHex},
	"clone":          {kClone, kPtr, kPtr, kPtr, kHex},
	"clone3":         {kPtr, kUint},
	"kill":           {kInt, kSignal},
	"tkill":          {kInt, kSignal},
	"tgkill":         {kInt, kInt, kSignal},
	"ptrace":         {kPtrace, kInt, kPtr, kPtr},
	"seccomp":        {kSeccompOp, kHex, kPtr},
	"getpid":         {},
	"getppid":        {},
	"gettid":         {},
	"getuid":         {},
	"geteuid":        {},
	"getgid":         {},
	"getegid":        {},
	"sched_yield":    {},
	"sync":           {},
	"fork":           {},
	"vfork":          {},
	"setuid":         {kInt},
	"setgid":         {kInt},
	"setresuid":      {kInt, kInt, kInt},
	"setresgid":      {kInt, kInt, kInt},
	"exit":           {kInt},
	"exit_group":     {kInt},
	"getrandom":      {kPtr, kUint, kHex},
	"nanosleep":      {kPtr, kPtr},
	"pipe2":          {kPtr, kOpenFlags},
	"getcwd":         {kPtr, kUint},
	"setns":          {kFd, kClone},
	"unshare":        {kClone},
	"bpf":            {kInt, kPtr, kUint},
	"init_module":    {kPtr, kUint, kPath},
	"finit_module":   {kFd, kPath, kHex},
	"kexec_load":     {kHex, kUint, kPtr, kHex},
	"io_uring_setup": {kUint, kPtr},
	"memfd_create":   {kPath, kHex},
	// Common calls whose arguments need no decoding beyond their types.
	"getdents":                {kFd, kPtr, kUint},
	"getdents64":              {kFd, kPtr, kUint},
	"fstat":                   {kFd, kPtr},
	"fstatfs":                 {kFd, kPtr},
	"statfs":                  {kPath, kPtr},
	"lseek":                   {kFd, kLong, kWhence},
	"pread64":                 {kFd, kPtr, kUint, kLong},
	"pwrite64":                {kFd, kPtr, kUint, kLong},
	"readv":                   {kFd, kPtr, kInt},
	"writev":                  {kFd, kPtr, kInt},
	"poll":                    {kPtr, kUint, kInt},
	"ppoll":                   {kPtr, kUint, kPtr, kPtr, kUint},
	"brk":                     {kPtr},
	"rt_sigaction":            {kSignal, kPtr, kPtr, kUint},
	"rt_sigprocmask":          {kSigHow, kPtr, kPtr, kUint},
	"rt_sigreturn":            {},
	"sigaltstack":             {kPtr, kPtr},
	"futex":                   {kPtr, kInt, kInt, kPtr, kPtr, kInt},
	"prlimit64":               {kInt, kInt, kPtr, kPtr},
	"getrlimit":               {kInt, kPtr},
	"uname":                   {kPtr},
	"sysinfo":                 {kPtr},
	"wait4":                   {kInt, kPtr, kHex, kPtr},
	"waitid":                  {kInt, kInt, kPtr, kHex, kPtr},
	"pipe":                    {kPtr},
	"eventfd2":                {kUint, kHex},
	"epoll_create1":           {kEpollFlags},
	"epoll_ctl":               {kFd, kInt, kFd, kPtr},
	"epoll_wait":              {kFd, kPtr, kInt, kInt},
	"epoll_pwait":             {kFd, kPtr, kInt, kInt, kPtr, kUint},
	"sendmsg":                 {kFd, kPtr, kMsgFlags},
	"recvmsg":                 {kFd, kPtr, kMsgFlags},
	"recvfrom":                {kFd, kPtr, kUint, kMsgFlags, kPtr, kPtr},
	"shutdown":                {kFd, kInt},
	"getsockname":             {kFd, kPtr, kPtr},
	"getpeername":             {kFd, kPtr, kPtr},
	"madvise":                 {kPtr, kUint, kInt},
	"mremap":                  {kPtr, kUint, kUint, kHex, kPtr},
	"set_tid_address":         {kPtr},
	"set_robust_list":         {kPtr, kUint},
	"arch_prctl":              {kHex, kPtr},
	"rseq":                    {kPtr, kUint, kHex, kHex},
	"clock_gettime":           {kClock, kPtr},
	"clock_nanosleep":         {kClock, kHex, kPtr, kPtr},
	"umask":                   {kMode},
	"rename":                  {kPath, kPath},
	"renameat":                {kAtFd, kPath, kAtFd, kPath},
	"renameat2":               {kAtFd, kPath, kAtFd, kPath, kHex},
	"link":                    {kPath, kPath},
	"symlink":                 {kPath, kPath},
	"symlinkat":               {kPath, kAtFd, kPath},
	"linkat":                  {kAtFd, kPath, kAtFd, kPath, kAtFlags},
	"utimensat":               {kAtFd, kPath, kPtr, kAtFlags},
	"flock":                   {kFd, kInt},
	"fsync":                   {kFd},
	"fdatasync":               {kFd},
	"ftruncate":               {kFd, kLong},
	"fchmod":                  {kFd, kMode},
	"fchown":                  {kFd, kInt, kInt},
	"fchdir":                  {kFd},
	"getrusage":               {kInt, kPtr},
	"setpgid":                 {kInt, kInt},
	"getpgid":                 {kInt},
	"setsid":                  {},
	"getsid":                  {kInt},
	"getpgrp":                 {},
	"capget":                  {kPtr, kPtr},
	"capset":                  {kPtr, kPtr},
	"sched_getaffinity":       {kInt, kUint, kPtr},
	"sched_setaffinity":       {kInt, kUint, kPtr},
	"inotify_init1":           {kHex},
	"inotify_add_watch":       {kFd, kPath, kHex},
	"sethostname":             {kPtr, kUint},
	"setrlimit":               {kInt, kPtr},
	"chown32":                 {kPath, kInt, kInt},
	"alarm":                   {kUint},
	"pause":                   {},
	"getitimer":               {kInt, kPtr},
	"setitimer":               {kInt, kPtr, kPtr},
	"timerfd_create":          {kInt, kHex},
	"signalfd4":               {kFd, kPtr, kUint, kHex},
	"splice":                  {kFd, kPtr, kFd, kPtr, kUint, kHex},
	"sendfile":                {kFd, kFd, kPtr, kUint},
	"copy_file_range":         {kFd, kPtr, kFd, kPtr, kUint, kHex},
	"close_range":             {kFd, kFd, kHex},
	"pidfd_open":              {kInt, kHex},
	"pidfd_send_signal":       {kFd, kSignal, kPtr, kHex},
	"landlock_create_ruleset": {kPtr, kUint, kHex},
	"userfaultfd":             {kHex},
	"perf_event_open":         {kPtr, kInt, kInt, kFd, kHex},
	"process_vm_readv":        {kInt, kPtr, kUint, kPtr, kUint, kHex},
	"process_vm_writev":       {kInt, kPtr, kUint, kPtr, kUint, kHex},
	"keyctl":                  {kInt, kHex, kHex, kHex, kHex},
	"add_key":                 {kPath, kPath, kPtr, kUint, kInt},
	"request_key":             {kPath, kPath, kPtr, kInt},
	"delete_module":           {kPath, kHex},
	"swapon":                  {kPath, kHex},
	"swapoff":                 {kPath},
	"reboot":                  {kHex, kHex, kHex, kPtr},
	"acct":                    {kPath},
	"pivot_root":              {kPath, kPath},
	"quotactl":                {kHex, kPath, kInt, kPtr},
	"syslog":                  {kInt, kPtr, kInt},
	"iopl":                    {kInt},
	"ioperm":                  {kHex, kHex, kInt},
	"rt_sigsuspend":           {kPtr, kUint},
	"rt_sigtimedwait":         {kPtr, kPtr, kPtr, kUint},
	"rt_sigqueueinfo":         {kInt, kSignal, kPtr},
	"getxattr":                {kPath, kPtr, kPtr, kUint},
	"lgetxattr":               {kPath, kPtr, kPtr, kUint},
	"fgetxattr":               {kFd, kPtr, kPtr, kUint},
	"setxattr":                {kPath, kPtr, kPtr, kUint, kHex},
	"lsetxattr":               {kPath, kPtr, kPtr, kUint, kHex},
	"fsetxattr":               {kFd, kPtr, kPtr, kUint, kHex},
	"listxattr":               {kPath, kPtr, kUint},
	"llistxattr":              {kPath, kPtr, kUint},
	"flistxattr":              {kFd, kPtr, kUint},
	"removexattr":             {kPath, kPtr},
	"getpriority":             {kWhich, kInt},
	"setpriority":             {kWhich, kInt, kInt},
	"clock_getres":            {kClock, kPtr},
	"clock_settime":           {kClock, kPtr},
	"timer_create":            {kClock, kPtr, kPtr},
	"recvmmsg":                {kFd, kPtr, kUint, kMsgFlags, kPtr},
	"sendmmsg":                {kFd, kPtr, kUint, kMsgFlags},
	"getcpu":                  {kPtr, kPtr, kPtr},
	"gettimeofday":            {kPtr, kPtr},
	"time":                    {kPtr},
	"times":                   {kPtr},
	"sched_getparam":          {kInt, kPtr},
	"sched_getscheduler":      {kInt},
	"sched_setscheduler":      {kInt, kInt, kPtr},
	"mlock":                   {kPtr, kUint},
	"munlock":                 {kPtr, kUint},
	"mlockall":                {kHex},
	"msync":                   {kPtr, kUint, kHex},
	"fallocate":               {kFd, kHex, kLong, kLong},
	"fadvise64":               {kFd, kLong, kLong, kInt},
	"readahead":               {kFd, kLong, kUint},
	"sync_file_range":         {kFd, kLong, kLong, kHex},
	"syncfs":                  {kFd},
	"epoll_create":            {kInt},
	"eventfd":                 {kUint},
	"inotify_init":            {},
	"inotify_rm_watch":        {kFd, kInt},
	"fanotify_init":           {kHex, kHex},
	"getgroups":               {kInt, kPtr},
	"setgroups":               {kInt, kPtr},
	"getresuid":               {kPtr, kPtr, kPtr},
	"getresgid":               {kPtr, kPtr, kPtr},
	"setreuid":                {kInt, kInt},
	"setregid":                {kInt, kInt},
	"setfsuid":                {kInt},
	"setfsgid":                {kInt},
	"vhangup":                 {},
}

// Peek says which memory Call would like to read for a call: the argument index and its
// address, at most max bytes, a NUL-terminated string if str. ok is false if none.
func Peek(a *arch.Arch, nr int, args [6]uint64) (arg int, addr uint64, max int, str bool, ok bool) {
	name, known := a.SyscallName(nr)
	if !known {
		return 0, 0, 0, false, false
	}
	for i, k := range sigs[name] {
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
	for i, k := range sigs[name] {
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
	sig, ok := sigs[name]
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
	if names := sockOpts[int64(int32(uint32(level)))]; names != nil && generic(a) {
		if n, ok := names[int64(int32(uint32(v)))]; ok {
			return n
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
	sig, ok := sigs[name]
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
		if n, ok := ioctls[uint32(v)]; ok {
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

// flags renders a flag word: the names of the bits it knows, then the rest in hexadecimal.
func flags(v uint64, names map[uint64]string) string {
	if v == 0 {
		return ""
	}
	bits := make([]uint64, 0, len(names))
	for b := range names {
		bits = append(bits, b)
	}
	sort.Slice(bits, func(i, j int) bool { return bits[i] < bits[j] })
	var parts []string
	for _, b := range bits {
		if v&b == b {
			parts = append(parts, names[b])
			v &^= b
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	return strings.Join(parts, "|")
}

// enum renders a value from a list of names, or prefix with its number (as strace does for
// values it does not know: AF_???  would hide the number).
func enum(v int64, names map[int64]string, prefix string) string {
	if n, ok := names[v]; ok {
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
	if n, ok := domains[int64(family)]; ok {
		return "{sa_family=" + n + ", ...}"
	}
	return fmt.Sprintf("{sa_family=%d, ...}", family)
}
