//go:build !amd64

package tracer

const sysMkdir = 0xffffff // no plain mkdir on most 64-bit ABIs
