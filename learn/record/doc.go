// Package record folds what the tracer sees into a learn.Profile: the calls of each process
// under the executable it runs, the process tree, the learned argument combinations, the
// footprint (files, programs, endpoints) and the calls that may hide others from a recording.
// Its methods are called on the tracer's thread for every stop, so the per-call path is a map
// increment or two. It is pure: no OS access, and the same events give byte-identical JSON.
package record
