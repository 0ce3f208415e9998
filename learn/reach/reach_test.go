package reach

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testCache is a cache directory shared by the tests of one run (see TestMain).
var testCache string

// TestMain creates the shared cache directory: real programs and their libraries are summarised
// once per run.
func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "reach-test-cache-")
	if err != nil {
		panic(err)
	}
	testCache = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// straceLine matches a system call line of `strace -f -qq -o FILE` (pid, then the name).
var straceLine = regexp.MustCompile(`^\d+\s+([a-z_][a-z0-9_]*)\(`)

// straceRun runs argv under strace and returns the names of the calls it made (unknown calls,
// printed as syscall_0x..., are skipped).
func straceRun(t *testing.T, dir string, argv ...string) map[string]bool {
	t.Helper()
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("strace not installed")
	}
	out := filepath.Join(dir, "strace.out")
	cmd := exec.Command("strace", append([]string{"-f", "-qq", "-o", out}, argv...)...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("")
	_ = cmd.Run() // the traced program may exit non-zero
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if m := straceLine.FindStringSubmatch(sc.Text()); m != nil && !strings.HasPrefix(m[1], "syscall_") {
			names[m[1]] = true
		}
	}
	return names
}

// checkSound fails for every recorded call missing from the static set of an ABI.
func checkSound(t *testing.T, r *Result, archName string, recorded map[string]bool) {
	t.Helper()
	c := r.Arches[archName]
	if c == nil {
		t.Fatalf("no %s calls in the result", archName)
	}
	if c.Any {
		return
	}
	static := map[string]bool{}
	for _, n := range r.Names(archName) {
		static[n] = true
	}
	var missing []string
	for n := range recorded {
		if !static[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("unsound: recorded but not in the static %s set: %v", archName, missing)
	}
}

// gcc builds a C program into dir.
func gcc(t *testing.T, dir, name, src string, flags ...string) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not installed")
	}
	c := filepath.Join(dir, name+".c")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	args := append([]string{"-O2", "-o", bin, c}, flags...)
	if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Skipf("gcc %v: %v\n%s", flags, err, out)
	}
	return bin
}

const cProg = `#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int fd = open("/etc/hostname", O_RDONLY);
	char buf[64];
	if (fd >= 0) { read(fd, buf, sizeof buf); close(fd); }
	printf("pid %d\n", getpid());
	write(1, "x\n", 2);
	return 0;
}
`

