package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestEncodeAsJSON: Encode writes the bytes encoding/json's MarshalIndent writes, on random
// profiles: nil and empty maps and slices, nil entries, omitted zero fields, and strings with
// quotes, control characters, HTML characters, U+2028 and invalid UTF-8.
func TestEncodeAsJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		p := encRandomProfile(r)
		want, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := p.Encode(&got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), append(want, '\n')) {
			t.Fatalf("profile %d: Encode differs from MarshalIndent:\n%s\nwant:\n%s", i, got.Bytes(), want)
		}
	}
}

func encString(r *rand.Rand) string {
	pieces := []string{"a", "/usr/bin/ls", "\"", "\\", "\n", "\t", "\r", "\b", "\f", "\x00", "\x1f", "\x7f",
		"<", ">", "&", "\u2028", "\u2029", "é", "日本", "\xff", "\xc3", "\xed\xa0\x80", " ", "=", "\U0001F600"}
	n := r.IntN(5)
	s := ""
	for j := 0; j < n; j++ {
		s += pieces[r.IntN(len(pieces))]
	}
	return s
}

func encStrings(r *rand.Rand) []string {
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	ss := make([]string, 1+r.IntN(3))
	for i := range ss {
		ss[i] = encString(r)
	}
	return ss
}

func encUints(r *rand.Rand) []uint64 {
	switch r.IntN(3) {
	case 0:
		return nil
	case 1:
		return []uint64{}
	}
	us := make([]uint64, 1+r.IntN(3))
	for i := range us {
		us[i] = r.Uint64() >> r.IntN(64)
	}
	return us
}

func encArches(r *rand.Rand) map[string]*SyscallSet {
	switch r.IntN(5) {
	case 0:
		return nil
	case 1:
		return map[string]*SyscallSet{}
	}
	m := map[string]*SyscallSet{}
	for i := r.IntN(3); i >= 0; i-- {
		if r.IntN(6) == 0 {
			m[encString(r)] = nil
			continue
		}
		set := &SyscallSet{}
		if r.IntN(5) != 0 {
			set.Syscalls = map[string]*SyscallStat{}
			for j := r.IntN(4); j > 0; j-- {
				if r.IntN(8) == 0 {
					set.Syscalls[encString(r)] = nil
					continue
				}
				st := &SyscallStat{Count: r.Uint64() >> r.IntN(64)}
				if r.IntN(2) == 0 {
					a := &Args{Mask: encUints(r), Widened: r.IntN(3) == 0}
					if r.IntN(3) != 0 {
						a.Index = []int{r.IntN(6) - 1}
					}
					switch r.IntN(3) {
					case 1:
						a.Values = [][]uint64{}
					case 2:
						a.Values = [][]uint64{encUints(r), encUints(r)}
					}
					st.Args = a
				}
				set.Syscalls[encString(r)] = st
			}
		}
		m[encString(r)] = set
	}
	return m
}

func encRandomProfile(r *rand.Rand) *Profile {
	p := &Profile{Version: r.IntN(5) - 1, Arches: encArches(r)}
	if r.IntN(2) == 0 {
		p.Executables = map[string]*Executable{}
		for i := r.IntN(3); i >= 0; i-- {
			if r.IntN(6) == 0 {
				p.Executables[encString(r)] = nil
				continue
			}
			p.Executables[encString(r)] = &Executable{Processes: r.IntN(4) - 1, Arches: encArches(r), Partial: r.IntN(2) == 0}
		}
	}
	if r.IntN(2) == 0 {
		p.Recordings = []Recording{}
		for i := r.IntN(3); i > 0; i-- {
			rec := Recording{Command: encStrings(r), Kernel: encString(r), Machine: encString(r),
				ExitCode: r.IntN(300) - 2, Running: r.IntN(2) == 0, Terminal: r.IntN(2) == 0,
				SyscallsOnly: r.IntN(2) == 0, Processes: r.IntN(5), Hidden: encStrings(r)}
			if r.IntN(2) == 0 {
				rec.Tree = []Node{}
				for j := r.IntN(3); j > 0; j-- {
					rec.Tree = append(rec.Tree, Node{Pid: r.IntN(100000), Parent: r.IntN(10) - 1, Exec: encStrings(r)})
				}
			}
			p.Recordings = append(p.Recordings, rec)
		}
	}
	if r.IntN(2) == 0 {
		p.Files = FileUses{}
		for i := r.IntN(3); i > 0; i-- {
			p.Files[encString(r)] = encStrings(r)
		}
	}
	if r.IntN(2) == 0 {
		p.Programs = []Program{}
		for i := r.IntN(3); i > 0; i-- {
			p.Programs = append(p.Programs, Program{Path: encString(r), Argv: encStrings(r)})
		}
	}
	if r.IntN(2) == 0 {
		p.Endpoints = []Endpoint{}
		for i := r.IntN(3); i > 0; i-- {
			p.Endpoints = append(p.Endpoints, Endpoint{Call: encString(r), Family: encString(r), Address: encString(r), Port: r.IntN(3) * 80})
		}
	}
	if r.IntN(3) == 0 {
		p.Dropped = &Dropped{Processes: r.IntN(2), Files: r.IntN(2), Programs: r.IntN(2), Endpoints: r.IntN(2)}
	}
	return p
}

// TestEncodeLarge: a profile larger than the encoder's buffer is written in pieces (it is never
// whole in memory) and still gives MarshalIndent's bytes; a failing writer's error is returned.
func TestEncodeLarge(t *testing.T) {
	p := NewProfile()
	p.Files = FileUses{}
	for i := 0; i < 20000; i++ {
		p.Files[fmt.Sprintf("/usr/share/doc/package-%d/changelog.Debian.gz", i)] = []string{UseOpen}
	}
	want, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var got countingWriter
	if err := p.Encode(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), append(want, '\n')) {
		t.Fatal("Encode differs from MarshalIndent")
	}
	if got.writes < 10 {
		t.Errorf("%d bytes in %d writes: not written in pieces", got.Len(), got.writes)
	}
	if err := p.Encode(failingWriter{}); err == nil {
		t.Error("no error from a failing writer")
	}
}

type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(b)
}

type failingWriter struct{}

func (failingWriter) Write(b []byte) (int, error) { return 0, errors.New("disk full") }
