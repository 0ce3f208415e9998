package arch

import (
	"runtime"
	"sort"
	"strconv"
)

// X32SyscallBit is ORed into the syscall number by the x32 ABI. Seccomp sees x32 calls with
// AUDIT_ARCH_X86_64 and this bit set (see arch/x86/include/uapi/asm/unistd.h, __X32_SYSCALL_BIT).
const X32SyscallBit = 0x40000000

// Syscall is one entry of a system call table.
type Syscall struct {
	Nr   int
	Name string
}

// Arch is one system call ABI as seccomp sees it, described by hand: everything sctrace needs to
// know of an architecture is here, so that no other package spells an architecture out.
type Arch struct {
	// Name is libseccomp's short name (x86_64, x86, x32, aarch64, ...), the key sctrace uses in
	// profiles and the name runc, crun and Docker accept (with an SCMP_ARCH_ prefix).
	Name string
	// Audit is the AUDIT_ARCH_* value in seccomp_data.arch for calls of this ABI.
	Audit uint32
	// SyscallBit is ORed into every number of this ABI as seccomp sees it (x32 only).
	SyscallBit uint32
	// Bits is the width of a system call argument register as the ABI's C code sees it (32 for
	// i386, x32, arm, mips o32, ppc): only the low half of a 32-bit ABI's argument is meaningful.
	Bits int
	// BigEndian tells how seccomp_data.args lays out each 64-bit argument, and how a raw filter
	// for this ABI's machine is written.
	BigEndian bool

	// OCI is libseccomp's and the OCI runtime-spec's name (SCMP_ARCH_...).
	OCI string
	// Systemd is the name systemd's SystemCallArchitectures= takes.
	Systemd string
	// Docker is the arch name in Docker's (moby's) default profile's includes and excludes.
	Docker string
	// GOARCH is Go's name for a native program of this ABI ("" for x32, which Go has no port to).
	GOARCH string
	// Uname lists the `uname -m` values of machines whose native ABI this is.
	Uname []string
	// host is the 64-bit ABI whose kernel runs programs of this one (Host), nil for a 64-bit
	// ABI: a composite literal cannot refer to the variable it initializes, and filling the
	// self-references in from an init function cost start-up.
	host *Arch
	// OCreat is O_CREAT, which differs on MIPS and SPARC.
	OCreat uint64
	// Private is the first number of the ABI's private calls, far above the regular table
	// (ARM's __ARM_NR_BASE, 0x0f0000); 0 if none. Numbers between the two have no call.
	Private int
	// Socketcall and IPC: the ABI multiplexes socket or System V IPC calls through one call
	// (socketcall, ipc) whose arguments are in memory, where no filter can read them.
	Socketcall, IPC bool
	// CloneFlagsArg is the argument of clone that holds the flags: 0, but 1 on s390x, whose
	// clone takes the stack first.
	CloneFlagsArg int

	table []Syscall // sorted by number
	names []uint16  // indexes of table in name order (generated): nothing to build at start-up
}

