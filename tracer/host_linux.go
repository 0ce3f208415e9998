package tracer

import "golang.org/x/sys/unix"

// ThisHost returns the kernel release and machine of the running system.
func ThisHost() Host {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return Host{}
	}
	return Host{Kernel: unix.ByteSliceToString(u.Release[:]), Machine: unix.ByteSliceToString(u.Machine[:])}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w any) bool {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// TerminalWidth returns the number of columns of the terminal w writes to, or 0 if w is not a
// terminal.
func TerminalWidth(w any) int {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
