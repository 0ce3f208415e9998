package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunBadInput: every profile sctrace cannot fully understand is refused with one line and
// exit 2, before anything runs.
func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	tests := []struct {
		name, profile, want string
	}{
		{"missing", "", "read profile: open"},
		{"empty", ``, "not a profile"},
		{"truncated", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}`, "not a profile"},
		{"future version", `{"version": 7, "arches": {}}`, "unsupported profile version 7"},
		{"no arches", `{"version": 1, "arches": {}}`, "records no arch"},
		{"allow-all field", `{"version": 1, "default_action": "allow", "arches": {"x86_64": {"syscalls": {}}}}`, `unknown field "default_action"`},
		{"unknown name", `{"version": 1, "arches": {"x86_64": {"syscalls": {"read;touch": {"count": 1}}}}}`, `unknown syscall "read;touch"`},
		{"unknown arch", `{"version": 1, "arches": {"pdp11": {"syscalls": {}}}}`, `unknown arch "pdp11"`},
		{"table-less arch", `{"version": 1, "arches": {"audit-0x12345678": {"syscalls": {"1": {"count": 1}}}}}`, "no table"},
		{"wrong type", `{"version": 1, "arches": {"x86_64": {"syscalls": ["read"]}}}`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "does-not-exist.json")
			if tt.name != "missing" {
				path = writeFile(t, tt.profile)
			}
			code, _, stderr := sctrace(t, "run", "--profile", path, "--", "touch", marker)
			if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and one line containing %q", code, stderr, tt.want)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("the command ran")
			}
		})
	}
}

func TestRunUsage(t *testing.T) {
	p := writeFile(t, `{"version": 1, "arches": {"x86_64": {"syscalls": {"execve": {"count": 1}}}}}`)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--", "true"}, "--profile is required"},
		{[]string{"run", "--profile", p}, "no command given"},
		{[]string{"run", "--profile", p, "--on-deny", "maybe", "--", "true"}, `unknown --on-deny "maybe"`},
		{[]string{"run", "--profile", p, "--no-args", "--any-args", "socket", "--", "true"}, "exclude each other"},
		{[]string{"emit", "--format", "oci", "--no-args", "--any-args", "socket", p}, "exclude each other"},
	}
	for _, tt := range tests {
		code, _, stderr := sctrace(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
	// An unknown supervisor is refused before anything runs (it was ignored).
	t.Setenv("SCTRACE_SUPERVISOR", "bogus")
	if code, _, stderr := sctrace(t, "run", "--profile", p, "--", "true"); code != 2 || !strings.Contains(stderr, "SCTRACE_SUPERVISOR=bogus") {
		t.Errorf("SCTRACE_SUPERVISOR=bogus: exit %d, stderr %q", code, stderr)
	}
	t.Setenv("SCTRACE_SUPERVISOR", "")
	if code, stdout, _ := sctrace(t, "run", "--help"); code != 0 || !strings.Contains(stdout, "--on-deny") {
		t.Errorf("run --help: exit %d", code)
	}
}

func TestRunWithoutExecve(t *testing.T) {
	p := writeFile(t, `{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}`)
	for _, mode := range []string{"errno", "kill"} {
		code, _, stderr := sctrace(t, "run", "-q", "--on-deny", mode, "--profile", p, "--", "true")
		if code != 126 || !strings.Contains(stderr, "does not allow execve") {
			t.Errorf("%s: exit %d, stderr %q; want 126 and a hint about execve", mode, code, stderr)
		}
	}
}

// TestProfileFromFIFO: a FIFO as the profile never hangs sctrace: with no writer it fails after
// the timeout, a writer that comes late is waited for, one that never finishes fails after the
// read timeout.
func TestProfileFromFIFO(t *testing.T) {
	defer func(d time.Duration) { profileReadTimeout = d }(profileReadTimeout)
	profileReadTimeout = 300 * time.Millisecond
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := readProfile(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "nothing opened it for writing") {
			t.Fatalf("a FIFO with no writer: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO with no writer hangs")
	}
	// A writer that comes after sctrace opened the FIFO, with a whole profile.
	go func() {
		time.Sleep(100 * time.Millisecond)
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Write([]byte(`{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}`))
			w.Close()
		}
	}()
	if p, err := readProfile(fifo); err != nil || p.Count("x86_64", "read") != 1 {
		t.Errorf("a late writer's profile: %v", err)
	}
	// A writer that holds the FIFO open and never writes a whole profile.
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		w.Write([]byte(`{"version": 1,`))
		time.Sleep(3 * time.Second)
		w.Close()
	}()
	time.Sleep(50 * time.Millisecond)
	go func() {
		_, err := readProfile(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no whole profile came within") {
			t.Errorf("error %v, want the read timeout", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("reading a FIFO whose writer never finishes hangs")
	}
}
