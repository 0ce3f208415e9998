package reach

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sctrace/sctrace/arch"
)

// madeBy tells whether a call of the result is made by code in the object with that base name.
func madeBy(r *Result, call, object string) bool {
	c := r.Arches["x86_64"]
	if c == nil {
		return false
	}
	ab, _ := arch.ByName("x86_64")
	nr, ok := ab.SyscallNumber(call)
	if !ok {
		return false
	}
	for _, p := range c.Nrs[nr] {
		if filepath.Base(p.Object) == object {
			return true
		}
	}
	return false
}

// rawCall is C for a function making system call nr with its own syscall instruction.
func rawCall(fn string, nr int) string {
	return fmt.Sprintf("long %s(void) { long r; __asm__ volatile(\"syscall\" : \"=a\"(r) : \"a\"(%dL) : \"rcx\", \"r11\", \"memory\"); return r; }\n", fn, nr)
}

// sharedLib builds a shared library from C source into dir.
func sharedLib(t *testing.T, dir, name, src string) {
	t.Helper()
	c := filepath.Join(dir, name+".c")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-O2", "-shared", "-fPIC", "-o", filepath.Join(dir, name), c).CombinedOutput(); err != nil {
		t.Skipf("gcc -shared: %v\n%s", err, out)
	}
}

// TestResultCache: a second analysis of the same program is answered from the result cache, and
// any change to what the first one read (a library's bytes, a module directory's listing, the
// program) makes it analyse afresh.
func TestResultCache(t *testing.T) {
	dir := t.TempDir()
	mods := filepath.Join(dir, "mods")
	os.Mkdir(mods, 0o755)
	sharedLib(t, dir, "libx.so", rawCall("x", 110))
	bin := gcc(t, dir, "prog", "long x(void);\nint main(void) { return x(); }\n", "-L"+dir, "-lx", "-Wl,-rpath,$ORIGIN")
	sharedLib(t, mods, "m1.so", rawCall("m1", 111))
	cache := t.TempDir()
	opt := Options{CacheDir: cache, Modules: []string{mods}}
	analyze := func() (*Result, bool) {
		t.Helper()
		before := resultHits.Load()
		r, err := Analyze(bin, opt)
		if err != nil {
			t.Fatal(err)
		}
		return r, resultHits.Load() > before
	}
	first, hit := analyze()
	if hit {
		t.Fatal("the first analysis came from the cache")
	}
	if !madeBy(first, "getppid", "libx.so") || !madeBy(first, "getpgrp", "m1.so") {
		t.Fatalf("first analysis: getppid from libx.so %v, getpgrp from m1.so %v", madeBy(first, "getppid", "libx.so"), madeBy(first, "getpgrp", "m1.so"))
	}
	again, hit := analyze()
	if !hit {
		t.Fatal("the same analysis again was not answered from the cache")
	}
	if !slices.Equal(first.Names("x86_64"), again.Names("x86_64")) || len(first.Objects) != len(again.Objects) {
		t.Fatalf("cached result differs:\n%v\n%v", first.Names("x86_64"), again.Names("x86_64"))
	}
	for _, o := range again.Objects {
		if !o.Cached {
			t.Errorf("%s: not marked cached in a cached result", o.Path)
		}
	}

	// A library's bytes change (same path, same size class): analysed afresh.
	sharedLib(t, dir, "libx.so", rawCall("x", 162))
	r, hit := analyze()
	if hit || !madeBy(r, "sync", "libx.so") || madeBy(r, "getppid", "libx.so") {
		t.Errorf("after libx.so changed: hit %v, sync from libx.so %v, getppid from libx.so %v", hit, madeBy(r, "sync", "libx.so"), madeBy(r, "getppid", "libx.so"))
	}
	if _, hit = analyze(); !hit {
		t.Error("not cached after the new analysis")
	}

	// A module appears in a directory the analysis listed.
	sharedLib(t, mods, "m2.so", rawCall("m2", 124))
	if r, hit = analyze(); hit || !madeBy(r, "getsid", "m2.so") {
		t.Errorf("after m2.so was added: hit %v, getsid from m2.so %v", hit, madeBy(r, "getsid", "m2.so"))
	}

	// The program itself changes.
	gcc(t, dir, "prog", "long x(void);\n"+rawCall("f", 74)+"int main(void) { f(); return x(); }\n", "-L"+dir, "-lx", "-Wl,-rpath,$ORIGIN")
	if r, hit = analyze(); hit || !madeBy(r, "fsync", "prog") {
		t.Errorf("after the program changed: hit %v, fsync %v", hit, madeBy(r, "fsync", "prog"))
	}

	// Another sctrace build never uses this one's results.
	if _, hit = analyze(); !hit {
		t.Fatal("not cached")
	}
	saved := buildID
	buildID = saved + "-other"
	_, hit = analyze()
	buildID = saved
	if hit {
		t.Error("a result cached by another build was used")
	}

	// Without a cache directory nothing is cached.
	opt.CacheDir = ""
	analyze()
	if _, hit = analyze(); hit {
		t.Error("cached without a cache directory")
	}
}
