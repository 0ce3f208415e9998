//go:build linux && !amd64

package helper

import "unsafe"

// cloneVMSupported says whether cloneVM is implemented here: the workload's first process is
// forked instead (forkWorkload).
const cloneVMSupported = false

// cloneVM is not implemented here.
func cloneVM(flags, stack uintptr, h unsafe.Pointer, fn uintptr) (pid, errno uintptr) {
	return 0, 38 /* ENOSYS */
}
