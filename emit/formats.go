package emit

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/learn"
)

// Options shape what the ecosystem formats emit.
type Options struct {
	// Runtime adds the calls a container runtime makes between installing the filter and the
	// workload's execve: "runc", "crun", "bwrap", or "" for none.
	Runtime string
	// NoNewPrivs says whether the runtime runs the container with no_new_privs ("true", "false"),
	// which decides when it installs the filter; "" adds what either case needs.
	NoNewPrivs string
	// Name names the profile where a format has a name (the Kubernetes resource).
	Name string
	// Host is the ABI of the machine the output is for when the profile does not tell
	// (Profile.Machine): the command line passes its own host's. The runtime's calls go there.
	Host *arch.Arch
}

// Check says what is wrong with opt for a format, before anything is done with a profile: an
// unknown runtime, a no_new_privs that is not true or false, a name the format cannot carry.
func (opt Options) Check(format string) error {
	if opt.Runtime != "" {
		if _, ok := runtimeCalls(opt.Runtime); !ok {
			return fmt.Errorf("unknown runtime %q (want runc, crun or bwrap)", opt.Runtime)
		}
	}
	switch opt.NoNewPrivs {
	case "", "true", "false":
	default:
		return fmt.Errorf("no_new_privs must be true, false or empty, not %q", opt.NoNewPrivs)
	}
	if format == "k8s" && opt.Name != "" && (!k8sName(opt.Name) || len(opt.Name) > 253) {
		return fmt.Errorf("%q is not a Kubernetes resource name (lower case letters, digits, '-' and '.')", opt.Name)
	}
	return nil
}

// Note is something an output could not say, or added: the command line prints notes on stderr,
// and formats with comments carry them too.
type Note struct {
	Arch    string // "" for all
	Syscall string
	Text    string
}

func (n Note) String() string {
	var b strings.Builder
	if n.Arch != "" {
		b.WriteString(n.Arch + " ")
	}
	if n.Syscall != "" {
		b.WriteString(n.Syscall + ": ")
	}
	b.WriteString(n.Text)
	return b.String()
}

// runtimeCall is a call a runtime makes after it installs the filter.
type runtimeCall struct {
	name string
	nnp  string // "true": only with no_new_privs; "false": only without; "": both
	why  string
}

// runtimeCalls returns what a runtime does after installing the container's filter and before
// execve. Measured on this project's machines (runc 1.1.5, crun 1.8.1, bubblewrap 0.8.0):
// a container running /bin/true under a filter that allows only execve and logs everything else
// (SCMP_ACT_LOG), with kernel.printk_ratelimit=0 so the kernel's audit log keeps every line;
// the calls logged for the runtime's init process, before it became the workload, are the list.
// Repeated runs add the Go runtime's timing-dependent calls. Reasons from the runtimes' sources.
func runtimeCalls(runtime string) ([]runtimeCall, bool) {
	switch runtime {
	case "runc":
		return runcCalls, true
	case "crun":
		return crunCalls, true
	case "bwrap":
		return bwrapCalls, true
	}
	return nil, false
}

