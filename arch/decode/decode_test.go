package decode

import (
	"encoding/binary"
	"strconv"
	"testing"

	"github.com/sctrace/sctrace/arch"
)

func TestCall(t *testing.T) {
	x := arch.X86_64
	nr := func(a *arch.Arch, name string) int {
		n, ok := a.SyscallNumber(name)
		if !ok {
			t.Fatalf("%s has no %s", a, name)
		}
		return n
	}
	inet := make([]byte, 16)
	binary.NativeEndian.PutUint16(inet, 2)
	binary.BigEndian.PutUint16(inet[2:], 443)
	copy(inet[4:], []byte{93, 184, 216, 34})
	cases := []struct {
		a      *arch.Arch
		name   string
		args   [6]uint64
		mem    []byte
		memArg int
		want   string
	}{
		{x, "socket", [6]uint64{2, 1 | 0o2000000, 0}, nil, -1, "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0)"},
		{x, "socket", [6]uint64{10, 2 | 0o4000, 17}, nil, -1, "socket(AF_INET6, SOCK_DGRAM|SOCK_NONBLOCK, 17)"},
		{x, "ioctl", [6]uint64{1, 0x5401, 0x7ffc0000}, nil, -1, "ioctl(1, TCGETS, 0x7ffc0000)"},
		{x, "openat", [6]uint64{uint64(0xffffffffffffff9c), 0x1000, 0o2000000 | 0o100 | 1, 0o644}, []byte("/tmp/x"), 1,
			`openat(AT_FDCWD, "/tmp/x", O_WRONLY|O_CREAT|O_CLOEXEC, 0644)`},
		{x, "openat", [6]uint64{3, 0x1000, 0}, nil, 1, `openat(3, 0x1000, O_RDONLY)`},
		{x, "mkdir", [6]uint64{0x1000, 0o755}, []byte("d"), 0, `mkdir("d", 0755)`},
		{x, "mprotect", [6]uint64{0x7f0000, 4096, 7}, nil, -1, "mprotect(0x7f0000, 4096, PROT_READ|PROT_WRITE|PROT_EXEC)"},
		{x, "clone", [6]uint64{0x01200011}, nil, -1, "clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, NULL, NULL, NULL, 0)"},
		{x, "clone", [6]uint64{0x20000000 | 0x800000}, nil, -1, "clone(CLONE_UNTRACED|CLONE_NEWPID, NULL, NULL, NULL, 0)"},
		{x, "personality", [6]uint64{0xffffffff}, nil, -1, "personality(0xffffffff)"},
		{x, "personality", [6]uint64{0x0040000}, nil, -1, "personality(PER_LINUX|ADDR_NO_RANDOMIZE)"},
		{x, "kill", [6]uint64{1234, 9}, nil, -1, "kill(1234, SIGKILL)"},
		{x, "tgkill", [6]uint64{5, 6, 23}, nil, -1, "tgkill(5, 6, SIGURG)"},
		{x, "connect", [6]uint64{3, 0x1000, 16}, inet, 1, `connect(3, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("93.184.216.34")}, 16)`},
		{x, "prctl", [6]uint64{38, 1}, nil, -1, "prctl(PR_SET_NO_NEW_PRIVS, 0x1, 0, 0, 0)"},
		{x, "fcntl", [6]uint64{3, 1030, 0}, nil, -1, "fcntl(3, F_DUPFD_CLOEXEC, 0)"},
		{x, "getppid", [6]uint64{1, 2}, nil, -1, "getppid()"},
		{x, "socket", [6]uint64{99, 1}, nil, -1, "socket(99 /* AF_??? */, SOCK_STREAM, 0)"},
		{x, "setsockopt", [6]uint64{3, 1, 2, 0x10, 4}, nil, -1, "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, 0x10, 4)"},
		{x, "getsockopt", [6]uint64{3, 6, 1, 0x10, 0x20}, nil, -1, "getsockopt(3, SOL_TCP, TCP_NODELAY, 0x10, 0x20)"},
		{x, "setsockopt", [6]uint64{3, 99, 1, 0x10, 4}, nil, -1, "setsockopt(3, 99 /* SOL_??? */, 1, 0x10, 4)"},
		{x, "epoll_create1", [6]uint64{0x80000}, nil, -1, "epoll_create1(EPOLL_CLOEXEC)"},
		// A 32-bit ABI: only the low half of each argument counts.
		{arch.X86, "kill", [6]uint64{0xffffffff00000004, 15}, nil, -1, "kill(4, SIGTERM)"},
		// MIPS numbers its socket types differently: hexadecimal, not a wrong name.
		{arch.MIPSel, "socket", [6]uint64{2, 2}, nil, -1, "socket(0x2, 0x2, 0)"},
		// A call without a signature: six arguments in hexadecimal.
		{x, "mincore", [6]uint64{0x10}, nil, -1, "mincore(0x10, 0, 0, 0, 0, 0)"},
		{x, "getdents64", [6]uint64{3, 0x10, 0x8000}, nil, -1, "getdents64(3, 0x10, 32768)"},
	}
	for _, c := range cases {
		got := Call(c.a, nr(c.a, c.name), c.args, c.mem, c.memArg)
		if got != c.want {
			t.Errorf("%s %s%v:\n got %s\nwant %s", c.a, c.name, c.args, got, c.want)
		}
	}
	if got := Call(x, 4000, [6]uint64{1}, nil, -1); got != "syscall_0xfa0(0x1, 0, 0, 0, 0, 0)" {
		t.Errorf("unknown number: %s", got)
	}
}

