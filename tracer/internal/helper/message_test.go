package helper

import (
	"reflect"
	"testing"
)

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range []Message{
		{Filter: []byte{1, 2, 3, 4, 5, 6, 7, 8}, Path: "/bin/true", Argv: []string{"true"}, Stdio: Identity},
		{Filter: make([]byte, 800), Path: "/p", Argv: []string{"a", "", "c d"}, Env: []string{"A=1", "B="},
			Dir: "/tmp", Ignore: 1<<0 | 1<<62, Listener: [3]uint64{317, 0xdeadbeef, 1}, Stdio: [3]byte{0, 2, 2}},
	} {
		got, ok := Decode(m.Encode())
		if !ok {
			t.Fatalf("Decode(Encode(%+v)) failed", m)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip: got %+v, want %+v", got, m)
		}
	}
}

func TestMessageRejects(t *testing.T) {
	good := (&Message{Filter: []byte{1}, Path: "/p", Argv: []string{"p"}, Stdio: Identity}).Encode()
	for name, b := range map[string][]byte{
		"truncated":     good[:len(good)-1],
		"short header":  append(append([]byte{}, good...), 'F', 0),
		"unknown tag":   append(append([]byte{}, good...), 'Z', 0, 0, 0, 0),
		"repeated path": append(append([]byte{}, good...), 'P', 1, 0, 0, 0, 'x'),
		"bad stdio":     (&Message{Filter: []byte{1}, Path: "/p", Argv: []string{"p"}, Stdio: [3]byte{0, 3, 2}}).Encode(),
		"no argv":       (&Message{Filter: []byte{1}, Path: "/p", Stdio: Identity}).Encode(),
		"huge length":   {'F', 0xff, 0xff, 0xff, 0xff},
	} {
		if _, ok := Decode(b); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzMessage(f *testing.F) {
	f.Add((&Message{Filter: []byte{1, 2}, Path: "/p", Argv: []string{"p", "q"}, Env: []string{"X=1"}, Stdio: Identity}).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, ok := Decode(b)
		if !ok {
			return
		}
		again, ok := Decode(m.Encode())
		if !ok || !reflect.DeepEqual(again, m) {
			t.Fatalf("re-encoding changed %+v into %+v", m, again)
		}
	})
}