// The architectures sctrace knows. x86 is i386, also used by `int 0x80` and 32-bit programs on an
// x86_64 kernel; x32 shares AUDIT_ARCH_X86_64 with x86_64 and is told apart by X32SyscallBit.
var (
	X86_64 = &Arch{Name: "x86_64", Audit: auditX86_64, Bits: 64, OCI: "SCMP_ARCH_X86_64", Systemd: "x86-64",
		Docker: "amd64", GOARCH: "amd64", Uname: []string{"x86_64"}, OCreat: 0x40,
		table: tableX86_64, names: namesX86_64}
	X86 = &Arch{Name: "x86", Audit: auditX86, Bits: 32, OCI: "SCMP_ARCH_X86", Systemd: "x86", Docker: "x86",
		GOARCH: "386", Uname: []string{"i386", "i486", "i586", "i686"}, OCreat: 0x40, Socketcall: true, IPC: true,
		host: X86_64, table: tableX86, names: namesX86}
	X32 = &Arch{Name: "x32", Audit: auditX86_64, SyscallBit: X32SyscallBit, Bits: 32, OCI: "SCMP_ARCH_X32",
		Systemd: "x32", Docker: "x32", OCreat: 0x40, host: X86_64, table: tableX32, names: namesX32}
	AArch64 = &Arch{Name: "aarch64", Audit: auditAarch64, Bits: 64, OCI: "SCMP_ARCH_AARCH64", Systemd: "arm64",
		Docker: "arm64", GOARCH: "arm64", Uname: []string{"aarch64", "arm64"}, OCreat: 0x40,
		table: tableAarch64, names: namesAarch64}
	ARM = &Arch{Name: "arm", Audit: auditArm, Bits: 32, OCI: "SCMP_ARCH_ARM", Systemd: "arm", Docker: "arm",
		GOARCH: "arm", Uname: []string{"armv7l", "armv6l", "armv8l"}, OCreat: 0x40, Private: 0x0f0000,
		host: AArch64, table: tableArm, names: namesArm}
	LoongArch64 = &Arch{Name: "loongarch64", Audit: auditLoongarch64, Bits: 64, OCI: "SCMP_ARCH_LOONGARCH64",
		Systemd: "loongarch64", Docker: "loong64", GOARCH: "loong64", Uname: []string{"loongarch64"}, OCreat: 0x40,
		table: tableLoongarch64, names: namesLoongarch64}
	MIPS = &Arch{Name: "mips", Audit: auditMips, Bits: 32, BigEndian: true, OCI: "SCMP_ARCH_MIPS", Systemd: "mips",
		Docker: "mips", GOARCH: "mips", Uname: []string{"mips"}, OCreat: 0x100, Socketcall: true, IPC: true,
		host: MIPS64, table: tableMips, names: namesMips}
	MIPSel = &Arch{Name: "mipsel", Audit: auditMipsel, Bits: 32, OCI: "SCMP_ARCH_MIPSEL", Systemd: "mips-le",
		Docker: "mipsle", GOARCH: "mipsle", OCreat: 0x100, Socketcall: true, IPC: true,
		host: MIPSel64, table: tableMipsel, names: namesMipsel}
	MIPS64 = &Arch{Name: "mips64", Audit: auditMips64, Bits: 64, BigEndian: true, OCI: "SCMP_ARCH_MIPS64",
		Systemd: "mips64", Docker: "mips64", GOARCH: "mips64", Uname: []string{"mips64"}, OCreat: 0x100,
		table: tableMips64, names: namesMips64}
	MIPSel64 = &Arch{Name: "mipsel64", Audit: auditMipsel64, Bits: 64, OCI: "SCMP_ARCH_MIPSEL64",
		Systemd: "mips64-le", Docker: "mips64le", GOARCH: "mips64le", OCreat: 0x100,
		table: tableMipsel64, names: namesMipsel64}
	PPC = &Arch{Name: "ppc", Audit: auditPpc, Bits: 32, BigEndian: true, OCI: "SCMP_ARCH_PPC", Systemd: "ppc",
		Docker: "ppc", Uname: []string{"ppc"}, OCreat: 0x40, Socketcall: true, IPC: true,
		host: PPC64, table: tablePpc, names: namesPpc}
	PPC64 = &Arch{Name: "ppc64", Audit: auditPpc64, Bits: 64, BigEndian: true, OCI: "SCMP_ARCH_PPC64",
		Systemd: "ppc64", Docker: "ppc64", GOARCH: "ppc64", Uname: []string{"ppc64"}, OCreat: 0x40,
		Socketcall: true, IPC: true, table: tablePpc64, names: namesPpc64}
	PPC64LE = &Arch{Name: "ppc64le", Audit: auditPpc64le, Bits: 64, OCI: "SCMP_ARCH_PPC64LE", Systemd: "ppc64-le",
		Docker: "ppc64le", GOARCH: "ppc64le", Uname: []string{"ppc64le"}, OCreat: 0x40, Socketcall: true, IPC: true,
		table: tablePpc64le, names: namesPpc64le}
	RISCV64 = &Arch{Name: "riscv64", Audit: auditRiscv64, Bits: 64, OCI: "SCMP_ARCH_RISCV64", Systemd: "riscv64",
		Docker: "riscv64", GOARCH: "riscv64", Uname: []string{"riscv64"}, OCreat: 0x40,
		table: tableRiscv64, names: namesRiscv64}
	S390X = &Arch{Name: "s390x", Audit: auditS390x, Bits: 64, BigEndian: true, OCI: "SCMP_ARCH_S390X",
		Systemd: "s390x", Docker: "s390x", GOARCH: "s390x", Uname: []string{"s390x"}, OCreat: 0x40,
		Socketcall: true, IPC: true, CloneFlagsArg: 1, table: tableS390x, names: namesS390x}
	// libseccomp (and so the OCI spec and systemd) has no SPARC port.
	SPARC64 = &Arch{Name: "sparc64", Audit: auditSparc64, Bits: 64, BigEndian: true,
		Docker: "sparc64", Uname: []string{"sparc64"}, OCreat: 0x200, Socketcall: true,
		IPC: true, table: tableSparc64, names: namesSparc64}
)

