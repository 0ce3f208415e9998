package emit

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	sarch "github.com/elastic/go-seccomp-bpf/arch"
	yaml "gopkg.in/yaml.v2"

	"github.com/sctrace/sctrace/arch"
	"github.com/sctrace/sctrace/emit/internal/golden"
	"github.com/sctrace/sctrace/learn"
)

// These tests read each text format back with a parser written from the format's documentation
// (not from the emitter), and check that what it says equals what the profile allows.

// wantNames is what every name-based format must allow: the profile's named calls plus the
// completions (and runtime additions), across arches.
//
// It is written from the README's rules, not from the code that applies them: the recorded
// names; the calls every program may need (listed here as the README lists them, where the
// arch has them); the runtime's calls (the measured lists are the specification); and ENOSYS
// for the fallback calls that end up not allowed.
func wantNames(t *testing.T, p *learn.Profile, opt Options) (allowed, enosys map[string]bool) {
	allowed, enosys = map[string]bool{}, map[string]bool{}
	completions := strings.Fields("rt_sigreturn sigreturn restart_syscall exit exit_group " +
		"clock_gettime clock_gettime64 clock_getres gettimeofday time getcpu")
	var arches []*arch.Arch
	for _, name := range p.ArchNames() {
		a, ok := arch.ByName(name)
		if !ok {
			t.Fatalf("unknown arch %s", name)
		}
		arches = append(arches, a)
		for _, k := range p.Syscalls(name) {
			if _, ok := a.SyscallNumber(k); ok {
				allowed[k] = true
			}
		}
		for _, c := range completions {
			if _, ok := a.SyscallNumber(c); ok {
				allowed[c] = true
			}
		}
	}
	if opt.Runtime != "" {
		// The runtime's calls, for the machine the profile is for.
		host := p.Machine()
		if host == nil {
			host = opt.Host
		}
		calls, _ := runtimeCalls(opt.Runtime)
		for _, c := range calls {
			if c.nnp != "" && opt.NoNewPrivs != "" && c.nnp != opt.NoNewPrivs {
				continue
			}
			if _, ok := host.SyscallNumber(c.name); ok {
				allowed[c.name] = true
			}
		}
	}
	for _, f := range Fallbacks {
		for _, a := range arches {
			if _, ok := a.SyscallNumber(f.Call); ok && !allowed[f.Call] {
				enosys[f.Call] = true
			}
		}
	}
	return allowed, enosys
}

func sameSet(t *testing.T, what string, got, want map[string]bool) {
	t.Helper()
	var extra, missing []string
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	if len(extra)+len(missing) > 0 {
		t.Errorf("%s: extra %v, missing %v", what, extra, missing)
	}
}

var (
	syscallName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	errnoName   = regexp.MustCompile(`^E[A-Z0-9]+$`)
)

// parseSystemd reads a drop-in per systemd.syntax(7) and systemd.exec(5): "[Section]" headers,
// "#" or ";" comments, Key=Value lines; SystemCallFilter= takes space-separated names, the whole
// list inverted by a leading "~", each name optionally followed by ":" and an errno name or a
// number 0-4095; SystemCallArchitectures= takes systemd's arch names; SystemCallErrorNumber= an
// errno name or number.
func parseSystemd(t *testing.T, data []byte) (allow, deny map[string]string, arches []string, errno string) {
	allow, deny = map[string]string{}, map[string]string{}
	section := ""
	// systemd's own arch names (src/shared/seccomp-util.c, seccomp_arch_to_string), written
	// out here rather than taken from sctrace's descriptors.
	known := map[string]bool{"native": true}
	for _, v := range strings.Fields("x86 x86-64 x32 arm arm64 loongarch64 mips mips-le mips64 mips64-le " +
		"mips64-n32 mips64-le-n32 parisc parisc64 ppc ppc64 ppc64-le riscv64 s390 s390x") {
		known[v] = true
	}
	s := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || section != "Service" {
			t.Fatalf("line %d: %q is not a Key=Value line of [Service]", n, line)
		}
		switch key {
		case "SystemCallFilter":
			target := allow
			if strings.HasPrefix(value, "~") {
				target, value = deny, value[1:]
			}
			for _, item := range strings.Fields(value) {
				name, e, hasErrno := strings.Cut(item, ":")
				if !syscallName.MatchString(name) {
					t.Fatalf("line %d: bad system call name %q", n, name)
				}
				if hasErrno {
					if v, err := strconv.Atoi(e); (err != nil || v < 0 || v > 4095) && !errnoName.MatchString(e) {
						t.Fatalf("line %d: bad errno %q", n, e)
					}
				}
				target[name] = e
			}
		case "SystemCallArchitectures":
			for _, a := range strings.Fields(value) {
				if !known[a] {
					t.Fatalf("line %d: unknown arch %q", n, a)
				}
				arches = append(arches, a)
			}
		case "SystemCallErrorNumber":
			if !errnoName.MatchString(value) {
				t.Fatalf("line %d: bad errno %q", n, value)
			}
			errno = value
		default:
			t.Fatalf("line %d: unexpected setting %q", n, key)
		}
	}
	return allow, deny, arches, errno
}

