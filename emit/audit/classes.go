package audit

import "strings"

// Groups, in the order reports show them.
var Groups = []string{"files", "network", "processes", "memory", "ipc", "time", "signals", "privileged", "other"}

// GroupOf classifies a call by what it does (one of Groups).
func GroupOf(name string) string { return groupOf(name) }

// GroupIndex is the position of a group in Groups (the order reports show them in).
func GroupIndex(group string) int {
	for i, g := range Groups {
		if g == group {
			return i
		}
	}
	return len(Groups)
}

// groupOf classifies a call by what it does. Names are matched exactly first, then by prefix.
func groupOf(name string) string {
	if g := groupExact(name); g != "" {
		return g
	}
	if strings.Contains(name, "xattr") {
		return "files"
	}
	for _, p := range groupPrefixes {
		if strings.HasPrefix(name, p.prefix) {
			return p.group
		}
	}
	return "other"
}

var groupPrefixes = []struct{ prefix, group string }{
	{"rt_sig", "signals"}, {"sig", "signals"}, {"timer", "time"}, {"clock_", "time"},
	{"epoll", "files"}, {"inotify", "files"}, {"fanotify", "privileged"}, {"io_uring", "privileged"},
	{"mq_", "ipc"}, {"msg", "ipc"}, {"sem", "ipc"}, {"shm", "ipc"}, {"futex", "ipc"},
	{"sched_", "processes"}, {"set", "processes"}, {"get", "processes"},
	{"mmap", "memory"}, {"mlock", "memory"}, {"munlock", "memory"}, {"pkey_", "memory"},
	{"stat", "files"}, {"fstat", "files"}, {"lstat", "files"}, {"open", "files"}, {"read", "files"},
	{"write", "files"}, {"pread", "files"}, {"pwrite", "files"}, {"fsync", "files"},
	{"landlock_", "processes"}, {"pidfd_", "processes"}, {"process_", "processes"},
}

// groupExact classifies the calls groupOf matches by name: "" for any other. A switch, not a
// map literal, which would be built at start-up.
func groupExact(name string) string {
	switch name {
	case "close", "close_range", "dup", "dup2", "dup3", "fcntl", "fcntl64", "ioctl", "lseek", "_llseek",
		"getdents", "getdents64", "access", "faccessat", "faccessat2", "chdir", "fchdir", "getcwd", "mkdir",
		"mkdirat", "rmdir", "rename", "renameat", "renameat2", "link", "linkat", "unlink", "unlinkat",
		"symlink", "symlinkat", "readlink", "readlinkat", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown",
		"fchown", "lchown", "fchownat", "truncate", "ftruncate", "creat", "umask", "newfstatat", "statx",
		"statfs", "fstatfs", "flock", "fdatasync", "sync", "syncfs", "sync_file_range", "fallocate",
		"fadvise64", "readahead", "sendfile", "sendfile64", "copy_file_range", "splice", "tee", "vmsplice",
		"utime", "utimes", "utimensat", "futimesat", "mknod", "mknodat", "poll", "ppoll", "select",
		"pselect6", "_newselect", "eventfd", "eventfd2", "signalfd", "signalfd4", "memfd_create", "readv",
		"writev", "preadv", "pwritev", "preadv2", "pwritev2", "cachestat":
		return "files"
	case "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto", "recvfrom",
		"sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "getsockname", "getpeername", "setsockopt",
		"getsockopt", "socketcall":
		return "network"
	case "clone", "clone3", "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
		"waitpid", "prctl", "arch_prctl", "set_tid_address", "prlimit64", "ugetrlimit", "uname", "sysinfo",
		"rseq", "capget", "set_thread_area", "get_thread_area", "getcpu", "seccomp", "setuid", "setgid":
		return "processes"
	case "brk", "munmap", "mremap", "mprotect", "madvise", "msync", "mincore", "mbind", "membarrier", "mseal",
		"map_shadow_stack", "memfd_secret":
		return "memory"
	case "pipe", "pipe2", "set_robust_list", "get_robust_list":
		return "ipc"
	case "nanosleep", "gettimeofday", "time", "times", "alarm", "getitimer", "setitimer":
		return "time"
	case "kill", "tkill", "tgkill", "restart_syscall", "pause":
		return "signals"
	case "umount", "personality", "ptrace", "bpf", "mount", "umount2", "pivot_root", "chroot", "init_module",
		"finit_module", "delete_module", "kexec_load", "kexec_file_load", "unshare", "setns", "keyctl",
		"add_key", "request_key", "userfaultfd", "perf_event_open", "process_vm_writev", "process_vm_readv",
		"reboot", "swapon", "swapoff", "syslog", "acct", "settimeofday", "clock_settime", "adjtimex",
		"clock_adjtime", "iopl", "ioperm", "open_by_handle_at", "name_to_handle_at", "quotactl",
		"sethostname", "setdomainname", "fsopen", "fsmount", "fsconfig", "fspick", "move_mount", "open_tree",
		"mount_setattr", "pidfd_getfd", "kcmp", "lookup_dcookie", "vhangup", "nfsservctl", "uselib",
		"_sysctl", "modify_ldt", "move_pages", "migrate_pages", "capset":
		return "privileged"
	case "getrandom":
		return "other"
	}
	return ""
}

