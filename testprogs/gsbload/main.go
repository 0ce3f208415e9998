// Command gsbload loads a github.com/elastic/go-seccomp-bpf policy (YAML, as `sctrace emit
// --format go-seccomp-bpf` writes it) with that package's own parser and loader, then executes a
// command under it: the e2e tests' consumer of that format.
//
//	gsbload POLICY.yml COMMAND [ARG...]
//	gsbload -none COMMAND [ARG...]      # no filter: record the loader and the command together
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-ucfg/yaml"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: gsbload POLICY.yml|-none COMMAND [ARG...]")
		os.Exit(2)
	}
	path, err := exec.LookPath(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(127)
	}
	if os.Args[1] != "-none" {
		conf, err := yaml.NewConfigWithFile(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "read policy:", err)
			os.Exit(2)
		}
		var config struct {
			Seccomp seccomp.Policy
		}
		if err := conf.Unpack(&config); err != nil {
			fmt.Fprintln(os.Stderr, "parse policy:", err)
			os.Exit(2)
		}
		filter := seccomp.Filter{NoNewPrivs: true, Flag: seccomp.FilterFlagTSync, Policy: config.Seccomp}
		if err := seccomp.LoadFilter(filter); err != nil {
			fmt.Fprintln(os.Stderr, "load filter:", err)
			os.Exit(2)
		}
	}
	err = syscall.Exec(path, os.Args[2:], os.Environ())
	fmt.Fprintln(os.Stderr, "exec:", err)
	os.Exit(126)
}
