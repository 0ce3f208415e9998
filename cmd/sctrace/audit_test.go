package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sctrace/sctrace/learn"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const reportProfile = "../../emit/audit/testdata/report-profile.json"

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/sctrace -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (-update rewrites it):\n%s", name, got)
	}
}

// TestReportFormats: the three report formats, byte for byte, with Docker's real default profile.
func TestReportFormats(t *testing.T) {
	for _, format := range []string{"table", "json", "markdown"} {
		code, stdout, stderr := sctrace(t, "report", "--format", format, reportProfile)
		if code != 0 || stderr != "" {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		golden(t, "report."+format+".golden", []byte(stdout))
		for _, want := range []string{"/usr/bin/python3.11", "ptrace", "127.0.0.1", "/etc/hostname", "cat /etc/hostname"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s report lacks %q", format, want)
			}
		}
	}
	if code, _, stderr := sctrace(t, "report", "--format", "yaml", reportProfile); code != 2 || !strings.Contains(stderr, "unknown --format") {
		t.Errorf("bad format: exit %d %q", code, stderr)
	}
}

func TestDiffExit(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.json")
	big := filepath.Join(dir, "big.json")
	os.WriteFile(small, []byte(`{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}`), 0o644)
	os.WriteFile(big, []byte(`{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}, "bpf": {"count": 1}}}}}`), 0o644)
	code, stdout, _ := sctrace(t, "diff", small, big)
	if code != 1 || !strings.Contains(stdout, "+ x86_64 bpf  !! loads programs") {
		t.Errorf("diff small big: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = sctrace(t, "diff", big, small)
	if code != 0 || !strings.Contains(stdout, "- x86_64 bpf") {
		t.Errorf("diff big small: exit %d\n%s", code, stdout)
	}
	if code, stdout, _ := sctrace(t, "diff", big, big); code != 0 || !strings.Contains(stdout, "no difference") {
		t.Errorf("diff big big: exit %d\n%s", code, stdout)
	}
	if code, _, _ := sctrace(t, "diff", big); code != 2 {
		t.Errorf("diff with one profile: exit %d", code)
	}
}

func TestMergeCLI(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	b := filepath.Join(dir, "b.json")
	out := filepath.Join(dir, "out.json")
	os.WriteFile(a, []byte(`{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}`), 0o644)
	os.WriteFile(b, []byte(`{"version": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 2}}}, "x86": {"syscalls": {"getpid": {"count": 3}}}}}`), 0o644)
	if code, _, stderr := sctrace(t, "merge", "-o", out, a, b); code != 0 {
		t.Fatalf("merge: exit %d %s", code, stderr)
	}
	f, _ := os.Open(out)
	p, err := learn.Decode(f)
	f.Close()
	if err != nil || p.Count("x86_64", "read") != 3 || p.Count("x86", "getpid") != 3 {
		t.Errorf("merged: %v %+v", err, p)
	}
	future := filepath.Join(dir, "future.json")
	os.WriteFile(future, []byte(`{"version": 3, "arches": {}}`), 0o644)
	os.Remove(out)
	code, _, stderr := sctrace(t, "merge", "-o", out, a, future)
	if code != 2 || !strings.Contains(stderr, "unsupported profile version 3") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("merge with a newer profile: exit %d %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed merge left an output file")
	}
	if code, _, _ := sctrace(t, "merge", a); code != 2 {
		t.Errorf("merge without -o: exit %d", code)
	}
}

func TestEmitExe(t *testing.T) {
	code, stdout, stderr := sctrace(t, "emit", "-q", "--format", "minijail", "--exe", "/usr/bin/cat", reportProfile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"openat: 1", "read: 1", "write: 1", "exit_group: 1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("cat's policy lacks %q", want)
		}
	}
	for _, other := range []string{"connect", "ptrace", "clone"} {
		if strings.Contains(stdout, other+": 1") {
			t.Errorf("cat's policy allows %s, which only other executables made", other)
		}
	}
	code, _, stderr = sctrace(t, "emit", "--format", "oci", "--exe", "/no/such", reportProfile)
	if code != 2 || !strings.Contains(stderr, `no executable "/no/such"`) {
		t.Errorf("unknown exe: exit %d %q", code, stderr)
	}
	code, _, stderr = sctrace(t, "emit", "--format", "yaml", reportProfile)
	if code != 2 || !strings.Contains(stderr, "unknown format") {
		t.Errorf("unknown format: exit %d %q", code, stderr)
	}
}

// TestDiffGate: diff fails the gate for a new executable, program or endpoint even when no call
// is new, not for a new file alone; --format json says the same.
func TestDiffGate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, extra string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(`{"version": 2, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}`+extra+`}`), 0o644)
		return p
	}
	base := write("base.json", `, "executables": {"/bin/a": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}}`)
	newExe := write("exe.json", `, "executables": {"/bin/a": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}},
		"/bin/b": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}}`)
	newEndpoint := write("ep.json", `, "executables": {"/bin/a": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}},
		"endpoints": [{"call": "connect", "family": "inet", "address": "10.0.0.1", "port": 443}]`)
	newFile := write("file.json", `, "executables": {"/bin/a": {"processes": 1, "arches": {"x86_64": {"syscalls": {"read": {"count": 1}}}}}},
		"files": {"/tmp/x": ["create"]}`)
	for _, tc := range []struct {
		path, want string
		code       int
	}{
		{newExe, "+ executable /bin/b", 1},
		{newEndpoint, "+ endpoint connect inet 10.0.0.1:443", 1},
		{newFile, "+ file /tmp/x", 0},
	} {
		code, stdout, _ := sctrace(t, "diff", base, tc.path)
		if code != tc.code || !strings.Contains(stdout, tc.want) {
			t.Errorf("diff %s: exit %d, output %q; want %d and %q", filepath.Base(tc.path), code, stdout, tc.code, tc.want)
		}
	}
	code, stdout, _ := sctrace(t, "diff", "--format", "json", base, newExe)
	var d struct {
		NeedsMore   bool `json:"needs_more"`
		Executables struct {
			Added []string `json:"added"`
		} `json:"executables"`
	}
	if err := json.Unmarshal([]byte(stdout), &d); err != nil || code != 1 || !d.NeedsMore || len(d.Executables.Added) != 1 {
		t.Errorf("diff --format json: exit %d, %+v (%v)\n%s", code, d, err, stdout)
	}
}
