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
