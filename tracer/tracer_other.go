//go:build !linux

package tracer

// Launch is not supported on this system.
func Launch(argv []string, opt Options) (Status, error) {
	return Status{}, ErrNotSupported
}

// ThisHost returns an empty Host on this system.
func ThisHost() Host { return Host{} }

// Attach is not supported on this system.
func Attach(pid int, opt Options) error { return ErrNotSupported }
