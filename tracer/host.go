package tracer

// Host describes the machine a recording was made on.
type Host struct {
	Kernel  string // uname -r
	Machine string // uname -m
}
