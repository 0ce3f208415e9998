// Package testprogs builds small programs with exactly known system call footprints for the
// tracer's tests: threads, a fork chain, vfork, exec from a thread, a stop/continue, a signal
// interrupting a blocking call, a child killed by a signal, a 32-bit program, int 0x80 and x32
// calls from a 64-bit program. Each source file says what its program does.
package testprogs

import (
	"embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed src/*.c
var sources embed.FS

// flags are extra compiler flags per program.
var flags = map[string][]string{
	"threads":      {"-pthread"},
	"sigcount":     {"-pthread"},
	"execthread":   {"-pthread"},
	"periodic":     {"-pthread"},
	"churnforever": {"-pthread"},
	"ownlistener":  {"-pthread"},
	"zombieleader": {"-pthread"},
	"m32":          {"-m32"},
	"m32mkdir":     {"-m32"},
	"listenmkdir":  {"-pthread"},
	"threaddeny":   {"-pthread"},
	"stealer":      {"-pthread"},
	"odstack":      {"-nostdlib", "-static"},
	"argcalls":     {"-static"},
	"cpstorm":      {"-pthread"},
	"forkexec":     {"-pthread"},
	"clone3race":   {"-pthread"},
	// the stress programs (e2e/stress_test.go)
	"churn":       {"-pthread"},
	"loopthreads": {"-pthread"},
	"starve":      {"-pthread"},
	"spinkids":    {"-pthread"},
	"manythreads": {"-pthread"},
}

// Names lists the C programs.
func Names() []string {
	entries, _ := sources.ReadDir("src")
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".c"); ok {
			names = append(names, n)
		}
	}
	return names
}

// Build compiles the C program name into dir with gcc and returns its path.
func Build(dir, name string) (string, error) {
	src, err := sources.ReadFile("src/" + name + ".c")
	if err != nil {
		return "", fmt.Errorf("no test program %q", name)
	}
	srcPath := filepath.Join(dir, name+".c")
	if err := os.WriteFile(srcPath, src, 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(dir, name)
	args := append([]string{"-O2", "-Wall", "-o", out, srcPath}, flags[name]...)
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("gcc %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return out, nil
}

// BuildGo builds the Go test program (./goprog) into dir and returns its path.
func BuildGo(dir string) (string, error) { return BuildGoProgram(dir, "goprog") }

// GoPrograms are the Go test programs, each a directory of this package.
var GoPrograms = []string{"goprog", "gohttp"}

// BuildGoProgram builds the Go test program name (./goprog, ./gohttp) into dir and returns its path.
func BuildGoProgram(dir, name string) (string, error) {
	out := filepath.Join(dir, name)
	b, err := exec.Command("go", "build", "-o", out, "github.com/sctrace/sctrace/testprogs/"+name).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", name, err, b)
	}
	return out, nil
}