// risks names the calls that matter to someone auditing a binary, with why (Risk).
var risks = []struct{ call, why string }{
	{"ptrace", "reads and writes other processes' memory and registers"},
	{"process_vm_writev", "writes another process's memory"},
	{"process_vm_readv", "reads another process's memory"},
	{"bpf", "loads programs into the kernel: a large attack surface"},
	{"perf_event_open", "kernel profiling interface, a frequent exploit vector"},
	{"userfaultfd", "lets a program stall kernel page faults, used to win kernel races"},
	{"io_uring_setup", "a large asynchronous kernel interface with a history of exploits; bypasses syscall filters"},
	{"io_uring_enter", "submits io_uring work, which seccomp does not see"},
	{"io_uring_register", "registers resources with io_uring"},
	{"mount", "changes the file system tree"},
	{"umount2", "changes the file system tree"},
	{"pivot_root", "replaces the root file system"},
	{"chroot", "changes the root directory"},
	{"fsopen", "new mount API: changes the file system tree"},
	{"fsmount", "new mount API: changes the file system tree"},
	{"move_mount", "new mount API: changes the file system tree"},
	{"open_tree", "new mount API: clones mounts"},
	{"mount_setattr", "changes mount properties"},
	{"init_module", "loads a kernel module"},
	{"finit_module", "loads a kernel module"},
	{"delete_module", "unloads a kernel module"},
	{"kexec_load", "replaces the running kernel"},
	{"kexec_file_load", "replaces the running kernel"},
	{"unshare", "creates namespaces (user namespaces widen the kernel attack surface)"},
	{"setns", "enters other namespaces"},
	{"keyctl", "kernel keyring: not namespaced, a past container escape route"},
	{"add_key", "kernel keyring: not namespaced"},
	{"request_key", "kernel keyring: not namespaced"},
	{"personality", "can turn on legacy behaviour such as READ_IMPLIES_EXEC"},
	{"open_by_handle_at", "opens files by handle, past mount boundaries (a known container escape)"},
	{"reboot", "reboots or halts the machine"},
	{"swapon", "changes swap"},
	{"swapoff", "changes swap"},
	{"syslog", "reads or clears the kernel log"},
	{"acct", "process accounting for the whole machine"},
	{"settimeofday", "sets the system clock"},
	{"clock_settime", "sets the system clock"},
	{"adjtimex", "adjusts the system clock"},
	{"clock_adjtime", "adjusts the system clock"},
	{"iopl", "direct hardware port access"},
	{"ioperm", "direct hardware port access"},
	{"pidfd_getfd", "takes a file descriptor from another process"},
	{"kcmp", "compares kernel objects of other processes, an information leak"},
	{"modify_ldt", "changes the segment table, a past source of kernel bugs"},
	{"quotactl", "changes disk quotas"},
	{"sethostname", "changes the host name"},
	{"setdomainname", "changes the domain name"},
	{"lookup_dcookie", "kernel profiling helper"},
	{"vhangup", "hangs up the terminal"},
	{"uselib", "obsolete library loader"},
	{"_sysctl", "obsolete kernel tuning interface"},
	{"move_pages", "moves other processes' pages between NUMA nodes"},
	{"migrate_pages", "moves other processes' pages between NUMA nodes"},
}

// Risk says why a call matters to someone auditing a binary, or "" if it is not one of those.
// (The calls are a slice, searched in order, not a map literal, which would be built at
// start-up.)
func Risk(call string) string {
	for _, r := range risks {
		if r.call == call {
			return r.why
		}
	}
	return ""
}
