//go:build !linux

package helper

// Prespawn does nothing where sctrace cannot trace.
func Prespawn() {}
