// Package arch holds the Linux system call tables and seccomp architecture values sctrace needs:
// name ⇄ number for every architecture golang.org/x/sys/unix covers, plus x32, with names spelled
// as the kernel and libseccomp spell them (newfstatat, pread64, _llseek), since those are the names
// runc, crun and Docker accept.
//
// The tables are generated (see gen.go) and build on every host: recording happens on one machine,
// profiles are read and emitted on any. The package is pure data; it never touches the OS.
package arch

//go:generate go run gen.go
