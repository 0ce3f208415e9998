// Package learn is the profile contract: the Profile types and what each field means, the strict
// one-pass decoder and the versions it reads, validation, Merge (the union, with the caps on
// files, programs, endpoints and argument combinations), the specs of the calls whose arguments
// are learned, completion, and redaction. It is pure: no OS access, deterministic output (the
// same profile encodes to byte-identical JSON). The recorder that builds profiles from what the
// tracer sees is learn/record.
package learn
