package learn

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// randomProfile makes a profile with calls, executables, files, programs, endpoints and a tree,
// built from the contract's types (not by the recorder, which has its own package and tests).
func randomProfile(rng *rand.Rand) *Profile {
	p := NewProfile()
	p.Executables = map[string]*Executable{}
	pid := 100 + rng.Intn(50)
	rec := Recording{Command: []string{"cmd", fmt.Sprint(rng.Intn(100))}, ExitCode: rng.Intn(2), Processes: 1}
	exes := []string{"/bin/sh", "/bin/cat", "/usr/bin/python3", "/opt/x"}
	call := func(exe string, audit uint32, nr int) {
		archName, key := ArchName(audit, nr)
		e := p.Executables[exe]
		if e == nil {
			e = &Executable{Processes: 1, Arches: map[string]*SyscallSet{}}
			p.Executables[exe] = e
			p.Programs = append(p.Programs, Program{Path: exe, Argv: []string{"a", fmt.Sprint(rng.Intn(3))}})
			p.Files = map[string][]string{exe: {UseExec}}
		}
		AddCall(e.Arches, archName, key, &SyscallStat{Count: 1})
		AddCall(p.Arches, archName, key, &SyscallStat{Count: 1})
	}
	root := exes[rng.Intn(len(exes))]
	rec.Tree = append(rec.Tree, Node{Pid: pid, Exec: []string{root}})
	for i := 0; i < 1+rng.Intn(40); i++ {
		audit := uint32(auditX86_64)
		if rng.Intn(5) == 0 {
			audit = auditI386
		}
		call(root, audit, rng.Intn(30))
		if rng.Intn(4) == 0 {
			child, exe := pid+1+rng.Intn(10), exes[rng.Intn(len(exes))]
			rec.Tree = append(rec.Tree, Node{Pid: child, Parent: pid, Exec: []string{exe}})
			rec.Processes++
			call(exe, auditX86_64, rng.Intn(30))
		}
	}
	p.Files[fmt.Sprintf("/tmp/f%d", rng.Intn(5))] = []string{[]string{UseOpen, UseCreate}[rng.Intn(2)]}
	p.Endpoints = []Endpoint{{Call: "connect", Family: "inet", Address: "10.0.0.1", Port: rng.Intn(3)}}
	SortPrograms(p.Programs)
	p.Programs = slices.CompactFunc(p.Programs, func(a, b Program) bool { return a.Path == b.Path })
	p.Recordings = []Recording{rec}
	return p
}

func encode(t *testing.T, p *Profile) string {
	var b bytes.Buffer
	if err := p.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestMergeProperties: merge is commutative and associative, loses nothing (every count sums,
// every file, program, endpoint and recording survives) and leaves its inputs alone.
func TestMergeProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 200; i++ {
		a, b, c := randomProfile(rng), randomProfile(rng), randomProfile(rng)
		before := encode(t, a) + encode(t, b) + encode(t, c)
		ab, ba := Merge(a, b), Merge(b, a)
		if encode(t, ab) != encode(t, ba) {
			t.Fatalf("not commutative:\n%s\n%s", encode(t, ab), encode(t, ba))
		}
		left, right, flat := Merge(Merge(a, b), c), Merge(a, Merge(b, c)), Merge(a, b, c)
		if encode(t, left) != encode(t, right) || encode(t, left) != encode(t, flat) {
			t.Fatal("not associative")
		}
		if encode(t, a)+encode(t, b)+encode(t, c) != before {
			t.Fatal("merge changed its inputs")
		}
		for _, p := range []*Profile{a, b} {
			for _, arch := range p.ArchNames() {
				for _, k := range p.Syscalls(arch) {
					if ab.Count(arch, k) != a.Count(arch, k)+b.Count(arch, k) {
						t.Fatalf("%s/%s: %d != %d + %d", arch, k, ab.Count(arch, k), a.Count(arch, k), b.Count(arch, k))
					}
				}
			}
			for path := range p.Files {
				if ab.Files[path] == nil {
					t.Fatalf("file %s lost", path)
				}
			}
			for path, e := range p.Executables {
				if ab.Executables[path] == nil || ab.Executables[path].Processes < e.Processes {
					t.Fatalf("executable %s lost", path)
				}
			}
		}
		if len(ab.Recordings) != len(a.Recordings)+len(b.Recordings) {
			t.Fatal("recordings lost")
		}
		// Merging with an empty profile changes nothing.
		if encode(t, Merge(a, NewProfile())) != encode(t, Merge(a)) {
			t.Fatal("empty profile is not neutral")
		}
	}
}
