package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sctrace/sctrace/learn"
)

// sctrace runs the command line in-process and returns its exit status and output.
func sctrace(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = exitCode(run(args, strings.NewReader(""), &out, &errb), &errb)
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		stdoutHas  string
		stderrLine string // the one line expected on stderr, if any
	}{
		{args: []string{"help"}, code: 0, stdoutHas: "sctrace record"},
		{args: []string{"--help"}, code: 0, stdoutHas: "sctrace record"},
		{args: []string{"record", "--help"}, code: 0, stdoutHas: "-o FILE"},
		{args: []string{"version"}, code: 0, stdoutHas: "sctrace "},
		{args: []string{"frobnicate"}, code: 2, stderrLine: `sctrace: unknown command "frobnicate" (run 'sctrace help')`},
		{args: []string{"record"}, code: 2, stderrLine: "sctrace: record: no command given (usage: sctrace record [-o FILE] -- COMMAND [ARG...])"},
		{args: []string{"record", "--bogus", "--", "true"}, code: 2, stderrLine: "sctrace: record: flag provided but not defined: -bogus (see 'sctrace record --help')"},
		{args: []string{"record", "--", "no-such-command-for-sctrace"}, code: 127, stderrLine: "sctrace: no-such-command-for-sctrace: command not found"},
		{args: []string{"record", "-p", "1", "--", "true"}, code: 2, stderrLine: "sctrace: record: -p takes no command, no --base and no --runs"},
		{args: []string{"record", "-q", "-p", "999999999"}, code: 2, stderrLine: "sctrace: attach to 999999999: no such process"},
		{args: []string{"recrod", "--", "true"}, code: 2, stderrLine: `sctrace: unknown command "recrod": did you mean "record"? (run 'sctrace help')`},
		{args: []string{"run", "--on-dney", "kill", "--", "true"}, code: 2, stderrLine: "sctrace: run: flag provided but not defined: -on-dney (did you mean --on-deny? see 'sctrace run --help')"},
		{args: []string{"record", "-x", "--", "true"}, code: 2, stderrLine: "sctrace: record: flag provided but not defined: -x (see 'sctrace record --help')"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := sctrace(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if !strings.Contains(stdout, tt.stdoutHas) {
				t.Errorf("stdout %q lacks %q", stdout, tt.stdoutHas)
			}
			if tt.stderrLine != "" && stderr != tt.stderrLine+"\n" {
				t.Errorf("stderr %q, want the line %q", stderr, tt.stderrLine)
			}
			if tt.code == 0 && stderr != "" {
				t.Errorf("stderr %q, want nothing", stderr)
			}
			if tt.code == 2 && stdout != "" {
				t.Errorf("a usage error printed %q on stdout, want nothing there", stdout)
			}
			if n := strings.Count(stdout, "Usage:"); n > 1 {
				t.Errorf("the usage printed %d times", n)
			}
		})
	}
}

func TestRecordNotExecutable(t *testing.T) {
	f := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(f, []byte("echo hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := sctrace(t, "record", "-o", filepath.Join(t.TempDir(), "p.json"), "--", f)
	if code != 126 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "permission denied") {
		t.Errorf("exit %d, stderr %q; want 126 and one line saying permission denied", code, stderr)
	}
}

func TestRecordStdoutAndStatus(t *testing.T) {
	code, stdout, stderr := sctrace(t, "record", "-q", "-o", "-", "--", "sh", "-c", "exit 7")
	if code != 7 {
		t.Errorf("exit %d, want the workload's 7 (stderr %q)", code, stderr)
	}
	if stderr != "" {
		t.Errorf("-q printed %q", stderr)
	}
	p, err := learn.Decode(strings.NewReader(stdout))
	if err != nil {
		t.Fatalf("stdout is not a profile: %v\n%s", err, stdout)
	}
	if p.Count("x86_64", "exit_group") != 1 || p.Recordings[0].ExitCode != 7 {
		t.Errorf("profile: exit_group %d, recordings %+v", p.Count("x86_64", "exit_group"), p.Recordings)
	}
	if got := p.Recordings[0].Command; strings.Join(got, " ") != "sh -c exit 7" {
		t.Errorf("command %q", got)
	}
}

func TestRecordDefaultFileAndSummary(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, _, stderr := sctrace(t, "record", "--", "true")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "true.sctrace.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Error("default profile is not JSON")
	}
	for _, want := range []string{"profile written to true.sctrace.json", "x86_64", "/true"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the profile (no temporary files)", len(entries))
	}
}

func TestRecordUnwritable(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "missing-dir", "p.json")
	code, _, stderr := sctrace(t, "record", "-q", "-o", dest, "--", "true")
	if code != 2 || !strings.HasPrefix(stderr, "sctrace: -o "+dest+": cannot write there") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want 2 and one line", code, stderr)
	}
}

func TestRecordToDevice(t *testing.T) {
	// Renaming over /dev/null would replace the device with a file; sctrace must write into it.
	code, _, stderr := sctrace(t, "record", "-q", "-o", "/dev/null", "--", "true")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	fi, err := os.Stat("/dev/null")
	if err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", fi.Mode(), err)
	}
}

func TestRecordThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "link.json")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := sctrace(t, "record", "-q", "-o", link, "--", "true"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced")
	}
	if b, _ := os.ReadFile(target); !json.Valid(b) {
		t.Error("the symlink's target holds no profile")
	}
}

// TestEmitNotes: emit says that a container runtime's own calls are missing without --runtime.
func TestEmitNotes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(p, []byte(`{"version": 2, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}`), 0o644)
	_, _, stderr := sctrace(t, "emit", "--format", "oci", p)
	if !strings.Contains(stderr, "without --runtime") {
		t.Errorf("no note about --runtime:\n%s", stderr)
	}
	_, _, stderr = sctrace(t, "emit", "--format", "oci", "--runtime", "runc", p)
	if strings.Contains(stderr, "without --runtime") {
		t.Errorf("a note about --runtime though it was given:\n%s", stderr)
	}
}

