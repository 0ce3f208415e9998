// Package early starts the ticker a recording needs (tracer/prespawn) from its init function,
// when the command line will record a workload: `sctrace record …` without -p. The ticker then
// starts while this process is still initializing its packages, instead of after it. The guess
// is only an optimization: a ticker the command does not use is ended (tracer.DiscardEarly), or
// ends with the command.
//
// Like package helper, this package imports nothing but syscall and prespawn, so that Go
// initializes it before the packages that wait for os and fmt (see helper's package comment);
// a test checks the order. SCTRACE_PRESPAWN=0 turns it off.
package early

import (
	"syscall"

	"github.com/sctrace/sctrace/tracer/prespawn"
)

func init() {
	if v, _ := syscall.Getenv("SCTRACE_PRESPAWN"); v == "0" {
		return
	}
	if Records(cmdline()) {
		prespawn.Start()
	}
}

// Records reports whether args (argv, the program's name first) record a workload it starts,
// which needs the ticker.
func Records(args []string) bool {
	if len(args) < 3 || args[1] != "record" {
		return false
	}
	for _, a := range args[2:] {
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name := a[1:]
		if name[0] == '-' {
			name = name[1:]
		}
		for i := 0; i < len(name); i++ {
			if name[i] == '=' {
				name = name[:i]
				break
			}
		}
		switch name {
		case "p", "pid", "h", "help":
			return false
		}
	}
	return true
}

// cmdline returns this process's arguments from /proc: os.Args would need package os, which
// this package must not wait for.
func cmdline() []string {
	fd, err := syscall.Open("/proc/self/cmdline", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	var b []byte
	var buf [4096]byte
	for {
		n, err := syscall.Read(fd, buf[:])
		if err == syscall.EINTR {
			continue
		}
		if n <= 0 || err != nil {
			break
		}
		b = append(b, buf[:n]...)
	}
	var args []string
	start := 0
	for i, c := range b {
		if c == 0 {
			args = append(args, string(b[start:i]))
			start = i + 1
		}
	}
	return args
}
