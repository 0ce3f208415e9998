package emit

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sctrace/sctrace/learn"
)

// A format writes a completed profile. in says what it is asked: the completed profile, the
// profile as given (its machine, for formats that need one), the options, and the notes on what
// completion added (for formats that carry comments). It returns the bytes and what it could not
// carry.
type format func(in formatInput) ([]byte, []Note, error)

type formatInput struct {
	q, p  *learn.Profile
	opt   Options
	added []Note
}

// registry is every format, in the order help lists them. Adding a format is a file with its
// writer and one line here.
var registry = []struct {
	name  string
	write format
	// args: the format carries learned argument conditions; for the others, the calls that
	// have them are allowed with any arguments, and a note says so.
	args bool
}{
	{"oci", func(in formatInput) ([]byte, []Note, error) { return ociJSON(in.q) }, true},
	{"k8s", func(in formatInput) ([]byte, []Note, error) { return k8sYAML(in.q, in.opt.Name, in.added) }, true},
	{"systemd", func(in formatInput) ([]byte, []Note, error) { return systemdDropIn(in.q, in.added) }, false},
	{"minijail", func(in formatInput) ([]byte, []Note, error) { return minijailPolicy(in.q, in.added) }, true},
	{"go-seccomp-bpf", func(in formatInput) ([]byte, []Note, error) { return goSeccompBPF(in.q, in.p, in.opt, in.added) }, false},
	{"bpf", func(in formatInput) ([]byte, []Note, error) {
		b, err := rawBPF(in.q, in.opt)
		return b, nil, err
	}, true},
}

// Formats lists the names Emit takes, in the order help lists them.
func Formats() []string {
	names := make([]string, len(registry))
	for i, f := range registry {
		names[i] = f.name
	}
	return names
}

// Emit writes p in a format. Notes say what was added and what the format could not carry; the
// caller shows them (the formats with comments carry them too).
func Emit(name string, p *learn.Profile, opt Options) ([]byte, []Note, error) {
	for _, f := range registry {
		if f.name != name {
			continue
		}
		q, notes, err := completeForFormats(p, opt)
		if err != nil {
			return nil, nil, err
		}
		if !f.args {
			for _, name := range slices.Sorted(maps.Keys(q.ArgsByName())) {
				if learn.ArgReason(name) == "" {
					// Conditions sctrace did not learn from a recording (tgkill with SIGURG only,
					// added by run's timing completion; hand-written ones): the call is allowed
					// only with them, so a format that cannot carry them leaves it out.
					for _, set := range q.Arches {
						delete(set.Syscalls, name)
					}
					notes = append(notes, Note{Syscall: name, Text: "left out: allowed only with some argument values, which this format cannot carry (oci, k8s, minijail and bpf can)"})
					continue
				}
				notes = append(notes, Note{Syscall: name, Text: "allowed with any arguments: this format cannot carry the learned argument values (oci, k8s, minijail and bpf can)"})
			}
			q.DropArgs()
		}
		out, more, err := f.write(formatInput{q: q, p: p, opt: opt, added: notes})
		if err != nil {
			return nil, nil, err
		}
		return out, append(notes, more...), nil
	}
	return nil, nil, fmt.Errorf("unknown format %q (want %s)", name, strings.Join(Formats(), ", "))
}

func writeComments(b *bytes.Buffer, prefix string, notes []Note) {
	for _, n := range notes {
		b.WriteString(prefix + strings.ReplaceAll(n.String(), "\n", " ") + "\n")
	}
}
