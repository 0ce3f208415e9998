package tracer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain fails the run if a test left a child of this process behind (a workload still traced,
// stopped or running).
func TestMain(m *testing.M) {
	code := m.Run()
	var kids []string
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		kids = append(kids, strings.Fields(string(b))...)
	}
	if len(kids) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: children left behind: %v\n", kids)
		code = 1
	}
	os.Exit(code)
}