func TestSystemdGrammar(t *testing.T) {
	p := golden.Profile(t, "profile.json")
	for _, rt := range []string{"", "runc"} {
		opt := Options{Runtime: rt}
		out, _, err := Emit("systemd", p, opt)
		if err != nil {
			t.Fatal(err)
		}
		allow, deny, arches, errno := parseSystemd(t, out)
		wantAllow, wantENOSYS := wantNames(t, p, opt)
		got := map[string]bool{}
		for n := range allow {
			got[n] = true
		}
		sameSet(t, "systemd allow list", got, wantAllow)
		got = map[string]bool{}
		for n, e := range deny {
			if e != "ENOSYS" {
				t.Errorf("%s denied with %q, want ENOSYS", n, e)
			}
			got[n] = true
		}
		sameSet(t, "systemd ENOSYS list", got, wantENOSYS)
		if strings.Join(arches, " ") != "x86 x86-64" || errno != "EPERM" {
			t.Errorf("arches %v errno %q", arches, errno)
		}
	}
}

// parseMinijail reads a minijail0 seccomp policy: "#" comments, blank lines, and one
// "name: FILTER" per line, where FILTER is "1" (allow), "return ERRNO" (fail with ERRNO) or an
// argument condition (allowed when it holds: conds); a name may appear once.
func parseMinijail(t *testing.T, data []byte) (allow map[string]bool, ret map[string]int, order []string) {
	allow, ret, _, order = parseMinijailConds(t, data)
	return allow, ret, order
}

// mjAtom is one test of a minijail condition: argument, operator ("==", "&" or "in"), constant.
type mjAtom struct {
	arg int
	op  string
	c   uint64
}

// parseMinijailConds is parseMinijail with the conditions: for each call, the alternatives
// ("||"), each a conjunction ("&&", which binds tighter, syscall_filter.c) of atoms.
func parseMinijailConds(t *testing.T, data []byte) (allow map[string]bool, ret map[string]int, conds map[string][][]mjAtom, order []string) {
	allow, ret, conds = map[string]bool{}, map[string]int{}, map[string][][]mjAtom{}
	s := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, filter, ok := strings.Cut(line, ":")
		filter = strings.TrimSpace(filter)
		if !ok || !syscallName.MatchString(name) {
			t.Fatalf("line %d: %q is not name: filter", n, line)
		}
		if allow[name] || ret[name] != 0 || conds[name] != nil {
			t.Fatalf("line %d: %s twice", n, name)
		}
		switch {
		case filter == "1":
			allow[name] = true
			order = append(order, name)
		case strings.HasPrefix(filter, "arg"):
			for _, alt := range strings.Split(filter, "||") {
				var and []mjAtom
				for _, atom := range strings.Split(alt, "&&") {
					f := strings.Fields(atom)
					if len(f) != 3 || len(f[0]) != 4 || f[0][:3] != "arg" || f[0][3] < '0' || f[0][3] > '5' {
						t.Fatalf("line %d: bad atom %q", n, atom)
					}
					c, err := strconv.ParseUint(f[2], 0, 64)
					if err != nil || (f[1] != "==" && f[1] != "&" && f[1] != "in") {
						t.Fatalf("line %d: bad atom %q", n, atom)
					}
					and = append(and, mjAtom{int(f[0][3] - '0'), f[1], c})
				}
				conds[name] = append(conds[name], and)
			}
			order = append(order, name)
		case strings.HasPrefix(filter, "return "):
			v, err := strconv.Atoi(strings.TrimPrefix(filter, "return "))
			if err != nil || v <= 0 || v > 4095 {
				t.Fatalf("line %d: bad return %q", n, filter)
			}
			ret[name] = v
		default:
			t.Fatalf("line %d: unexpected filter %q", n, filter)
		}
	}
	return allow, ret, conds, order
}

