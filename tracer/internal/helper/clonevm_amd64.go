//go:build linux

package helper

import "unsafe"

// cloneVMSupported says whether cloneVM is implemented here.
const cloneVMSupported = true

// cloneVM is clone(2) with flags (CLONE_VM and the exit signal) and the child's stack pointer
// stack, 16-byte aligned: it returns the child's pid (or an errno) in the parent, and in the
// child calls the function at fn (workloadChild's register-ABI entry, workloadChildPC) with h,
// on that stack; it never returns. Like a vfork child, the child runs in this process's memory
// until its execve, with the registers of the calling thread (its g too, which only nosplit code
// may then be given): see workloadChild. Unlike vfork, the calling thread goes on at once.
func cloneVM(flags, stack uintptr, h unsafe.Pointer, fn uintptr) (pid, errno uintptr)