var all = []*Arch{X86_64, X86, X32, AArch64, ARM, LoongArch64, MIPS, MIPSel, MIPS64, MIPSel64,
	PPC, PPC64, PPC64LE, RISCV64, S390X, SPARC64}

// Host is the ABI of the machine that runs programs of this one: itself for a 64-bit ABI, the
// 64-bit ABI of the same kernel for i386, x32, arm, mips and ppc. A container runtime
// (`emit --runtime`) is a program of the Host ABI.
func (a *Arch) Host() *Arch {
	if a.host != nil {
		return a.host
	}
	return a
}

// Sibling returns the ABI that shares a's AUDIT_ARCH value and is told apart from it by a bit of
// the number (x32 for x86_64, and x86_64 for x32), or nil.
func (a *Arch) Sibling() *Arch {
	for _, b := range all {
		if b != a && b.Audit == a.Audit {
			return b
		}
	}
	return nil
}

// Native returns the ABI of the programs this binary was built for (runtime.GOARCH).
func Native() *Arch {
	if a, ok := ForGOARCH(runtime.GOARCH); ok {
		return a
	}
	return X86_64 // a Go port sctrace has no table for: the tables' default
}

// ForGOARCH returns the ABI of Go's native programs on GOARCH (runtime.GOARCH), if known.
func ForGOARCH(goarch string) (*Arch, bool) {
	for _, a := range all {
		if a.GOARCH == goarch {
			return a, true
		}
	}
	return nil, false
}

// ForMachine returns the native ABI of a machine by its `uname -m`, if sctrace knows it.
func ForMachine(uname string) (*Arch, bool) {
	for _, a := range all {
		for _, u := range a.Uname {
			if u == uname {
				return a, true
			}
		}
	}
	return nil, false
}

// All returns every known architecture, x86_64 first.
func All() []*Arch { return append([]*Arch(nil), all...) }

// ByName finds an architecture by its libseccomp short name.
func ByName(name string) (*Arch, bool) {
	for _, a := range all {
		if a.Name == name {
			return a, true
		}
	}
	return nil, false
}

// Classify maps what seccomp reports for a call (seccomp_data.arch and .nr) to the ABI that made it
// and the number in that ABI's table: an x86_64 call with X32SyscallBit set is an x32 call. It
// returns nil for an AUDIT_ARCH value sctrace has no table for.
func Classify(audit uint32, nr int) (*Arch, int) {
	if audit == auditX86_64 && nr >= 0 && nr&X32SyscallBit != 0 {
		return X32, nr &^ X32SyscallBit
	}
	for _, a := range all {
		if a.Audit == audit && a.SyscallBit == 0 {
			return a, nr
		}
	}
	return nil, nr
}

// Syscalls returns the table, sorted by number. The caller must not modify it.
func (a *Arch) Syscalls() []Syscall { return a.table }

// Max returns the highest number in the table.
func (a *Arch) Max() int { return a.table[len(a.table)-1].Nr }

// SyscallName returns the name of number nr, if the table has one.
func (a *Arch) SyscallName(nr int) (string, bool) {
	i := sort.Search(len(a.table), func(i int) bool { return a.table[i].Nr >= nr })
	if i < len(a.table) && a.table[i].Nr == nr {
		return a.table[i].Name, true
	}
	return "", false
}

// SyscallNumber returns the number of a named syscall, if the table has it.
func (a *Arch) SyscallNumber(name string) (int, bool) {
	lo, hi := 0, len(a.names)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a.table[a.names[m]].Name < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(a.names) && a.table[a.names[lo]].Name == name {
		return a.table[a.names[lo]].Nr, true
	}
	return 0, false
}

// Key is how sctrace writes a syscall in a profile: its name, or its decimal number when the table
// has no name for it (a call newer than the tables, or a bogus number). Numbers are never dropped.
func (a *Arch) Key(nr int) string {
	if name, ok := a.SyscallName(nr); ok {
		return name
	}
	return strconv.Itoa(nr)
}

// ParseKey is the inverse of Key: a name from the table or a decimal number.
func (a *Arch) ParseKey(key string) (int, bool) {
	if nr, ok := a.SyscallNumber(key); ok {
		return nr, true
	}
	nr, err := strconv.Atoi(key)
	if err != nil || strconv.Itoa(nr) != key {
		return 0, false
	}
	return nr, true
}

// String returns the name.
func (a *Arch) String() string { return a.Name }
