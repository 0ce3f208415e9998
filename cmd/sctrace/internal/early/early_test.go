package early

import "testing"

func TestRecords(t *testing.T) {
	for _, c := range []struct {
		args   []string
		record bool
	}{
		{[]string{"sctrace", "run", "--profile", "p.json", "--", "true"}, false},
		{[]string{"sctrace", "record", "-o", "x.json", "--", "ls", "-p"}, true},
		{[]string{"sctrace", "record", "ls"}, true},
		{[]string{"sctrace", "record", "-p", "12"}, false},
		{[]string{"sctrace", "record", "--pid=12"}, false},
		{[]string{"sctrace", "record", "-pid", "12"}, false},
		{[]string{"sctrace", "record", "--help"}, false},
		{[]string{"sctrace", "record", "-h"}, false},
		{[]string{"sctrace", "emit", "x.json"}, false},
		{[]string{"sctrace", "record"}, false},
		{[]string{"sctrace"}, false},
		{nil, false},
	} {
		if got := Records(c.args); got != c.record {
			t.Errorf("Records(%q) = %v; want %v", c.args, got, c.record)
		}
	}
}