// completeForFormats is the profile a format emits: the executable asked for, completed with
// the calls every program may need, plus the runtime's. It returns what was added.
func completeForFormats(p *learn.Profile, opt Options) (*learn.Profile, []Note, error) {
	q := learn.Merge(p)
	var notes []Note
	for _, c := range learn.Complete(q) {
		notes = append(notes, Note{Arch: c.Arch, Syscall: c.Syscall, Text: "added: " + c.Reason})
	}
	if opt.Runtime != "" {
		calls, ok := runtimeCalls(opt.Runtime)
		if !ok {
			return nil, nil, fmt.Errorf("unknown runtime %q (want runc, crun or bwrap)", opt.Runtime)
		}
		switch opt.NoNewPrivs {
		case "", "true", "false":
		default:
			return nil, nil, fmt.Errorf("no_new_privs must be true, false or empty, not %q", opt.NoNewPrivs)
		}
		// The runtime is a program of the machine's own ABI: an aarch64 profile gets the
		// runtime's aarch64 calls.
		host := p.Machine()
		if host == nil {
			host = opt.Host
		}
		if host == nil {
			return nil, nil, errors.New("cannot tell which machine the profile is for: its recordings say nothing and its arches disagree")
		}
		native := q.Arches[host.Name]
		if native == nil {
			native = &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{}}
			q.Arches[host.Name] = native
		}
		for _, c := range calls {
			if c.nnp != "" && opt.NoNewPrivs != "" && c.nnp != opt.NoNewPrivs {
				continue
			}
			if st, ok := native.Syscalls[c.name]; ok {
				if st.Args != nil {
					// The runtime makes the call too, with arguments of its own.
					st.Args = nil
					notes = append(notes, Note{Arch: host.Name, Syscall: c.name, Text: "allowed with any arguments: " + opt.Runtime + " makes it too: " + c.why})
				}
				continue
			}
			if _, ok := host.SyscallNumber(c.name); !ok {
				// No such call on this ABI (aarch64 has no open, dup2 or pipe): the runtime uses
				// a twin there, which the list, measured on x86_64, cannot name.
				notes = append(notes, Note{Arch: host.Name, Syscall: c.name, Text: "not added for " + opt.Runtime +
					": " + host.Name + " has no such call (the list was measured on x86_64; record the runtime on " + host.Name + " to be sure)"})
				continue
			}
			native.Syscalls[c.name] = &learn.SyscallStat{}
			why := c.why
			switch c.nnp {
			case "true":
				why += " (with no_new_privs)"
			case "false":
				why += " (without no_new_privs)"
			}
			notes = append(notes, Note{Arch: host.Name, Syscall: c.name, Text: "added for " + opt.Runtime + ": " + why})
		}
	}
	// clone3's flags are in memory, where a filter cannot read them: where clone's flags are
	// learned, clone3 must not be allowed with any, or the namespace flags the profile refuses
	// to clone pass through it. It gets ENOSYS (a fallback call), and libc falls back to clone.
	for archName, set := range q.Arches {
		if c := set.Syscalls["clone"]; c != nil && c.Args != nil && !c.Args.Widened {
			if _, ok := set.Syscalls["clone3"]; ok {
				delete(set.Syscalls, "clone3")
				notes = append(notes, Note{Arch: archName, Syscall: "clone3", Text: "answered with ENOSYS: its flags are in memory, where a filter cannot check them against clone's learned flags; libc falls back to clone"})
			}
		}
	}
	sort.SliceStable(notes, func(i, j int) bool {
		if notes[i].Arch != notes[j].Arch {
			return notes[i].Arch < notes[j].Arch
		}
		return notes[i].Syscall < notes[j].Syscall
	})
	return q, notes, nil
}

