package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sctrace/sctrace/arch"
)

// footprint is a set of (arch, syscall key) pairs, keys as sctrace writes them.
type footprint map[string]map[string]bool

func (f footprint) add(archName, key string) {
	if f[archName] == nil {
		f[archName] = map[string]bool{}
	}
	f[archName][key] = true
}

// diff lists what a has and b lacks, as "arch/key".
func (f footprint) minus(g footprint) []string {
	var out []string
	for a, keys := range f {
		for k := range keys {
			if !g[a][k] {
				out = append(out, a+"/"+k)
			}
		}
	}
	sort.Strings(out)
	return out
}

var (
	straceCall  = regexp.MustCompile(`^([a-z_0-9]+)(#64)?\(`)
	strace64    = regexp.MustCompile(`^syscall_(0x[0-9a-f]+|[0-9]+)\(`)
	stracePers  = regexp.MustCompile(`^\[ Process PID=(\d+) runs in (64 bit|32 bit|x32) mode\. \]$`)
	straceChild = regexp.MustCompile(`^(?:clone|clone3|fork|vfork)\(.*\) += (\d+)$`)
)

var straceArch = map[string]*arch.Arch{"64 bit": arch.X86_64, "32 bit": arch.X86, "x32": arch.X32}

// straceFootprint runs argv under `strace -ff` and returns the calls it saw, per arch.
//
// strace writes one file per thread and says "[ Process PID=N runs in 32 bit mode. ]" when a
// thread's personality differs from what strace last assumed for it. A new thread starts in the
// personality its creator had at the clone/fork, so files are read creators first.
func straceFootprint(t *testing.T, argv []string) footprint {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"-ff", "-o", filepath.Join(dir, "log"),
		"--quiet=attach,exit,path-resolution,thread-execve", "--"}, argv...)
	cmd := exec.Command("strace", args...)
	cmd.Env = markedEnv()
	cmd.Stdout, cmd.Stderr = nil, nil
	_ = cmd.Run() // the workload's status is checked elsewhere

	type event struct {
		arch  *arch.Arch
		name  string
		child int // for a clone/fork line: the new tid
	}
	files := map[int][]event{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		tid, err := strconv.Atoi(strings.TrimPrefix(e.Name(), "log."))
		if err != nil {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var evs []event
		s := bufio.NewScanner(f)
		s.Buffer(make([]byte, 1<<20), 1<<20)
		for s.Scan() {
			line := s.Text()
			if m := stracePers.FindStringSubmatch(line); m != nil {
				evs = append(evs, event{arch: straceArch[m[2]]})
				continue
			}
			if m := strace64.FindStringSubmatch(line); m != nil {
				nr, _ := strconv.ParseInt(m[1], 0, 64)
				evs = append(evs, event{name: "#" + strconv.FormatInt(nr, 10)})
				continue
			}
			m := straceCall.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			ev := event{name: m[1] + m[2]}
			if c := straceChild.FindStringSubmatch(line); c != nil {
				ev.child, _ = strconv.Atoi(c[1])
			}
			evs = append(evs, ev)
		}
		f.Close()
		files[tid] = evs
	}

	// Find the root (no creator) and walk creators first.
	created := map[int]bool{}
	for _, evs := range files {
		for _, ev := range evs {
			if ev.child != 0 {
				created[ev.child] = true
			}
		}
	}
	fp := footprint{}
	var walk func(tid int, cur *arch.Arch)
	walk = func(tid int, cur *arch.Arch) {
		for _, ev := range files[tid] {
			if ev.arch != nil {
				cur = ev.arch
				continue
			}
			fp.add(cur.Name, straceKey(t, cur, ev.name))
			if ev.child != 0 {
				walk(ev.child, cur)
			}
		}
	}
	roots := 0
	for tid := range files {
		if !created[tid] {
			roots++
			walk(tid, arch.X86_64)
		}
	}
	if roots != 1 {
		t.Logf("strace: %d root files (a thread's exec renames files; footprint is still complete)", roots)
	}
	return fp
}

// straceKey turns a strace name into sctrace's key in a.
func straceKey(t *testing.T, a *arch.Arch, name string) string {
	if n, ok := strings.CutPrefix(name, "#"); ok {
		return n
	}
	if n, ok := strings.CutSuffix(name, "#64"); ok {
		// An x32 call of a number that only x86_64 has: sctrace keeps the number.
		nr, ok := arch.X86_64.SyscallNumber(n)
		if !ok {
			t.Errorf("strace name %q: not an x86_64 call", name)
		}
		return strconv.Itoa(nr)
	}
	if _, ok := a.SyscallNumber(name); !ok {
		t.Errorf("strace reports %s/%s, which sctrace's table does not have", a, name)
	}
	return name
}