func TestPeek(t *testing.T) {
	x := arch.X86_64
	openat, _ := x.SyscallNumber("openat")
	if i, addr, max, str, ok := Peek(x, openat, [6]uint64{0, 0x1234}); !ok || i != 1 || addr != 0x1234 || !str || max <= 0 {
		t.Errorf("openat: %d %#x %d %v %v", i, addr, max, str, ok)
	}
	connect, _ := x.SyscallNumber("connect")
	if i, _, max, str, ok := Peek(x, connect, [6]uint64{3, 0x10, 16}); !ok || i != 1 || max != 16 || str {
		t.Errorf("connect: %d %d %v %v", i, max, str, ok)
	}
	getpid, _ := x.SyscallNumber("getpid")
	if _, _, _, _, ok := Peek(x, getpid, [6]uint64{}); ok {
		t.Error("getpid peeks")
	}
}

func TestMoreKinds(t *testing.T) {
	x := arch.X86_64
	for _, c := range []struct {
		name string
		args [6]uint64
		want string
	}{
		{"rt_sigprocmask", [6]uint64{2, 0x10, 0x20, 8}, "rt_sigprocmask(SIG_SETMASK, 0x10, 0x20, 8)"},
		{"lseek", [6]uint64{3, 0, 2}, "lseek(3, 0, SEEK_END)"},
		{"sendto", [6]uint64{3, 0x10, 5, 0x4000}, "sendto(3, 0x10, 5, MSG_NOSIGNAL, NULL, 0)"},
		{"clock_nanosleep", [6]uint64{1, 0, 0x10}, "clock_nanosleep(CLOCK_MONOTONIC, 0, 0x10, NULL)"},
		{"getpriority", [6]uint64{0, 0}, "getpriority(PRIO_PROCESS, 0)"},
	} {
		nr, _ := x.SyscallNumber(c.name)
		if got := Call(x, nr, c.args, nil, -1); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}

func TestArg(t *testing.T) {
	a, _ := arch.ByName("x86_64")
	socket, _ := a.SyscallNumber("socket")
	ioctl, _ := a.SyscallNumber("ioctl")
	clone, _ := a.SyscallNumber("clone")
	read, _ := a.SyscallNumber("read")
	for _, c := range []struct {
		nr, index int
		v         uint64
		want      string
	}{
		{socket, 0, 10, "AF_INET6"}, {socket, 1, 1, "SOCK_STREAM"}, {ioctl, 1, 0x5412, "TIOCSTI"},
		{clone, 0, 0x10000000, "CLONE_NEWUSER"}, {read, 6, 0, ""}, {999999, 0, 0, ""},
	} {
		if got := Arg(a, c.nr, c.index, c.v); got != c.want {
			t.Errorf("Arg(%d, %d, %#x) = %q, want %q", c.nr, c.index, c.v, got, c.want)
		}
	}
	// A socket option's name needs its level: alone it is a number, with the level a name.
	setsockopt, _ := a.SyscallNumber("setsockopt")
	if got := Arg(a, setsockopt, 2, 4); got != "4" {
		t.Errorf("Arg(setsockopt, 2, 4) = %q, want 4", got)
	}
	if got := ArgIn(a, setsockopt, 2, [6]uint64{0, 1, 4}); got != "SO_ERROR" {
		t.Errorf("ArgIn(setsockopt, 2, SOL_SOCKET 4) = %q, want SO_ERROR", got)
	}
}

// TestCallMems: a call with two paths shows both when both were read, and PathArgs names them.
func TestCallMems(t *testing.T) {
	a, _ := arch.ByName("x86_64")
	nr, _ := a.SyscallNumber("renameat")
	args := [6]uint64{uint64(0xffffff9c), 0x1000, uint64(0xffffff9c), 0x2000}
	if got := PathArgs(a, nr, args); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("PathArgs(renameat) = %v, want [1 3]", got)
	}
	got := CallMems(a, nr, args, map[int][]byte{1: []byte("/a"), 3: []byte("/b")})
	if want := `renameat(AT_FDCWD, "/a", AT_FDCWD, "/b")`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestTables: sigOf's binary search needs sigs sorted by name, flags needs each table of bits
// sorted by value (the order it names them in), and a value named twice would show the first name
// only.
func TestTables(t *testing.T) {
	for i := 1; i < len(sigs); i++ {
		if sigs[i-1].name >= sigs[i].name {
			t.Errorf("sigs: %s before %s", sigs[i-1].name, sigs[i].name)
		}
	}
	for _, s := range sigs {
		if k, ok := sigOf(s.name); !ok || len(k) != len(s.args) || len(k) > 6 {
			t.Errorf("sigOf(%q) = %v, %v", s.name, k, ok)
		}
	}
	if _, ok := sigOf("mincore"); ok {
		t.Error("sigOf(mincore) found a signature")
	}
	bits := map[string][]bit{"openFlags": openFlags, "sockFlags": sockFlags, "prots": prots, "mapFlags": mapFlags,
		"cloneFlags": cloneFlags, "epollFlags": epollFlags, "personaFlags": personaFlags, "atFlags": atFlags,
		"msgFlags": msgFlags}
	for name, tab := range bits {
		for i := range tab {
			if tab[i].v == 0 || (i > 0 && tab[i-1].v >= tab[i].v) {
				t.Errorf("%s: %#x (%s) out of order", name, tab[i].v, tab[i].name)
			}
		}
	}
	values := map[string][]value{"domains": domains, "sockTypes": sockTypes, "ioctls": ioctls, "mapTypes": mapTypes,
		"signals": signals, "prctls": prctls, "fcntls": fcntls, "levels": levels, "personas": personas,
		"ptraces": ptraces, "seccompOps": seccompOps, "sigHows": sigHows, "whences": whences, "clocks": clocks,
		"prioWhich": prioWhich}
	for _, l := range sockOpts {
		values["sockOpts "+strconv.FormatInt(l.level, 10)] = l.opts
	}
	for name, tab := range values {
		seen := map[int64]bool{}
		for _, v := range tab {
			if seen[v.v] {
				t.Errorf("%s: %d named twice", name, v.v)
			}
			seen[v.v] = true
		}
	}
}
