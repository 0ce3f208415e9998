package e2e

import (
	"encoding/json"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestReportOnRealWorkload: a shell script that runs cat, ls and a python3 that connects to
// 127.0.0.1: the report names those executables, the file paths, the endpoint, and flags nothing
// risky (none of those programs does anything risky).
func TestReportOnRealWorkload(t *testing.T) {
	if _, err := exec.LookPath("/usr/bin/python3"); err != nil {
		t.Skip("/usr/bin/python3 not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	script := `cat /etc/hostname > /dev/null; ls /usr/share > /dev/null; /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', ` + strconv.Itoa(port) + `)).close()"`
	profile := recordTo(t, "sh", "-c", script)
	cmd := exec.Command(sctraceBin, "report", "--format", "json", profile)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	var r struct {
		Executables []struct{ Path string }
		Files       []struct {
			Path string
			Uses []string
		}
		Programs  []struct{ Path string }
		Endpoints []struct {
			Call, Family, Address string
			Port                  int
		}
		Risks       []struct{ Name string }
		ProcessTree []struct{ Pid int } `json:"process_tree"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	var exes []string
	for _, e := range r.Executables {
		exes = append(exes, e.Path)
	}
	for _, want := range []string{"/dash", "/cat", "/ls", "/python3"} {
		found := false
		for _, e := range exes {
			found = found || strings.Contains(e, want)
		}
		if !found {
			t.Errorf("executables %v lack %s", exes, want)
		}
	}
	files := map[string]bool{}
	for _, f := range r.Files {
		files[f.Path] = true
	}
	for _, want := range []string{"/etc/hostname", "/usr/share"} {
		if !files[want] {
			t.Errorf("files lack %s", want)
		}
	}
	found := false
	for _, e := range r.Endpoints {
		found = found || (e.Call == "connect" && e.Family == "inet" && e.Address == "127.0.0.1" && e.Port == port)
	}
	if !found {
		t.Errorf("endpoints %+v lack connect 127.0.0.1:%d", r.Endpoints, port)
	}
	if len(r.Risks) != 0 {
		t.Errorf("risk flags %+v for a workload that does nothing risky", r.Risks)
	}
	if len(r.ProcessTree) < 4 {
		t.Errorf("process tree %+v, want the shell and its three children", r.ProcessTree)
	}
	// The text report says the same.
	text, err := exec.Command(sctraceBin, "report", profile).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"127.0.0.1", "/etc/hostname", "None of the calls"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("text report lacks %q", want)
		}
	}
}
