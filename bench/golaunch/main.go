// Command golaunch is the start-up floor for sctrace run and record: the smallest Go program of
// their shape. It re-executes itself; the re-executed copy executes the command; the first one
// waits for it. bench/bench.sh times `sctrace run -- /bin/true` against `golaunch /bin/true`.
package main

import (
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		os.Stderr.WriteString("usage: golaunch COMMAND [ARG...]\n")
		os.Exit(2)
	}
	if os.Getenv("_GOLAUNCH_CHILD") != "" {
		path, err := exec.LookPath(os.Args[1])
		if err != nil {
			os.Exit(127)
		}
		syscall.Exec(path, os.Args[1:], os.Environ())
		os.Exit(126)
	}
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Env = append(os.Environ(), "_GOLAUNCH_CHILD=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		os.Exit(ee.ExitCode())
	} else if err != nil {
		os.Exit(127)
	}
}
