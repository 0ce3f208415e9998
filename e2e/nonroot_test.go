package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sctrace/sctrace/learn"
)

// TestWithoutRoot records as an unprivileged user: nothing in the recording path needs root
// (no_new_privs lets anyone install a seccomp filter, and a parent may ptrace its own child).
func TestWithoutRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		// Not root already: every other test here proves the point.
		t.Skip("already running without root")
	}
	dir, asNobody := nobodyDir(t)
	out := filepath.Join(dir, "p.json")
	cmd := asNobody("record", "-q", "-o", out, "--", "sh", "-c", "id -u; ls / >/dev/null")
	cmd.Env = markedEnv()
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sctrace as uid 65534: %v\n%s", err, b)
	}
	if string(b) != "65534\n" {
		t.Errorf("workload output %q, want uid 65534", b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := learn.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if p.Count("x86_64", "getuid") == 0 || p.Recordings[0].Processes < 3 {
		t.Errorf("profile: getuid %d, processes %d", p.Count("x86_64", "getuid"), p.Recordings[0].Processes)
	}
}

// TestSetuidUnprivileged: a set-user-ID program run by an unprivileged user runs without its
// privileges under sctrace (no_new_privs, which every seccomp filter needs, makes execve ignore
// the bit: DESIGN trap 24). The recording must say so. passwd -S reads the shadow file, which
// only its setuid-root privileges allow: alone it succeeds, under sctrace it fails.
func TestSetuidUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to an unprivileged user")
	}
	passwd, err := exec.LookPath("passwd")
	if err != nil {
		t.Skip("passwd is not installed")
	}
	if fi, err := os.Stat(passwd); err != nil || fi.Mode()&os.ModeSetuid == 0 {
		t.Skip("passwd is not set-user-ID here")
	}
	dir, asNobody := nobodyDir(t)
	out := filepath.Join(dir, "p.json")
	cmd := asNobody("record", "-o", out, "--", passwd, "-S", "root")
	cmd.Env = markedEnv()
	b, _ := cmd.CombinedOutput()
	if !strings.Contains(string(b), "ran without its privileges") {
		t.Errorf("sctrace did not warn that passwd ran without its privileges:\n%s", b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := learn.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if h := strings.Join(p.Recordings[0].Hidden, "\n"); !strings.Contains(h, passwd) {
		t.Errorf("profile's hidden reasons %q do not name %s", h, passwd)
	}
}

// nobodyDir makes a directory anyone may write, with a copy of sctrace in it, and returns it and
// a function that runs that copy as uid 65534 with no capabilities (setpriv, util-linux).
func nobodyDir(t *testing.T) (string, func(args ...string) *exec.Cmd) {
	t.Helper()
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is needed to drop root")
	}
	dir, err := os.MkdirTemp("", "sctrace-nonroot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	bin := filepath.Join(dir, "sctrace")
	data, err := os.ReadFile(sctraceBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, func(args ...string) *exec.Cmd {
		return exec.Command(setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups",
			"--inh-caps=-all", bin}, args...)...)
	}
}

// TestRunWithoutRoot: `run` as an unprivileged user starts the workload the fast way, as root
// does: from a child of its own that it seizes, which keeps the descriptors sctrace was given
// (the exec helper it falls back to hides descriptors 3 and 4 behind its pipes). run makes
// itself non-dumpable (tracer.Options.Protect), and a child that shares its memory until its
// execve (x86_64) shares that too: without CAP_SYS_PTRACE the seize then failed, and every
// unprivileged run fell back to the slower helper.
func TestRunWithoutRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to an unprivileged user")
	}
	dir, asNobody := nobodyDir(t)
	prof := filepath.Join(dir, "p.json")
	script := "cat <&3"
	three := filepath.Join(dir, "three")
	if err := os.WriteFile(three, []byte("descriptor 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	open := func() *os.File {
		f, err := os.Open(three)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	rec := asNobody("record", "-q", "-o", prof, "--", "sh", "-c", script)
	rec.Env, rec.ExtraFiles = markedEnv(), []*os.File{open()}
	if b, err := rec.CombinedOutput(); err != nil {
		t.Fatalf("record as uid 65534: %v\n%s", err, b)
	}
	cmd := asNobody("run", "-q", "--profile", prof, "--", "sh", "-c", script)
	cmd.Env, cmd.ExtraFiles = markedEnv(), []*os.File{open()}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || string(out) != "descriptor 3\n" {
		t.Errorf("run as uid 65534: the workload read %q from descriptor 3, want %q (%v)\n%s", out, "descriptor 3\n", err, stderr.String())
	}
}

// TestExecuteOnlyUnreadable: a program the user may execute but not read runs undumpable, and
// without root sctrace may not read its memory: its calls are recorded (the kernel reports
// them), but the paths it opens are not. sctrace must say so rather than write a footprint that
// looks complete.
func TestExecuteOnlyUnreadable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to drop to another user")
	}
	dir, asNobody := nobodyDir(t)
	cat := filepath.Join(dir, "xcat")
	data, err := os.ReadFile("/bin/cat")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cat, data, 0o711); err != nil {
		t.Fatal(err)
	}
	os.Chmod(cat, 0o711) // whatever the umask
	out := filepath.Join(dir, "p.json")
	cmd := asNobody("record", "-o", out, "--", cat, "/etc/hostname")
	cmd.Env = markedEnv()
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("record: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), "the kernel refused to let sctrace read") {
		t.Errorf("no warning about the unreadable footprint:\n%s", b)
	}
	p := loadProfile(t, out)
	if p.Count("x86_64", "openat") == 0 {
		t.Errorf("openat not recorded")
	}
	if p.Files["/etc/hostname"] != nil {
		t.Logf("/etc/hostname was read after all: the program was readable?")
	}
	// Readable, the same program gives no warning.
	os.Chmod(cat, 0o755)
	cmd = asNobody("record", "-o", out, "--", cat, "/etc/hostname")
	cmd.Env = markedEnv()
	if b, err = cmd.CombinedOutput(); err != nil || strings.Contains(string(b), "refused") {
		t.Errorf("readable program: %v\n%s", err, b)
	}
}
