package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sctrace/sctrace/learn"
)

// warnOtherProgram warns when a command cannot be what a profile was recorded from: neither the
// command's file nor, for a script, its interpreter is among the profile's executables (their
// paths with links resolved). Enforcing another program's profile denies that program's calls,
// and a refine run would then mix the two.
func warnOtherProgram(w io.Writer, profilePath string, p *learn.Profile, argv []string) {
	if msg := otherProgram(p, argv); msg != "" {
		fmt.Fprintf(w, "sctrace: warning: %s was not recorded from %s: %s\n", profilePath, argv[0], msg)
	}
}

// otherProgram says why argv cannot run one of p's executables, or "" when it may (or when it
// cannot tell: no executables in the profile, a command not found).
func otherProgram(p *learn.Profile, argv []string) string {
	if len(p.Executables) == 0 || len(argv) == 0 {
		return ""
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return ""
	}
	candidates := []string{realPath(path)}
	if interp := interpreter(path); interp != "" {
		candidates = append(candidates, realPath(interp))
	}
	var exes []string
	for exe := range p.Executables {
		if !filepath.IsAbs(exe) {
			continue // "(no exec)"
		}
		if slices.Contains(candidates, exe) || slices.Contains(candidates, realPath(exe)) {
			return ""
		}
		exes = append(exes, exe)
	}
	if len(exes) == 0 {
		return ""
	}
	slices.Sort(exes)
	list := strings.Join(exes[:min(3, len(exes))], ", ")
	if len(exes) > 3 {
		list += fmt.Sprintf(" and %d more", len(exes)-3)
	}
	return fmt.Sprintf("it runs %s, and the profile's executables are %s (a profile of another program denies this one's calls)", candidates[0], list)
}

// realPath is path made absolute with its links resolved, or as given when that fails.
func realPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	return path
}

// interpreter returns the interpreter a script's #! line names (for "/usr/bin/env NAME", NAME as
// found on PATH), or "".
func interpreter(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 256)).ReadString('\n')
	if err != nil && line == "" || !strings.HasPrefix(line, "#!") {
		return ""
	}
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if len(fields) == 0 {
		return ""
	}
	if filepath.Base(fields[0]) == "env" && len(fields) > 1 && !strings.HasPrefix(fields[1], "-") {
		if p, err := exec.LookPath(fields[1]); err == nil {
			return p
		}
		return ""
	}
	return fields[0]
}
