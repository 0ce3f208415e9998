// Package learn turns what the tracer saw into a Profile: per architecture, each system call with
// its count; per executable, the calls it made; and where the recording came from. It is pure: no
// OS access, deterministic output (the same events give byte-identical JSON).
package learn