// TestWriteDanglingSymlink: -o onto a symlink whose target does not exist yet writes the target
// and keeps the link.
func TestWriteDanglingSymlink(t *testing.T) {
	dir := t.TempDir()
	link, target := filepath.Join(dir, "link.json"), filepath.Join(dir, "real.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(link, func(w io.Writer) error { _, err := io.WriteString(w, "{}\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "{}\n" {
		t.Errorf("target: %q %v", b, err)
	}
}

// TestEmitAddedNotLeftOut: what emit says it also allows (the timing-dependent calls the
// executables can make) is in its output, and no call is said to be both added and left out: a
// format that cannot carry argument conditions leaves out tgkill, which the timing completion
// allows with SIGURG only, and must not name it as allowed.
func TestEmitAddedNotLeftOut(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err == nil {
		sh, err = filepath.EvalSymlinks(sh)
	}
	if err != nil {
		t.Skip("no sh to analyse:", err)
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	p := writeFile(t, `{"version": 3, "arches": {"x86_64": {"syscalls": {"execve": {"count": 1}, "read": {"count": 1}, "exit_group": {"count": 1}}}},
  "executables": {`+strconv.Quote(sh)+`: {"processes": 1, "arches": {"x86_64": {"syscalls": {"execve": {"count": 1}, "read": {"count": 1}, "exit_group": {"count": 1}}}}}}}`)
	const also = "sctrace: also allowing what the executables can make and a recording may miss (timing-dependent calls): "
	sawTgkill := map[string]bool{}
	for _, format := range []string{"systemd", "go-seccomp-bpf", "oci", "minijail"} {
		code, stdout, stderr := sctrace(t, "emit", "--format", format, p)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		var added []string
		for _, line := range strings.Split(stderr, "\n") {
			if rest, ok := strings.CutPrefix(line, also); ok {
				added = strings.Split(rest, ", ")
			}
		}
		for _, name := range added {
			name, _, _ = strings.Cut(name, " (")
			if strings.Contains(stderr, "sctrace: "+name+": left out") {
				t.Errorf("%s: %s is said to be both allowed and left out:\n%s", format, name, stderr)
			}
			if !regexp.MustCompile(`(?m)^[^#\n]*\b` + name + `\b`).MatchString(stdout) {
				t.Errorf("%s: %s is said to be allowed, but the output lacks it:\n%s", format, name, stdout)
			}
			sawTgkill[format] = sawTgkill[format] || name == "tgkill"
		}
		if format == "systemd" && !strings.Contains(stderr, "sctrace: tgkill: left out") && !sawTgkill[format] {
			t.Errorf("%s: tgkill neither allowed nor said to be left out:\n%s", format, stderr)
		}
	}
	if !sawTgkill["oci"] {
		t.Skipf("%s cannot make tgkill by the analysis: nothing to compare", sh)
	}
}

// TestSynopsesListEveryFlag: every flag a command defines appears in the synopsis its --help
// starts with, and in README.md's synopsis of the command (the lines of its plain ``` blocks
// that start with "sctrace COMMAND", and their indented continuations); the --no-NAME flags that leave out a section are written
// [--no-SECTION].
func TestSynopsesListEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readmeSynopses := map[string]string{}
	inBlock, plain, cmd := false, false, ""
	for _, line := range strings.Split(string(readme), "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			inBlock = !inBlock
			plain = inBlock && line == "```" // a plain block: synopses; ```sh: examples
			cmd = ""
		case plain && strings.HasPrefix(line, "sctrace "):
			cmd = strings.Fields(line)[1]
			readmeSynopses[cmd] += line + "\n"
		case plain && cmd != "" && strings.HasPrefix(line, " "): // a synopsis continued
			readmeSynopses[cmd] += line + "\n"
		default:
			cmd = ""
		}
	}
	flagLine := regexp.MustCompile(`^  (--?[a-z0-9-]+)`)
	for _, cmd := range []string{"record", "run", "emit", "report", "diff", "merge", "inspect"} {
		code, help, stderr := sctrace(t, cmd, "--help")
		if code != 0 {
			t.Fatalf("%s --help: exit %d: %s", cmd, code, stderr)
		}
		synopsis, _, _ := strings.Cut(help, "\n\n") // "Usage: ..." up to the first blank line
		_, list, ok := strings.Cut(help, "\nFlags:\n")
		if !ok {
			t.Fatalf("%s --help lists no flags:\n%s", cmd, help)
		}
		lines := strings.Split(list, "\n")
		flags := 0
		for i, line := range lines {
			m := flagLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			flags++
			name := m[1]
			written := regexp.MustCompile(`(^|[\s\[|])` + regexp.QuoteMeta(name) + `($|[\s\]|=])`)
			section := strings.HasPrefix(name, "--no-") && i+1 < len(lines) &&
				strings.HasPrefix(strings.TrimSpace(lines[i+1]), "leave out the "+strings.TrimPrefix(name, "--no-")+" section")
			in := func(s string) bool { return written.MatchString(s) || section && strings.Contains(s, "[--no-SECTION]") }
			if !in(synopsis) {
				t.Errorf("%s --help: the synopsis lacks %s:\n%s", cmd, name, synopsis)
			}
			if !in(readmeSynopses[cmd]) {
				t.Errorf("README.md: the synopsis of %s lacks %s:\n%s", cmd, name, readmeSynopses[cmd])
			}
		}
		if flags == 0 {
			t.Errorf("%s --help: no flags found in:\n%s", cmd, list)
		}
	}
}
