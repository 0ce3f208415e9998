package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPurePackages keeps the data flow of DESIGN.md honest: arch, learn, emit (with emit/audit)
// and the tracer's task table never touch the OS (no golang.org/x/sys/unix anywhere below them,
// no syscall or unsafe of their own) and build for any OS.
func TestPurePackages(t *testing.T) {
	pure := []string{"../arch/...", "../learn/...", "../emit/...", "../tracer/internal/tasks"}
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pure...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "golang.org/x/sys/unix" {
			t.Errorf("a pure package depends on %s", dep)
		}
	}
	out, err = exec.Command("go", append([]string{"list", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}"}, pure...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		for _, imp := range strings.Fields(imports) {
			if imp == "syscall" || imp == "unsafe" || imp == "os/exec" {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
	for _, goos := range []string{"windows", "darwin"} {
		cmd := exec.Command("go", append([]string{"build"}, pure...)...)
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOOS=%s go build: %v\n%s", goos, err, b)
		}
	}
}
