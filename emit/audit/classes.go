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
	if g, ok := groupExact[name]; ok {
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

var groupExact = map[string]string{
	// files
	"close": "files", "close_range": "files", "dup": "files", "dup2": "files", "dup3": "files",
	"fcntl": "files", "fcntl64": "files", "ioctl": "files", "lseek": "files", "_llseek": "files",
	"getdents": "files", "getdents64": "files", "access": "files", "faccessat": "files",
	"faccessat2": "files", "chdir": "files", "fchdir": "files", "getcwd": "files", "mkdir": "files",
	"mkdirat": "files", "rmdir": "files", "rename": "files", "renameat": "files", "renameat2": "files",
	"link": "files", "linkat": "files", "unlink": "files", "unlinkat": "files", "symlink": "files",
	"symlinkat": "files", "readlink": "files", "readlinkat": "files", "chmod": "files", "fchmod": "files",
	"fchmodat": "files", "fchmodat2": "files", "chown": "files", "fchown": "files", "lchown": "files",
	"fchownat": "files", "truncate": "files", "ftruncate": "files", "creat": "files", "umask": "files",
	"newfstatat": "files", "statx": "files", "statfs": "files", "fstatfs": "files", "flock": "files",
	"fdatasync": "files", "sync": "files", "syncfs": "files", "sync_file_range": "files",
	"fallocate": "files", "fadvise64": "files", "readahead": "files", "sendfile": "files",
	"sendfile64": "files", "copy_file_range": "files", "splice": "files", "tee": "files",
	"vmsplice": "files", "utime": "files", "utimes": "files", "utimensat": "files", "futimesat": "files",
	"mknod": "files", "mknodat": "files", "poll": "files", "ppoll": "files", "select": "files",
	"pselect6": "files", "_newselect": "files", "eventfd": "files", "eventfd2": "files",
	"signalfd": "files", "signalfd4": "files", "memfd_create": "files", "pipe": "ipc", "pipe2": "ipc",
	"readv": "files", "writev": "files", "preadv": "files", "pwritev": "files", "preadv2": "files",
	"pwritev2": "files", "cachestat": "files",
	// network
	"socket": "network", "socketpair": "network", "connect": "network", "bind": "network",
	"listen": "network", "accept": "network", "accept4": "network", "sendto": "network",
	"recvfrom": "network", "sendmsg": "network", "recvmsg": "network", "sendmmsg": "network",
	"recvmmsg": "network", "shutdown": "network", "getsockname": "network", "getpeername": "network",
	"setsockopt": "network", "getsockopt": "network", "socketcall": "network",
	// processes
	"clone": "processes", "clone3": "processes", "fork": "processes", "vfork": "processes",
	"execve": "processes", "execveat": "processes", "exit": "processes", "exit_group": "processes",
	"wait4": "processes", "waitid": "processes", "waitpid": "processes", "kill": "signals",
	"tkill": "signals", "tgkill": "signals", "prctl": "processes", "arch_prctl": "processes",
	"set_tid_address": "processes", "set_robust_list": "ipc", "get_robust_list": "ipc",
	"prlimit64": "processes", "ugetrlimit": "processes", "uname": "processes", "sysinfo": "processes",
	"rseq": "processes", "capget": "processes", "umount": "privileged", "personality": "privileged",
	"set_thread_area": "processes", "get_thread_area": "processes", "restart_syscall": "signals",
	"pause": "signals", "getrandom": "other",
	// memory
	"brk": "memory", "munmap": "memory", "mremap": "memory", "mprotect": "memory", "madvise": "memory",
	"msync": "memory", "mincore": "memory", "mbind": "memory", "membarrier": "memory",
	"mseal": "memory", "map_shadow_stack": "memory", "memfd_secret": "memory",
	// time
	"nanosleep": "time", "gettimeofday": "time", "time": "time", "times": "time", "alarm": "time",
	"getitimer": "time", "setitimer": "time", "getcpu": "processes",
	// privileged
	"ptrace": "privileged", "bpf": "privileged", "mount": "privileged", "umount2": "privileged",
	"pivot_root": "privileged", "chroot": "privileged", "init_module": "privileged",
	"finit_module": "privileged", "delete_module": "privileged", "kexec_load": "privileged",
	"kexec_file_load": "privileged", "unshare": "privileged", "setns": "privileged",
	"keyctl": "privileged", "add_key": "privileged", "request_key": "privileged",
	"userfaultfd": "privileged", "perf_event_open": "privileged", "process_vm_writev": "privileged",
	"process_vm_readv": "privileged", "reboot": "privileged", "swapon": "privileged",
	"swapoff": "privileged", "syslog": "privileged", "acct": "privileged", "settimeofday": "privileged",
	"clock_settime": "privileged", "adjtimex": "privileged", "clock_adjtime": "privileged",
	"iopl": "privileged", "ioperm": "privileged", "open_by_handle_at": "privileged",
	"name_to_handle_at": "privileged", "quotactl": "privileged", "sethostname": "privileged",
	"setdomainname": "privileged", "fsopen": "privileged", "fsmount": "privileged",
	"fsconfig": "privileged", "fspick": "privileged", "move_mount": "privileged",
	"open_tree": "privileged", "mount_setattr": "privileged", "pidfd_getfd": "privileged",
	"kcmp": "privileged", "lookup_dcookie": "privileged", "vhangup": "privileged",
	"nfsservctl": "privileged", "uselib": "privileged", "_sysctl": "privileged",
	"modify_ldt": "privileged", "move_pages": "privileged", "migrate_pages": "privileged",
	"seccomp": "processes", "capset": "privileged", "setuid": "processes", "setgid": "processes",
}

// Risks names the calls that matter to someone auditing a binary, with why.
var Risks = map[string]string{
	"ptrace":            "reads and writes other processes' memory and registers",
	"process_vm_writev": "writes another process's memory",
	"process_vm_readv":  "reads another process's memory",
	"bpf":               "loads programs into the kernel: a large attack surface",
	"perf_event_open":   "kernel profiling interface, a frequent exploit vector",
	"userfaultfd":       "lets a program stall kernel page faults, used to win kernel races",
	"io_uring_setup":    "a large asynchronous kernel interface with a history of exploits; bypasses syscall filters",
	"io_uring_enter":    "submits io_uring work, which seccomp does not see",
	"io_uring_register": "registers resources with io_uring",
	"mount":             "changes the file system tree",
	"umount2":           "changes the file system tree",
	"pivot_root":        "replaces the root file system",
	"chroot":            "changes the root directory",
	"fsopen":            "new mount API: changes the file system tree",
	"fsmount":           "new mount API: changes the file system tree",
	"move_mount":        "new mount API: changes the file system tree",
	"open_tree":         "new mount API: clones mounts",
	"mount_setattr":     "changes mount properties",
	"init_module":       "loads a kernel module",
	"finit_module":      "loads a kernel module",
	"delete_module":     "unloads a kernel module",
	"kexec_load":        "replaces the running kernel",
	"kexec_file_load":   "replaces the running kernel",
	"unshare":           "creates namespaces (user namespaces widen the kernel attack surface)",
	"setns":             "enters other namespaces",
	"keyctl":            "kernel keyring: not namespaced, a past container escape route",
	"add_key":           "kernel keyring: not namespaced",
	"request_key":       "kernel keyring: not namespaced",
	"personality":       "can turn on legacy behaviour such as READ_IMPLIES_EXEC",
	"open_by_handle_at": "opens files by handle, past mount boundaries (a known container escape)",
	"reboot":            "reboots or halts the machine",
	"swapon":            "changes swap",
	"swapoff":           "changes swap",
	"syslog":            "reads or clears the kernel log",
	"acct":              "process accounting for the whole machine",
	"settimeofday":      "sets the system clock",
	"clock_settime":     "sets the system clock",
	"adjtimex":          "adjusts the system clock",
	"clock_adjtime":     "adjusts the system clock",
	"iopl":              "direct hardware port access",
	"ioperm":            "direct hardware port access",
	"pidfd_getfd":       "takes a file descriptor from another process",
	"kcmp":              "compares kernel objects of other processes, an information leak",
	"modify_ldt":        "changes the segment table, a past source of kernel bugs",
	"quotactl":          "changes disk quotas",
	"sethostname":       "changes the host name",
	"setdomainname":     "changes the domain name",
	"lookup_dcookie":    "kernel profiling helper",
	"vhangup":           "hangs up the terminal",
	"uselib":            "obsolete library loader",
	"_sysctl":           "obsolete kernel tuning interface",
	"move_pages":        "moves other processes' pages between NUMA nodes",
	"migrate_pages":     "moves other processes' pages between NUMA nodes",
}
