package reach

import (
	"strings"
	"testing"
)

// TestPath: a call made through two helper functions has a path from the entry (or main)
// through both helpers to the libc function holding the instruction.
func TestPath(t *testing.T) {
	dir := t.TempDir()
	bin := gcc(t, dir, "chain", `#include <unistd.h>
static void b(void) { sethostname("x", 1); }
static void a(void) { b(); }
int main(void) { a(); return 0; }
`, "-O0", "-fno-inline")
	r, err := Analyze(bin, Options{CacheDir: testCache})
	if err != nil {
		t.Fatal(err)
	}
	prov := r.Arches["x86_64"].Nrs[170] // sethostname
	if len(prov) == 0 {
		t.Fatalf("sethostname not reached")
	}
	for _, p := range prov {
		t.Logf("%s in %s: %s", p.Function, p.Object, strings.Join(p.Path, " → "))
	}
	p := prov[0]
	if len(p.Path) == 0 {
		t.Fatalf("no path: %+v", p)
	}
	if first := p.Path[0]; !strings.Contains(first, "_start (chain") && !strings.Contains(first, "main (chain") {
		t.Errorf("path does not start at the entry or main: %q", first)
	}
	want := []string{"a (chain)", "b (chain)", "sethostname (libc.so.6)"}
	k := 0
	for _, e := range p.Path {
		if k < len(want) && e == want[k] {
			k++
		}
	}
	if k < len(want) {
		t.Errorf("path %q does not hold %q in order", p.Path, want)
	}
}

// TestPathWrapper: a number passed to syscall() leads to the function that passed it, then to
// syscall.
func TestPathWrapper(t *testing.T) {
	dir := t.TempDir()
	bin := gcc(t, dir, "wrapchain", `#include <sys/syscall.h>
#include <unistd.h>
static long c(void) { return syscall(SYS_getppid); }
int main(void) { return c() < 0; }
`, "-O0", "-fno-inline")
	r, err := Analyze(bin, Options{CacheDir: testCache})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Arches["x86_64"].Nrs[110] { // getppid
		if p.Function != "syscall" {
			continue
		}
		n := len(p.Path)
		if n < 2 || p.Path[n-2] != "c (wrapchain)" || p.Path[n-1] != "syscall (libc.so.6)" {
			t.Errorf("getppid through syscall(): path %q, want it to end with c (wrapchain) → syscall (libc.so.6)", p.Path)
		}
		return
	}
	t.Errorf("no getppid provenance through syscall(): %+v", r.Arches["x86_64"].Nrs[110])
}

// TestElide: long paths keep their ends.
func TestElide(t *testing.T) {
	var p []string
	for i := 0; i < 30; i++ {
		p = append(p, string(rune('a'+i%26)))
	}
	e := elide(p)
	if len(e) != maxPath || e[0] != "a" || e[len(e)-1] != p[29] || !strings.Contains(strings.Join(e, ""), "…") {
		t.Errorf("elide: %q", e)
	}
	if short := elide(p[:3]); len(short) != 3 {
		t.Errorf("elide of a short path: %q", short)
	}
}
