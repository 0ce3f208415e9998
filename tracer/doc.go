// Package tracer runs a workload under a seccomp filter whose action is SECCOMP_RET_TRACE and
// follows it with ptrace, so the kernel stops the workload only at the system calls the filter
// asks about (the Mbox design). It follows every fork, vfork, clone and exec, and reports what it
// sees as Events. It knows nothing about profiles.
//
// It is the only package of sctrace that touches ptrace, seccomp, unsafe or golang.org/x/sys/unix.
//
// A program that uses Launch re-executes itself (/proc/self/exe) as a small helper that installs
// the filter and calls execve; the helper runs from this package's init function, before main, so
// any binary that imports the package can launch workloads, tests included.
package tracer
