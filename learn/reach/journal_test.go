package reach

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

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

// TestCacheFilesDistrusted: what the cache holds is believed only when it is a regular file of
// this user's, unchanged since it was written (a checksum), and made for this analysis; a
// summary that passes all that but does not hold together (a panic in the analysis) makes it
// analyse afresh. Each case used to give a wrong answer, hang or crash.
func TestCacheFilesDistrusted(t *testing.T) {
	dir := t.TempDir()
	bin := gcc(t, dir, "hello", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n", "-static", "-s")
	other := gcc(t, dir, "tiny", "#include <unistd.h>\nint main(void) { return getppid(); }\n")
	cache := t.TempDir()
	opt := Options{CacheDir: cache}
	want := strings.Join(mustAnalyze(t, bin, opt).Names("x86_64"), " ")
	check := func(what string) {
		t.Helper()
		done := make(chan *Result, 1)
		go func() {
			r, err := Analyze(bin, opt)
			if err != nil {
				r = &Result{}
			}
			done <- r
		}()
		select {
		case r := <-done:
			if got := strings.Join(r.Names("x86_64"), " "); got != want {
				t.Errorf("%s: the analysis changed:\n%s\nwant:\n%s", what, got, want)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%s: the analysis hangs", what)
		}
	}
	results, _ := filepath.Glob(filepath.Join(cache, "result-*"))
	if len(results) != 1 {
		t.Fatalf("result files: %v", results)
	}
	res := results[0]
	flip := func(path string, off int) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[off%len(b)] ^= 0x80
		os.WriteFile(path, b, 0o600)
	}

	flip(res, 283)
	check("a flipped bit in the result")

	// Another program's result put under this one's key.
	mustAnalyze(t, other, opt)
	all, _ := filepath.Glob(filepath.Join(cache, "result-*"))
	for _, f := range all {
		if f != res {
			b, _ := os.ReadFile(f)
			os.WriteFile(res, b, 0o600)
		}
	}
	check("another program's result under this key")

	// Not regular files: a FIFO, a link to a device that never ends.
	os.Remove(res)
	if err := syscall.Mkfifo(res, 0o600); err != nil {
		t.Fatal(err)
	}
	check("a FIFO for a result")
	os.Remove(res)
	os.Symlink("/dev/zero", res)
	check("a link to /dev/zero for a result")
	os.Remove(res)

	// Writable by others.
	mustAnalyze(t, bin, opt)
	os.Chmod(res, 0o666)
	hits := resultHits.Load()
	check("a result anyone may write")
	if resultHits.Load() != hits {
		t.Error("a result file anyone may write was believed")
	}
	os.Remove(res)

	// A summary with a correct checksum that does not hold together: a data chunk always
	// reached whose index is far out of range (the analysis panicked on such a file).
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sumFile := cachePath(cache, contentHash(raw))
	s, err := decodeSummary(readCacheFile(sumFile, maxSummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	s.RootChunks = append(s.RootChunks, 1<<30)
	writeCacheFile(sumFile, encodeSummary(s))
	check("a summary that does not hold together")
	if s, err := decodeSummary(readCacheFile(sumFile, maxSummaryFile)); err != nil || slices.Contains(s.RootChunks, 1<<30) {
		t.Errorf("the bad summary was not replaced (%v)", err)
	}
}

func mustAnalyze(t *testing.T, path string, opt Options) *Result {
	t.Helper()
	r, err := Analyze(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRelativePaths: a relative path names a file relative to the working directory, for the
// analysis and for the cache: the same relative path elsewhere is another file. And a program
// reached through a symbolic link finds its $ORIGIN libraries where the loader does, next to
// its real file (the loader reads /proc/self/exe).
func TestRelativePaths(t *testing.T) {
	root := t.TempDir()
	build := func(dir string, nr int) {
		os.MkdirAll(filepath.Join(dir, "lib"), 0o755)
		sharedLib(t, filepath.Join(dir, "lib"), "libx.so", rawCall("x", nr))
		gcc(t, dir, "prog", "long x(void);\nint main(void) { return x(); }\n", "-L"+filepath.Join(dir, "lib"), "-lx", "-Wl,-rpath,$ORIGIN/lib")
	}
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	build(a, 110) // getppid
	build(b, 110)
	cache := t.TempDir()
	t.Chdir(a)
	r := mustAnalyze(t, "prog", Options{CacheDir: cache})
	if !madeBy(r, "getppid", "libx.so") || r.Path != "prog" {
		t.Fatalf("relative: path %q, getppid from libx.so %v", r.Path, madeBy(r, "getppid", "libx.so"))
	}
	sharedLib(t, filepath.Join(a, "lib"), "libx.so", rawCall("x", 151)) // mlockall
	t.Chdir(b)                                                          // b holds what a held
	if r := mustAnalyze(t, filepath.Join(a, "prog"), Options{CacheDir: cache}); !madeBy(r, "mlockall", "libx.so") {
		t.Error("a's library changed, but the analysis of a/prog from b still says getppid")
	}

	// x/prog -> ../y/prog: the loader takes y/lib, not x/lib.
	x, y := filepath.Join(root, "x"), filepath.Join(root, "y")
	build(y, 151)
	os.MkdirAll(filepath.Join(x, "lib"), 0o755)
	sharedLib(t, filepath.Join(x, "lib"), "libx.so", rawCall("x", 110))
	os.Symlink(filepath.Join("..", "y", "prog"), filepath.Join(x, "prog"))
	if r := mustAnalyze(t, filepath.Join(x, "prog"), Options{CacheDir: cache}); !madeBy(r, "mlockall", "libx.so") || madeBy(r, "getppid", "libx.so") {
		t.Errorf("through a symbolic link: mlockall %v, getppid %v (want y/lib's mlockall only)", madeBy(r, "mlockall", "libx.so"), madeBy(r, "getppid", "libx.so"))
	}
}

// TestMemoryNumberInProgram: a static program whose own code makes a system call with a number
// loaded from memory is unbounded (glibc linked in does not make every such site its set*id
// broadcast: only those shaped like it are).
func TestMemoryNumberInProgram(t *testing.T) {
	dir := t.TempDir()
	src := `#include <stdio.h>
volatile long nr = 312;
int main(void) {
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(1L), "S"(2L) : "rcx", "r11", "memory");
	printf("%ld\n", r);
	return 0;
}
`
	for _, flags := range [][]string{nil, {"-static"}, {"-static", "-s"}} {
		bin := gcc(t, dir, "memnr", src, flags...)
		r := mustAnalyze(t, bin, Options{CacheDir: testCache})
		if !r.Arches["x86_64"].Any {
			t.Errorf("%v: bounded, though main's call number is loaded from memory", flags)
		}
	}
}
