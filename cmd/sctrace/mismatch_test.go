package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sctrace/sctrace/learn"
)

// TestOtherProgram: running a command with a profile recorded from another program is
// warned about; the same program by another path (a link, PATH), or a script whose interpreter
// the profile names, is not.
func TestOtherProgram(t *testing.T) {
	ls, err := filepath.EvalSymlinks("/bin/ls")
	if err != nil {
		t.Skip(err)
	}
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Skip(err)
	}
	script := filepath.Join(t.TempDir(), "s")
	os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755)
	envScript := filepath.Join(t.TempDir(), "e")
	os.WriteFile(envScript, []byte("#!/usr/bin/env sh\necho hi\n"), 0o755)
	prof := func(exes ...string) *learn.Profile {
		p := learn.NewProfile()
		p.Executables = map[string]*learn.Executable{}
		for _, e := range exes {
			p.Executables[e] = &learn.Executable{}
		}
		return p
	}
	for _, c := range []struct {
		p     *learn.Profile
		argv  []string
		warns bool
	}{
		{prof(ls), []string{"ls", "/"}, false},
		{prof(ls), []string{"/bin/ls"}, false},
		{prof("/bin/ls"), []string{ls}, false},
		{prof(sh), []string{script}, false},
		{prof(sh), []string{envScript}, false},
		{prof(ls, "(no exec)"), []string{"true"}, true},
		{prof(ls), []string{script}, true},
		{prof(), []string{"true"}, false},                // no executables: cannot tell
		{prof(ls), []string{"no-such-command-x"}, false}, // not found: launch says so
	} {
		if got := otherProgram(c.p, c.argv) != ""; got != c.warns {
			t.Errorf("%v with a profile of %v: warns %v, want %v (%q)", c.argv, c.p.Executables, got, c.warns, otherProgram(c.p, c.argv))
		}
	}
}
