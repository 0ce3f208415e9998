package arch

import (
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

// Arch is one system call ABI as seccomp sees it.
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
	// BigEndian tells how seccomp_data.args lays out each 64-bit argument.
	BigEndian bool

	table  []Syscall // sorted by number
	byName map[string]int
}

func newArch(name string, audit uint32, bit uint32, bits int, bigEndian bool, table []Syscall) *Arch {
	a := &Arch{Name: name, Audit: audit, SyscallBit: bit, Bits: bits, BigEndian: bigEndian, table: table,
		byName: make(map[string]int, len(table))}
	for _, s := range table {
		a.byName[s.Name] = s.Nr
	}
	return a
}

// The architectures sctrace knows. x86 is i386, also used by `int 0x80` and 32-bit programs on an
// x86_64 kernel; x32 shares AUDIT_ARCH_X86_64 with x86_64 and is told apart by X32SyscallBit.
var (
	X86_64      = newArch("x86_64", auditX86_64, 0, 64, false, tableX86_64)
	X86         = newArch("x86", auditX86, 0, 32, false, tableX86)
	X32         = newArch("x32", auditX86_64, X32SyscallBit, 32, false, tableX32)
	AArch64     = newArch("aarch64", auditAarch64, 0, 64, false, tableAarch64)
	ARM         = newArch("arm", auditArm, 0, 32, false, tableArm)
	LoongArch64 = newArch("loongarch64", auditLoongarch64, 0, 64, false, tableLoongarch64)
	MIPS        = newArch("mips", auditMips, 0, 32, true, tableMips)
	MIPSel      = newArch("mipsel", auditMipsel, 0, 32, false, tableMipsel)
	MIPS64      = newArch("mips64", auditMips64, 0, 64, true, tableMips64)
	MIPSel64    = newArch("mipsel64", auditMipsel64, 0, 64, false, tableMipsel64)
	PPC         = newArch("ppc", auditPpc, 0, 32, true, tablePpc)
	PPC64       = newArch("ppc64", auditPpc64, 0, 64, true, tablePpc64)
	PPC64LE     = newArch("ppc64le", auditPpc64le, 0, 64, false, tablePpc64le)
	RISCV64     = newArch("riscv64", auditRiscv64, 0, 64, false, tableRiscv64)
	S390X       = newArch("s390x", auditS390x, 0, 64, true, tableS390x)
	SPARC64     = newArch("sparc64", auditSparc64, 0, 64, true, tableSparc64)
)

var all = []*Arch{X86_64, X86, X32, AArch64, ARM, LoongArch64, MIPS, MIPSel, MIPS64, MIPSel64,
	PPC, PPC64, PPC64LE, RISCV64, S390X, SPARC64}

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
	nr, ok := a.byName[name]
	return nr, ok
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
	if nr, ok := a.byName[key]; ok {
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
