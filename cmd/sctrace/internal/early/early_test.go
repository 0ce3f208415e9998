package early

import "testing"

func TestLaunches(t *testing.T) {
	for _, c := range []struct {
		args           []string
		launch, record bool
	}{
		{[]string{"sctrace", "run", "--profile", "p.json", "--", "true"}, true, false},
		{[]string{"sctrace", "record", "-o", "x.json", "--", "ls", "-p"}, true, true},
		{[]string{"sctrace", "record", "ls"}, true, true},
		{[]string{"sctrace", "record", "-p", "12"}, false, false},
		{[]string{"sctrace", "record", "--pid=12"}, false, false},
		{[]string{"sctrace", "record", "-pid", "12"}, false, false},
		{[]string{"sctrace", "run", "--help"}, false, false},
		{[]string{"sctrace", "run", "-h"}, false, false},
		{[]string{"sctrace", "emit", "x.json"}, false, false},
		{[]string{"sctrace", "run"}, false, false},
		{[]string{"sctrace"}, false, false},
		{nil, false, false},
	} {
		launch, record := Launches(c.args)
		if launch != c.launch || record != c.record {
			t.Errorf("Launches(%q) = %v, %v; want %v, %v", c.args, launch, record, c.launch, c.record)
		}
	}
}
