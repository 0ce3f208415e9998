package learn

import (
	"fmt"
	"sort"
	"strings"
)

// Program is a program a workload executed, with its command line.
type Program struct {
	Path string   `json:"path"`
	Argv []string `json:"argv"`
}

// Endpoint is a socket address a workload connected to, bound, or sent to.
type Endpoint struct {
	Call    string `json:"call"`   // connect, bind or sendto
	Family  string `json:"family"` // inet, inet6 or unix
	Address string `json:"address"`
	Port    int    `json:"port,omitempty"`
}

// Node is one process of a recording's process tree.
type Node struct {
	Pid    int      `json:"pid"`
	Parent int      `json:"parent"`
	Exec   []string `json:"exec,omitempty"` // what it executed, in order
}

// Dropped counts what the caps of a recording left out.
type Dropped struct {
	Processes int `json:"processes,omitempty"` // nodes of the process tree
	Files     int `json:"files,omitempty"`
	Programs  int `json:"programs,omitempty"`
	Endpoints int `json:"endpoints,omitempty"`
}

// The caps: a workload that opens a million files gets a profile, not a dump.
const (
	MaxProcesses = 2000 // nodes of the process tree
	MaxFiles     = 10000
	MaxPrograms  = 2000
	MaxEndpoints = 2000
)

// File uses.
const (
	UseOpen   = "open"
	UseCreate = "create"
	UseExec   = "exec"
	// UseOpenFailed and UseCreateFailed: an open or a creation of the path failed (ENOENT from
	// a search along a path list, EACCES, ...). Version 3.
	UseOpenFailed   = "open-failed"
	UseCreateFailed = "create-failed"
)

// SortPrograms sorts programs by path, then command line: the order of a profile.
func SortPrograms(ps []Program) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Path != ps[j].Path {
			return ps[i].Path < ps[j].Path
		}
		return strings.Join(ps[i].Argv, "\x00") < strings.Join(ps[j].Argv, "\x00")
	})
}

// SortEndpoints sorts endpoints: the order of a profile.
func SortEndpoints(es []Endpoint) {
	sort.Slice(es, func(i, j int) bool { return fmt.Sprint(es[i]) < fmt.Sprint(es[j]) })
}