// TestDynamicC checks a small dynamic C program against strace.
func TestDynamicC(t *testing.T) {
	dir := t.TempDir()
	bin := gcc(t, dir, "dyn", cProg)
	r, err := Analyze(bin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Arches["x86_64"].Any {
		t.Errorf("x86_64 unbounded: %+v", r.Unresolved)
	}
	checkSound(t, r, "x86_64", straceRun(t, dir, bin))
	t.Logf("static set: %d calls", len(r.Arches["x86_64"].Nrs))
}

// TestStaticC checks a -static C program (no libraries) against strace.
func TestStaticC(t *testing.T) {
	dir := t.TempDir()
	bin := gcc(t, dir, "stat", cProg, "-static")
	r, err := Analyze(bin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Objects[0].Kind != "static" {
		t.Errorf("objects: %+v", r.Objects)
	}
	// glibc linked in statically still loads modules with dlopen: gconv modules (printf's
	// wide conversions reach them), not NSS modules (no lookup is linked in).
	for _, o := range r.Objects[1:] {
		if strings.Contains(o.How, "NSS") {
			t.Errorf("NSS module %s analysed, though the program links no NSS lookup", o.Path)
		}
	}
	if r.Arches["x86_64"].Any {
		t.Errorf("x86_64 unbounded: %+v", r.Unresolved)
	}
	checkSound(t, r, "x86_64", straceRun(t, dir, bin))
	t.Logf("static set: %d calls, %d objects", len(r.Arches["x86_64"].Nrs), len(r.Objects))
}

// TestNostdlibExact: a program without libc making exactly write and exit_group.
func TestNostdlibExact(t *testing.T) {
	dir := t.TempDir()
	bin := gcc(t, dir, "tiny", `
void _start(void) {
	__asm__ volatile("mov $1, %%eax; mov $1, %%edi; lea msg(%%rip), %%rsi; mov $3, %%edx; syscall;"
		"mov $231, %%eax; xor %%edi, %%edi; syscall; msg: .ascii \"hi\\n\"" ::: "rax", "rdi", "rsi", "rdx", "rcx", "r11", "memory");
}
`, "-nostdlib", "-static")
	r, err := Analyze(bin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(r.Names("x86_64"), " ")
	want := "clock_gettime execve exit_group getcpu gettimeofday restart_syscall rt_sigreturn time write"
	if got != want || r.Arches["x86_64"].Any {
		t.Errorf("got %q (any %v), want %q", got, r.Arches["x86_64"].Any, want)
	}
	checkSound(t, r, "x86_64", straceRun(t, dir, bin))
}

// TestSyscallWrapper: syscall(SYS_getppid) through glibc's syscall() is resolved at the caller.
func TestSyscallWrapper(t *testing.T) {
	dir := t.TempDir()
	bin := gcc(t, dir, "wrap", `#include <sys/syscall.h>
#include <unistd.h>
int main(void) { return syscall(SYS_getppid) < 0; }
`)
	r, err := Analyze(bin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := r.Arches["x86_64"]
	if c.Any {
		t.Fatalf("unbounded: %+v", r.Unresolved)
	}
	prov := c.Nrs[110] // getppid
	found := false
	for _, p := range prov {
		if p.Function == "syscall" && strings.Contains(p.Via, "wrapper") && strings.Contains(p.Via, "wrap") {
			found = true
		}
	}
	if !found {
		t.Errorf("getppid provenance through syscall(): %+v", prov)
	}
	checkSound(t, r, "x86_64", straceRun(t, dir, bin))
}

// TestM32: a 32-bit program's calls are reported under x86, bounded (pc thunks, call *%gs:0x10).
func TestM32(t *testing.T) {
	dir := t.TempDir()
	bin := gcc(t, dir, "m32", cProg, "-m32")
	r, err := Analyze(bin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := r.Arches["x86"]
	if c == nil || len(c.Nrs) == 0 {
		t.Fatalf("no x86 calls: %+v", r.Arches)
	}
	if r.Arches["x86_64"] != nil {
		t.Errorf("x86_64 calls in a 32-bit program: %v", r.Names("x86_64"))
	}
	if c.Any {
		t.Errorf("x86 unbounded: %+v", r.Unresolved)
	}
	checkSound(t, r, "x86", straceRun(t, dir, bin))
	t.Logf("x86 static set: %d calls, any=%v", len(c.Nrs), c.Any)
}

// TestM32Static: a static 32-bit glibc program once sent the resolution of a stack argument
// into an endless recursion (a Go stack overflow, which no recover catches): it must finish,
// and stay sound.
func TestM32Static(t *testing.T) {
	dir := t.TempDir()
	bin := gcc(t, dir, "m32s", cProg, "-m32", "-static")
	r, err := Analyze(bin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Arches["x86"]; c == nil || (len(c.Nrs) == 0 && !c.Any) {
		t.Fatalf("no x86 calls: %+v", r.Arches)
	}
	checkSound(t, r, "x86", straceRun(t, dir, bin))
}

// goBuild builds a Go program (CGO_ENABLED=0) from one main.go into dir. With xsys, the module
// requires golang.org/x/sys at the version this repository uses, taken from the module cache
// (no network).
func goBuild(t *testing.T, dir, src string, xsys bool) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not installed")
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	mod := "module x\n\ngo 1.21\n"
	env := append(os.Environ(), "CGO_ENABLED=0")
	if xsys {
		sum, err := os.ReadFile("../../go.sum")
		if err != nil {
			t.Skip("no go.sum to take golang.org/x/sys from")
		}
		var version string
		var lines []string
		for _, l := range strings.Split(string(sum), "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[0] == "golang.org/x/sys" {
				lines = append(lines, l)
				version = strings.TrimSuffix(f[1], "/go.mod")
			}
		}
		if version == "" {
			t.Skip("golang.org/x/sys not in go.sum")
		}
		mod += "\nrequire golang.org/x/sys " + version + "\n"
		os.WriteFile(filepath.Join(dir, "go.sum"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
		env = append(env, "GOPROXY=off", "GOFLAGS=-mod=mod")
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644)
	bin := filepath.Join(dir, "gop")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		if xsys {
			t.Skipf("go build with golang.org/x/sys: %v\n%s", err, out)
		}
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// checkGo analyses a Go program, requires a bounded x86_64 set and checks it against strace.
func checkGo(t *testing.T, dir, bin string, must ...string) *Result {
	t.Helper()
	r, err := Analyze(bin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Objects[0].Kind, "go") {
		t.Errorf("kind %q", r.Objects[0].Kind)
	}
	c := r.Arches["x86_64"]
	if c.Any {
		for _, u := range r.Unresolved {
			t.Errorf("unresolved: %s %#x %v", u.Function, u.Addr, u.Reasons)
		}
	}
	recorded := straceRun(t, dir, bin)
	checkSound(t, r, "x86_64", recorded)
	static := map[string]bool{}
	for _, n := range r.Names("x86_64") {
		static[n] = true
	}
	for _, n := range must {
		if !static[n] {
			t.Errorf("%s missing from the static set", n)
		}
		if !recorded[n] {
			t.Logf("note: %s not recorded by strace", n)
		}
	}
	t.Logf("go static set: %d calls, any=%v, recorded %d", len(c.Nrs), c.Any, len(recorded))
	return r
}

// TestGo: a Go program; its wrappers (syscall.Syscall6 & co.) are resolved at their callers and
// runtime.runPerThreadSyscall (numbers from memory) does not make the set unbounded.
func TestGo(t *testing.T) {
	dir := t.TempDir()
	bin := goBuild(t, dir, `package main

import (
	"fmt"
	"os"
)

func main() {
	b, err := os.ReadFile("/etc/hostname")
	fmt.Println(len(b), err)
}
`, false)
	r := checkGo(t, dir, bin)
	for _, n := range []string{"setuid", "setresuid", "setgroups"} {
		for _, m := range r.Names("x86_64") {
			if m == n {
				t.Errorf("%s in the set of a program that does not call syscall.Setuid & co.", n)
			}
		}
	}
}

// TestGoSetuid: syscall.Setuid and AllThreadsSyscall run the call on every thread, the other
// threads from runtime.runPerThreadSyscall: the numbers are traced at doAllThreadsSyscall's callers.
func TestGoSetuid(t *testing.T) {
	dir := t.TempDir()
	bin := goBuild(t, dir, `package main

import (
	"fmt"
	"os"
	"syscall"
)

func main() {
	fmt.Println(syscall.Setuid(os.Getuid()))
	// personality(0xffffffff) only queries; Go's runtime itself never calls it.
	_, _, e := syscall.AllThreadsSyscall(syscall.SYS_PERSONALITY, 0xffffffff, 0, 0)
	fmt.Println(e)
}
`, false)
	checkGo(t, dir, bin, "setuid", "personality")
}

// TestGoXSys: a program using golang.org/x/sys/unix.
func TestGoXSys(t *testing.T) {
	dir := t.TempDir()
	bin := goBuild(t, dir, `package main

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func main() {
	var u unix.Utsname
	fmt.Println(unix.Uname(&u))
	fmt.Println(unix.Prctl(unix.PR_SET_NAME, 0, 0, 0, 0) != nil)
	r, _, _ := unix.Syscall(unix.SYS_GETPPID, 0, 0, 0)
	fmt.Println(r > 0, unix.Setresuid(-1, unix.Geteuid(), -1))
	var st unix.Statx_t
	fmt.Println(unix.Statx(unix.AT_FDCWD, "/", 0, unix.STATX_ALL, &st))
}
`, true)
	checkGo(t, dir, bin, "uname", "prctl", "getppid", "setresuid", "statx")
}

// TestUnsupported: a non-x86 ELF is rejected with ErrUnsupported.
func TestUnsupported(t *testing.T) {
	dir := t.TempDir()
	// A minimal ELF64 header for EM_AARCH64 (183).
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	h[16], h[18], h[20] = 2, 183, 1
	h[52], h[54], h[58] = 64, 56, 64
	p := filepath.Join(dir, "arm")
	os.WriteFile(p, h, 0o755)
	_, err := Analyze(p, Options{})
	if err == nil || !strings.Contains(err.Error(), "AARCH64") {
		t.Fatalf("err = %v", err)
	}
}

// TestRealPrograms checks programs of this machine against strace and logs the precision.
func TestRealPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f.txt"), []byte("hello\n"), 0o644)
	cases := []struct {
		bin  string
		runs [][]string
	}{
		{"/usr/bin/ls", [][]string{{"ls"}, {"ls", "-la", "/etc"}, {"ls", "-R", "--color=always", "/usr/share/doc/git"}, {"ls", "-lZ", "/nonexistent", "/tmp"}}},
		{"/usr/bin/git", [][]string{{"git", "--version"}, {"git", "init", "-q", "repo"}, {"git", "-C", "repo", "status"}, {"git", "hash-object", "f.txt"}}},
		{"/usr/bin/python3", [][]string{{"python3", "-c", "print(1)"}, {"python3", "-c", "import os,json; print(json.dumps(os.listdir('.')))"},
			{"python3", "-S", "-c", "import time; time.sleep(0.01)"},
			// Extension modules of lib-dynload (dlopen): _json, _socket, _ssl, _hashlib, _sqlite3, _ctypes.
			{"python3", "-c", "import json, socket, ssl, hashlib, sqlite3, ctypes; print(hashlib.sha256(b'x').hexdigest()[:8], sqlite3.connect(':memory:').execute('select 1').fetchone(), ssl.create_default_context().verify_mode, socket.gethostname() != '')"},
			{"python3", "-c", "import pwd, grp, decimal, lzma, bz2, zlib; print(pwd.getpwuid(0).pw_name, decimal.Decimal(1)/3, len(lzma.compress(b'x')))"}}},
	}
	for _, c := range cases {
		if _, err := os.Stat(c.bin); err != nil {
			continue
		}
		start := time.Now()
		r, err := Analyze(c.bin, Options{CacheDir: testCache})
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		union := map[string]bool{}
		for _, argv := range c.runs {
			argv[0] = c.bin
			for n := range straceRun(t, dir, argv...) {
				union[n] = true
			}
		}
		checkSound(t, r, "x86_64", union)
		if r.Arches["x86_64"].Any {
			t.Errorf("%s: unbounded: %+v", c.bin, r.Unresolved)
		}
		st := len(r.Arches["x86_64"].Nrs)
		t.Logf("%s: static %d (any=%v), recorded union %d, ratio %.2f, analysis %v", c.bin, st,
			r.Arches["x86_64"].Any, len(union), float64(st)/float64(len(union)), took)
	}
}

// TestDeterministic: the same analysis gives the same provenance every time. ls reaches the
// NSS modules, whose entry points were rooted in map order: the first root to reach a function
// is its provenance, so the report changed from run to run.
func TestDeterministic(t *testing.T) {
	bin := "/usr/bin/ls"
	if _, err := os.Stat(bin); err != nil {
		t.Skip("no ls")
	}
	resultCache = false // the analysis itself, every time
	defer func() { resultCache = true }()
	var first []byte
	for i := 0; i < 4; i++ {
		r, err := Analyze(bin, Options{CacheDir: testCache})
		if err != nil {
			t.Fatal(err)
		}
		for k := range r.Objects {
			r.Objects[k].Cached = false
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatalf("analysis %d differs from the first", i+1)
		}
	}
}

// TestCacheTiming logs cold and warm analysis times of git and checks the warm result (python3
// and node, with many more objects, are timed by TestRealPrograms and TestNode).
func TestCacheTiming(t *testing.T) {
	bin := "/usr/bin/git"
	if _, err := os.Stat(bin); err != nil {
		t.Skip("no git")
	}
	cold, warm, times := coldWarm(t, bin)
	for _, o := range warm.Objects {
		if !o.Cached {
			t.Errorf("%s not cached", o.Path)
		}
	}
	if a, b := strings.Join(cold.Names("x86_64"), " "), strings.Join(warm.Names("x86_64"), " "); a != b {
		t.Errorf("warm result differs:\n%s\n%s", a, b)
	}
	t.Logf("git: cold %v, summaries cached %v, result cached %v", times[0], times[1], times[2])
	libc := "/lib/x86_64-linux-gnu/libc.so.6"
	t3 := time.Now()
	if _, err := Analyze(libc, Options{CacheDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	t.Logf("libc.so.6 alone (as a shared library, cold): %v", time.Since(t3))
}

// TestNode analyses node (a 100 MB, mostly static program) and checks it against strace, logging
// the cold and warm (cached) analysis times.
func TestNode(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	bin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	r, warm, times := coldWarm(t, bin)
	if a, b := strings.Join(r.Names("x86_64"), " "), strings.Join(warm.Names("x86_64"), " "); a != b {
		t.Errorf("warm result differs")
	}
	c := r.Arches["x86_64"]
	if c.Any {
		t.Errorf("node unbounded: %+v", r.Unresolved)
	}
	dir := t.TempDir()
	union := map[string]bool{}
	for _, argv := range [][]string{
		{bin, "-e", "console.log(1)"},
		{bin, "-e", "require('fs').readdirSync('/usr'); require('http').createServer().listen(0, function(){ this.close() })"},
	} {
		for n := range straceRun(t, dir, argv...) {
			union[n] = true
		}
	}
	checkSound(t, r, "x86_64", union)
	t.Logf("node: static %d (any=%v), recorded union %d, ratio %.2f; analysis cold %v, summaries cached %v, result cached %v", len(c.Nrs), c.Any,
		len(union), float64(len(c.Nrs))/float64(len(union)), times[0], times[1], times[2])
}

// coldWarm analyses bin three times with a fresh cache: cold, then with the per-object
// summaries cached (the result cache off), then from the result cache. It returns the first two
// results and the three times.
func coldWarm(t *testing.T, bin string) (cold, warm *Result, times [3]time.Duration) {
	t.Helper()
	cache := t.TempDir()
	var err error
	t0 := time.Now()
	if cold, err = Analyze(bin, Options{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	times[0] = time.Since(t0)
	resultCache = false
	t0 = time.Now()
	warm, err = Analyze(bin, Options{CacheDir: cache})
	times[1] = time.Since(t0)
	resultCache = true
	if err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	hits := resultHits.Load()
	cached, err := Analyze(bin, Options{CacheDir: cache})
	times[2] = time.Since(t0)
	if err != nil {
		t.Fatal(err)
	}
	if resultHits.Load() == hits {
		t.Errorf("%s: the third analysis did not come from the result cache", bin)
	}
	if a, b := strings.Join(cold.Names("x86_64"), " "), strings.Join(cached.Names("x86_64"), " "); a != b {
		t.Errorf("%s: the cached result differs from the analysis", bin)
	}
	return cold, warm, times
}

// TestRunnableLibrary: libc.so.6 can be run (it prints its version) but is a library: analysed
// on its own, every exported function is a root, so its mount wrapper's call is possible.
func TestRunnableLibrary(t *testing.T) {
	libc := "/lib/x86_64-linux-gnu/libc.so.6"
	if _, err := os.Stat(libc); err != nil {
		t.Skip("no libc.so.6 here")
	}
	r, err := Analyze(libc, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Objects[0].Kind != "shared" {
		t.Errorf("libc.so.6 analysed as %q, want shared", r.Objects[0].Kind)
	}
	names := strings.Join(r.Names("x86_64"), " ")
	for _, want := range []string{"mount", "ptrace", "sethostname"} {
		if !strings.Contains(" "+names+" ", " "+want+" ") {
			t.Errorf("libc.so.6's exported %s is not reachable", want)
		}
	}
}

// TestSetxidBroadcast: glibc's set*id broadcast (a site whose number is loaded from memory,
// reached through pthread_create's SIGSETXID handler) makes only the set*id calls a wrapper the
// program reaches makes itself: none for a threaded program that changes no id, setresuid (and
// not the family) for one that calls setresuid; also in a static, stripped program, which was
// unbounded before glibc was recognised in it without symbols.
func TestSetxidBroadcast(t *testing.T) {
	dir := t.TempDir()
	threads := `#include <pthread.h>
#include <unistd.h>
static void *run(void *p) { return p; }
int main(void) {
	pthread_t th;
	pthread_create(&th, 0, run, 0);
	pthread_join(th, 0);
	SETID
	return 0;
}
`
	plain := gcc(t, dir, "plain", strings.Replace(threads, "SETID", "", 1), "-pthread")
	setres := gcc(t, dir, "setres", strings.Replace(threads, "SETID", "setresuid(-1, getuid(), -1);", 1), "-pthread")
	// Static and stripped (as Debian's busybox-static): glibc is known by its tunables' names.
	plainS := gcc(t, dir, "plain-static", strings.Replace(threads, "SETID", "", 1), "-pthread", "-static", "-s")
	setresS := gcc(t, dir, "setres-static", strings.Replace(threads, "SETID", "setresuid(-1, getuid(), -1);", 1), "-pthread", "-static", "-s")
	for _, c := range []struct {
		bin  string
		want []string
	}{{plain, nil}, {setres, []string{"setresuid"}}, {plainS, nil}, {setresS, []string{"setresuid"}}} {
		r, err := Analyze(c.bin, Options{CacheDir: testCache})
		if err != nil {
			t.Fatal(err)
		}
		if r.Arches["x86_64"].Any {
			t.Errorf("%s: unbounded: %+v", filepath.Base(c.bin), r.Unresolved)
		}
		names := map[string]bool{}
		for _, n := range r.Names("x86_64") {
			names[n] = true
		}
		if !names["clone3"] && !names["clone"] {
			t.Fatalf("%s: pthread_create not reached", c.bin)
		}
		for _, n := range setidCalls {
			if names[n] != slices.Contains(c.want, n) {
				t.Errorf("%s: %s in the set: %v, want %v", filepath.Base(c.bin), n, names[n], slices.Contains(c.want, n))
			}
		}
	}
}

// TestJava: a Java launcher loads the JVM (lib/server/libjvm.so) and the JDK's native libraries
// with dlopen; they are analysed as loaded, so that the calls the JVM makes (flock, mkdir,
// getrusage, ... in `java -version`) are in the set.
func TestJava(t *testing.T) {
	if testing.Short() {
		t.Skip("analyses the JVM")
	}
	bin, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed")
	}
	r, err := Analyze(bin, Options{CacheDir: testCache})
	if err != nil {
		t.Fatal(err)
	}
	jvm := false
	for _, o := range r.Objects {
		if filepath.Base(o.Path) == "libjvm.so" && o.Kind == "module" && o.Reached > 0 {
			jvm = true
		}
	}
	if !jvm {
		t.Errorf("libjvm.so not analysed as a reached module: %+v", r.Objects)
	}
	// The JDK's libraries need libjvm.so, which is not on their paths: the loader binds the
	// one the launcher loaded (by its soname), and so does the analysis.
	for _, as := range r.Assumptions {
		if strings.Contains(as, "libjvm.so not found") {
			t.Errorf("assumption: %s", as)
		}
	}
	union := straceRun(t, t.TempDir(), bin, "-version")
	checkSound(t, r, "x86_64", union)
}

// TestDataInCode: bytes past the end of a function's unwind range (its FDE) that decode as
// int 0x80 (libgcrypt's AES tables do) are data when the function is entered only by direct
// calls, control cannot reach them from it, and no instruction starts at the address taken
// there (06 is none in 64-bit code): not counted, and said. Code past an FDE's end counts when
// control reaches it, when data holds its address, when the function's address is taken (code
// may add an offset to it: a callback, push and ret), and when a fixed-address program stores
// its address as an immediate (a signal handler). All stripped: the FDEs are the only function
// boundaries there.
func TestDataInCode(t *testing.T) {
	dir := t.TempDir()
	const pre = `
#include <signal.h>
#include <stdio.h>
#include <string.h>
extern int table_user(void);
int (*volatile fp)(void);
volatile long off;
int main(void) { printf("%d\n", table_user()); if (fp) fp(); return 0; }
__asm__(".text\n.globl table_user\n.type table_user,@function\ntable_user:\n.cfi_startproc\n"
`
	// After the function: i386 getpid (20) or x86_64 tuxcall (184), then ret.
	const gap32, gap64 = `"tbl: mov $20, %eax\nint $0x80\nret\n"`, `"tbl: mov $184, %eax\nsyscall\nret\n"`
	cases := []struct {
		name, body, arch, want string
		flags                  []string
	}{
		{"data", `"lea tbl(%rip), %rax\nmovzbl (%rax), %eax\nret\n.cfi_endproc\n"
	"tbl: .byte 0x06, 0x07, 0xcd, 0x80, 0x90, 0x90, 0x12, 0x34\n");`, "x86", "", nil},
		{"jumped", `"lea tbl(%rip), %rax\njmp tbl\n.cfi_endproc\n"` + gap32 + `);`, "x86", "getpid", nil},
		{"pointer", `"xor %eax, %eax\nret\n.cfi_endproc\n"` + gap32 + `".data\n.globl tblptr\ntblptr: .quad tbl\n");
extern char *tblptr;
__attribute__((constructor)) static void init(void) { fp = (int (*)(void))tblptr; }`, "x86", "getpid", nil},
		{"offset", `"xor %eax, %eax\nret\n.cfi_endproc\n"` + gap64 + `);
__attribute__((constructor)) static void init(void) { off = 3; fp = (int (*)(void))((char *)table_user + off); }`, "x86_64", "tuxcall", nil},
		{"handler", `"xor %eax, %eax\nret\n.cfi_endproc\n"
	".globl handler\nhandler: mov $184, %eax\nsyscall\nret\n");
extern void handler(int);
__attribute__((constructor)) static void init(void) {
	struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = handler; sigaction(SIGUSR1, &sa, 0); raise(SIGUSR1);
}`, "x86_64", "tuxcall", []string{"-no-pie"}},
	}
	// Without relocations the pointer is found by scanning the data (it is no function start).
	cases = append(cases, cases[2], cases[3])
	cases[5].name, cases[5].flags = "pointer-no-pie", []string{"-no-pie"}
	cases[6].name, cases[6].flags = "offset-no-pie", []string{"-no-pie"}
	for _, c := range cases {
		bin := gcc(t, dir, c.name, pre+c.body, append([]string{"-s"}, c.flags...)...)
		r, err := Analyze(bin, Options{})
		if err != nil {
			t.Fatal(err)
		}
		x := r.Arches[c.arch]
		said := false
		for _, a := range r.Assumptions {
			said = said || strings.Contains(a, "data in code")
		}
		switch {
		case c.want == "" && (x != nil && (x.Any || len(x.Nrs) > 0) || !said):
			t.Errorf("%s: %s calls %v (%+v), want none; data in code noted %v", c.name, c.arch, r.Names(c.arch), x, said)
		case c.want != "" && (x == nil || x.Any || !slices.Contains(r.Names(c.arch), c.want) || said):
			t.Errorf("%s: %s calls %v (%+v), want %s; data in code noted %v", c.name, c.arch, r.Names(c.arch), x, c.want, said)
		}
		if c.want != "" { // it runs
			rec := straceRun(t, dir, bin)
			if c.arch == "x86_64" {
				checkSound(t, r, c.arch, rec)
			} else if !rec[c.want] {
				t.Errorf("%s: strace saw no %s", c.name, c.want)
			}
		}
	}
}

// TestNotRegularOrDamaged: a FIFO where the analysis reads a file (the program itself, or a
// library on its RUNPATH) is refused, not waited on; an executable section outside the file is
// "a damaged ELF file", for the program and for a library it needs, not a crash.
func TestNotRegularOrDamaged(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libstub.so")
	src := filepath.Join(dir, "stub.c")
	if err := os.WriteFile(src, []byte("int stub(void) { return 1; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-shared", "-fPIC", "-o", lib, src, "-Wl,-soname,libbad.so").CombinedOutput(); err != nil {
		t.Skipf("gcc: %v: %s", err, out)
	}
	prog := gcc(t, dir, "prog", "int stub(void);\nint main(void) { return stub(); }\n", "-L"+dir, "-l:libstub.so", "-Wl,-rpath,$ORIGIN")
	within := func(what string, f func()) {
		t.Helper()
		done := make(chan bool)
		go func() { f(); close(done) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatalf("%s: still analysing after 60 s", what)
		}
	}
	noted := func(r *Result, s string) bool {
		for _, a := range r.Assumptions {
			if strings.Contains(a, s) {
				return true
			}
		}
		return false
	}
	// The library's name is a FIFO.
	if err := syscall.Mkfifo(filepath.Join(dir, "libbad.so"), 0o644); err != nil {
		t.Fatal(err)
	}
	within("a FIFO as library", func() {
		r, err := Analyze(prog, Options{})
		if err != nil || !noted(r, "libbad.so not found") {
			t.Errorf("a FIFO as library: %v, assumptions %q", err, r.Assumptions)
		}
	})
	within("a FIFO as program", func() {
		if _, err := Analyze(filepath.Join(dir, "libbad.so"), Options{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("a FIFO as program: %v", err)
		}
	})
	// The library's .fini section moved past the end of the file.
	os.Remove(filepath.Join(dir, "libbad.so"))
	b, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	shoff := binary.LittleEndian.Uint64(b[0x28:])
	for i, s := range f.Sections {
		if s.Name == ".fini" {
			binary.LittleEndian.PutUint64(b[shoff+uint64(i)*64+24:], uint64(len(b))+4096) // sh_offset
		}
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(dir, "libbad.so"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	within("a damaged library", func() {
		r, err := Analyze(prog, Options{})
		if err != nil || !noted(r, "a damaged ELF file") {
			t.Errorf("a damaged library: %v, assumptions %q", err, r.Assumptions)
		}
		if _, err := Analyze(filepath.Join(dir, "libbad.so"), Options{}); err == nil || !strings.Contains(err.Error(), "a damaged ELF file") {
			t.Errorf("a damaged program: %v", err)
		}
	})
}