// mjHolds evaluates a condition as minijail's filter does (bpf.c): "==" compares the whole 64-bit
// argument, "&" holds when any bit of the constant is set, "in" when no bit outside it is.
func mjHolds(alts [][]mjAtom, args [6]uint64) bool {
	for _, and := range alts {
		ok := true
		for _, a := range and {
			v := args[a.arg]
			switch a.op {
			case "==":
				ok = ok && v == a.c
			case "&":
				ok = ok && v&a.c != 0
			case "in":
				ok = ok && v&^a.c == 0
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// TestMinijailArgs: the minijail conditions allow exactly the argument values sctrace's own
// filter allows (Args.Allows: the masked low 32 bits), for values a caller passes zero-extended
// (unsigned) and sign-extended (int), on random learned combinations.
func TestMinijailArgs(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	masks := []uint64{0xffffffff, 0xf, 6, 0x7e020000 | 0x00800000, 0x80000001}
	interesting := []uint64{0, 1, 2, 4, 6, 0xf, 0x11, 0x5401, 0x80000000, 0x80086601, 0xc0186201, 0xffffff9c, 0xffffffff, 0x10000000, 0x00800000}
	for iter := 0; iter < 300; iter++ {
		n := 1 + rng.Intn(3)
		a := &learn.Args{}
		for i := 0; i < n; i++ {
			a.Index = append(a.Index, i*2) // 0, 2, 4
			a.Mask = append(a.Mask, masks[rng.Intn(len(masks))])
		}
		seen := map[string]bool{}
		for k := 0; k < 1+rng.Intn(5); k++ {
			v := make([]uint64, n)
			for i := range v {
				v[i] = interesting[rng.Intn(len(interesting))] & a.Mask[i]
			}
			if key := fmt.Sprint(v); !seen[key] {
				seen[key] = true
				a.Values = append(a.Values, v)
			}
		}
		slices.SortFunc(a.Values, slices.Compare)
		p := learn.NewProfile()
		p.Version = learn.Version
		p.Arches["x86_64"] = &learn.SyscallSet{Syscalls: map[string]*learn.SyscallStat{
			"execve": {Count: 1}, "ioctl": {Count: 1, Args: a}}}
		out, _, err := Emit("minijail", p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, _, conds, _ := parseMinijailConds(t, out)
		if conds["ioctl"] == nil {
			t.Fatalf("no condition for ioctl:\n%s", out)
		}
		for trial := 0; trial < 200; trial++ {
			var args [6]uint64
			for i := range a.Index {
				x := interesting[rng.Intn(len(interesting))]
				if rng.Intn(2) == 0 {
					x = uint64(rng.Uint32())
				}
				args[a.Index[i]] = x
			}
			want := a.Allows(args)
			for _, ext := range []string{"zero", "sign"} {
				in := args
				if ext == "sign" {
					for i := range in {
						in[i] = uint64(int64(int32(uint32(in[i]))))
					}
				}
				if got := mjHolds(conds["ioctl"], in); got != want {
					t.Fatalf("args %#x (%s-extended): minijail allows %v, sctrace %v\n%s\nlearned %+v", in[:5], ext, got, want, out, a)
				}
			}
		}
	}
}

func TestMinijailGrammar(t *testing.T) {
	p := golden.Profile(t, "profile.json")
	out, _, err := Emit("minijail", p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	allow, ret, order := parseMinijail(t, out)
	wantAllow, wantENOSYS := wantNames(t, p, Options{})
	sameSet(t, "minijail allow", allow, wantAllow)
	got := map[string]bool{}
	for n, v := range ret {
		if v != ENOSYS {
			t.Errorf("%s returns %d", n, v)
		}
		got[n] = true
	}
	// Minus the calls newer than Linux 6.1's headers, which a minijail built with them refuses.
	for _, n := range []string{"fchmodat2", "map_shadow_stack"} {
		if !wantENOSYS[n] {
			t.Errorf("%s is no longer a fallback: update this test", n)
		}
		delete(wantENOSYS, n)
	}
	sameSet(t, "minijail ENOSYS", got, wantENOSYS)
	// Most frequent first: read (40) leads, and counts never rise down the list.
	count := func(n string) uint64 { return p.Count("x86_64", n) + p.Count("x86", n) }
	if order[0] != "read" {
		t.Errorf("first rule %q, want read (the most frequent)", order[0])
	}
	for i := 1; i < len(order); i++ {
		if count(order[i]) > count(order[i-1]) {
			t.Errorf("%s (%d) after %s (%d)", order[i], count(order[i]), order[i-1], count(order[i-1]))
		}
	}
}

// k8sResource mirrors the security-profiles-operator SeccompProfile CRD (v1beta1): its spec has
// defaultAction, architectures and syscalls (action, names, errnoRet), and no defaultErrnoRet.
type k8sResource struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		DefaultAction string   `yaml:"defaultAction"`
		Architectures []string `yaml:"architectures"`
		Syscalls      []struct {
			Action   string   `yaml:"action"`
			Names    []string `yaml:"names"`
			ErrnoRet *int64   `yaml:"errnoRet"`
		} `yaml:"syscalls"`
	} `yaml:"spec"`
}

var (
	crdActions = map[string]bool{"SCMP_ACT_KILL": true, "SCMP_ACT_KILL_PROCESS": true, "SCMP_ACT_KILL_THREAD": true,
		"SCMP_ACT_TRAP": true, "SCMP_ACT_ERRNO": true, "SCMP_ACT_TRACE": true, "SCMP_ACT_ALLOW": true,
		"SCMP_ACT_LOG": true, "SCMP_ACT_NOTIFY": true}
	dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

func TestK8sSchema(t *testing.T) {
	p := golden.Profile(t, "profile.json")
	out, _, err := Emit("k8s", p, Options{Name: "my-app.v1"})
	if err != nil {
		t.Fatal(err)
	}
	var r k8sResource
	if err := yaml.UnmarshalStrict(out, &r); err != nil {
		t.Fatalf("not the CRD's shape: %v", err)
	}
	if r.APIVersion != "security-profiles-operator.x-k8s.io/v1beta1" || r.Kind != "SeccompProfile" {
		t.Errorf("apiVersion %q kind %q", r.APIVersion, r.Kind)
	}
	if !dns1123.MatchString(r.Metadata.Name) || len(r.Metadata.Name) > 253 || r.Metadata.Name != "my-app.v1" {
		t.Errorf("name %q", r.Metadata.Name)
	}
	if !crdActions[r.Spec.DefaultAction] {
		t.Errorf("defaultAction %q", r.Spec.DefaultAction)
	}
	for _, a := range r.Spec.Architectures {
		if !strings.HasPrefix(a, "SCMP_ARCH_") {
			t.Errorf("arch %q", a)
		}
	}
	allowed, enosys := map[string]bool{}, map[string]bool{}
	for _, sc := range r.Spec.Syscalls {
		if !crdActions[sc.Action] || len(sc.Names) == 0 {
			t.Errorf("syscall group %+v", sc)
		}
		switch {
		case sc.Action == "SCMP_ACT_ALLOW":
			for _, n := range sc.Names {
				allowed[n] = true
			}
		case sc.ErrnoRet != nil && *sc.ErrnoRet == ENOSYS:
			for _, n := range sc.Names {
				enosys[n] = true
			}
		default:
			t.Errorf("unexpected group %+v", sc)
		}
	}
	wantAllow, wantENOSYS := wantNames(t, p, Options{})
	sameSet(t, "k8s allow", allowed, wantAllow)
	sameSet(t, "k8s ENOSYS", enosys, wantENOSYS)
	if _, _, err := Emit("k8s", p, Options{Name: "Bad Name"}); err == nil {
		t.Error("a name Kubernetes refuses was accepted")
	}
}

// TestYAMLString checks the hand-written YAML scalars against a YAML parser: each reads back as
// the string it was written for, never as a number, boolean or null.
func TestYAMLString(t *testing.T) {
	for _, s := range []string{"read", "exit_group", "x", "no", "yes", "on", "off", "y", "n", "null",
		"true", "false", "123", "1e5", "0x1f", ".inf", "-", "-a", "a:b", "a b", "", "~", "a.b-c_d",
		"sctrace-ls", "Yes", "é", "a\"b", "#x", "a#b", "_x", "9a"} {
		var doc map[string]any
		if err := yaml.Unmarshal([]byte("v: "+yamlString(s)+"\n"), &doc); err != nil {
			t.Errorf("%q written as %s: %v", s, yamlString(s), err)
			continue
		}
		back := doc["v"]
		if got, ok := back.(string); !ok || got != s {
			t.Errorf("%q written as %s reads back as %#v", s, yamlString(s), back)
		}
	}
}

// TestGSBTable checks the generated gsbtable.go against go-seccomp-bpf's own tables, at the
// version go.mod names: after changing it, run go generate ./emit.
func TestGSBTable(t *testing.T) {
	for _, goarch := range []string{"386", "amd64", "arm", "arm64", "ppc64le", "s390x", "riscv64", "mips", "loong64"} {
		info, err := sarch.GetInfo(goarch)
		if err != nil {
			if gsbTable(goarch) != "" {
				t.Errorf("%s: go-seccomp-bpf has no table (%v), gsbtable.go has one", goarch, err)
			}
			continue
		}
		var names []string
		for n := range info.SyscallNames {
			names = append(names, n)
		}
		sort.Strings(names)
		if got, want := gsbTable(goarch), strings.Join(names, " "); got != want {
			t.Errorf("%s: gsbtable.go is stale (%d names, go-seccomp-bpf has %d): run go generate ./emit",
				goarch, len(strings.Fields(got)), len(names))
		}
	}
}