// nameSets splits a profile's calls into what formats that speak in names can say: the allowed
// names (all arches together, since those formats apply one list to every arch), the fallback
// names to answer with ENOSYS, and notes for calls kept only by number.
func nameSets(p *learn.Profile) (allowed, enosys []string, notes []Note) {
	allow := map[string]bool{}
	for _, a := range p.ArchNames() {
		ab, ok := arch.ByName(a)
		for _, key := range p.Syscalls(a) {
			if !ok {
				notes = append(notes, Note{Arch: a, Syscall: key, Text: "not emitted: sctrace has no table for this arch"})
				continue
			}
			if _, named := ab.SyscallNumber(key); !named {
				notes = append(notes, Note{Arch: a, Syscall: key, Text: "not emitted: a call with no name in sctrace's table; this format names calls"})
				continue
			}
			allow[key] = true
		}
	}
	for _, f := range Fallbacks {
		if allow[f.Call] {
			continue
		}
		for _, a := range p.ArchNames() {
			if ab, ok := arch.ByName(a); ok {
				if _, known := ab.SyscallNumber(f.Call); known {
					enosys = append(enosys, f.Call)
					break
				}
			}
		}
	}
	if len(p.Arches) > 1 {
		notes = append(notes, Note{Text: "the calls of every arch (" + strings.Join(p.ArchNames(), ", ") +
			") form one list: this format cannot allow a call in one arch only"})
	}
	allowed = sortedKeys(allow)
	sort.Strings(enosys)
	return allowed, enosys, notes
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// libseccompSince lists calls added to Linux after 6.0, the newest kernel Debian 12's libseccomp
// (2.5.4, used by its runc and crun) knows. A consumer with an older libseccomp may refuse or
// skip them; they are emitted, and named on stderr.
var libseccompSince = []struct{ name, linux string }{
	{"cachestat", "6.5"}, {"fchmodat2", "6.6"}, {"map_shadow_stack", "6.6"}, {"futex_wake", "6.7"},
	{"futex_wait", "6.7"}, {"futex_requeue", "6.7"}, {"statmount", "6.8"}, {"listmount", "6.8"},
	{"lsm_get_self_attr", "6.8"}, {"lsm_set_self_attr", "6.8"}, {"lsm_list_modules", "6.8"},
	{"mseal", "6.10"}, {"uretprobe", "6.11"}, {"setxattrat", "6.13"}, {"getxattrat", "6.13"},
	{"listxattrat", "6.13"}, {"removexattrat", "6.13"}, {"open_tree_attr", "6.15"}, {"file_getattr", "6.17"},
	{"file_setattr", "6.17"}, {"uprobe", "6.17"}, {"listns", "6.18"}, {"rseq_slice_yield", "6.18"},
}

// newInLinux returns the Linux version that added call, if it is one of libseccompSince.
func newInLinux(call string) (string, bool) {
	for _, c := range libseccompSince {
		if c.name == call {
			return c.linux, true
		}
	}
	return "", false
}

func newerNames(names []string) []Note {
	var notes []Note
	for _, n := range names {
		if v, ok := newInLinux(n); ok {
			notes = append(notes, Note{Syscall: n, Text: "new in Linux " + v + ": a runtime whose libseccomp is older (Debian 12's runc and crun: 2.5.4) may skip it or refuse the profile; nothing to do unless it does"})
		}
	}
	return notes
}

// goRuntime: runc's init is a Go program; its runtime makes these whenever timing says so (seen
// in the measurements: nanosleep, rt_sigreturn), so a kill filter must allow them.
const goRuntime = "runc init is a Go program, whose runtime makes this call when timing says so"

var runcCalls = []runtimeCall{
	{"execve", "", "executes the container's process"},
	{"close", "", "closes the init pipe, the log pipe and the exec FIFO's O_PATH descriptor"},
	{"openat", "", "reopens the exec FIFO through /proc/self/fd"},
	{"write", "", "writes to the exec FIFO: the container is ready to start"},
	{"fstatfs", "", "checks that /proc is procfs before it trusts /proc/self/fd"},
	{"getdents64", "", "lists /proc/self/fd to mark inherited descriptors close-on-exec"},
	{"getpid", "", "puts its pid in the state handed to startContainer hooks"},
	{"epoll_ctl", "", "closing a Go *os.File removes it from the runtime's poller"},
	{"futex", "", goRuntime},
	{"nanosleep", "", goRuntime},
	{"sched_yield", "", goRuntime},
	{"tgkill", "", goRuntime + " (goroutine preemption)"},
	{"rt_sigreturn", "", goRuntime + " (after a preemption signal)"},
	// Without no_new_privs runc must install the filter while it is still privileged, before it
	// drops capabilities and switches to the container's user.
	{"capget", "false", "reads its capabilities before dropping them"},
	{"capset", "false", "drops capabilities"},
	{"prctl", "false", "keeps capabilities across the user switch, drops the bounding set, restores the parent-death signal"},
	{"setgroups", "false", "sets the container user's supplementary groups"},
	{"setgid", "false", "switches to the container's group"},
	{"setuid", "false", "switches to the container's user"},
	{"chdir", "false", "enters the process's working directory"},
	{"getcwd", "false", "checks the working directory"},
	{"getppid", "false", "checks that its parent is still alive"},
	{"newfstatat", "false", "looks the command up on PATH"},
	{"faccessat2", "false", "looks the command up on PATH (is it executable?)"},
	{"fstat", "false", "inspects descriptors while finishing the set-up"},
	{"fcntl", "false", "marks descriptors close-on-exec"},
	{"read", "false", "reads its configuration and the parent's go-ahead"},
}

var crunCalls = []runtimeCall{
	{"execve", "", "executes the container's process"},
	{"close", "", "closes its remaining descriptors"},
	// Without no_new_privs crun installs the filter before it drops privileges.
	{"capset", "false", "drops capabilities"},
	{"prctl", "false", "keeps capabilities across the user switch and sets the process's flags"},
	{"setresgid", "false", "switches to the container's group"},
	{"setresuid", "false", "switches to the container's user"},
	{"rt_sigaction", "false", "resets signal handlers for the container's process"},
	{"rt_sigprocmask", "false", "resets the signal mask for the container's process"},
	{"write", "false", "tells its parent that the set-up is done"},
}

var bwrapCalls = []runtimeCall{
	{"execve", "", "bwrap installs the filter, then execvp()s the command"},
}
