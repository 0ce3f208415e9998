package audit

import (
	"reflect"
	"testing"

	"github.com/sctrace/sctrace/learn"
)

func TestSummary(t *testing.T) {
	p := &learn.Profile{
		Version: 1,
		Arches: map[string]*learn.SyscallSet{
			"x86_64": {Syscalls: map[string]*learn.SyscallStat{"read": {Count: 5}, "write": {Count: 2}}},
			"x86":    {Syscalls: map[string]*learn.SyscallStat{"getpid": {Count: 3}}},
		},
		Executables: map[string]*learn.Executable{
			"/bin/a": {Processes: 1, Arches: map[string]*learn.SyscallSet{
				"x86_64": {Syscalls: map[string]*learn.SyscallStat{"read": {Count: 1}}}}},
			"/bin/b": {Processes: 2, Arches: map[string]*learn.SyscallSet{
				"x86_64": {Syscalls: map[string]*learn.SyscallStat{"read": {Count: 4}, "write": {Count: 2}}},
				"x86":    {Syscalls: map[string]*learn.SyscallStat{"getpid": {Count: 3}}}}},
		},
	}
	tables := Summary(p, 1)
	if len(tables) != 2 {
		t.Fatalf("%d tables", len(tables))
	}
	wantArches := [][]string{{"x86", "1", "3"}, {"x86_64", "2", "7"}}
	if !reflect.DeepEqual(tables[0].Rows, wantArches) {
		t.Errorf("arch rows %v, want %v", tables[0].Rows, wantArches)
	}
	// Busiest executable first, cut at top=1 with a note.
	wantExes := [][]string{{"/bin/b", "2", "x86,x86_64", "3", "9"}}
	if !reflect.DeepEqual(tables[1].Rows, wantExes) || tables[1].Note == "" {
		t.Errorf("executable rows %v note %q, want %v and a note", tables[1].Rows, tables[1].Note, wantExes)
	}
	if all := Summary(p, 0); len(all[1].Rows) != 2 || all[1].Note != "" {
		t.Errorf("top=0 should list every executable: %v", all[1].Rows)
	}
}
