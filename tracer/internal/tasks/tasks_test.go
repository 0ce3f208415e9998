package tasks

import (
	"fmt"
	"strings"
	"testing"
)

// report is one thing wait4 can tell the tracer, in the form the tracer hands it to the table.
type report struct {
	kind    byte // 's' first stop, 'c' creator event (fork/clone), 'x' exit, 'e' exec
	tid     int
	child   int  // 'c': the created tid
	process bool // 'c': fork/vfork (true) or clone (false)
	former  int  // 'e': the tid the execing thread had
}

func (r report) String() string {
	switch r.kind {
	case 'c':
		return fmt.Sprintf("%d:create(%d)", r.tid, r.child)
	case 'e':
		return fmt.Sprintf("%d:exec(from %d)", r.tid, r.former)
	}
	return fmt.Sprintf("%d:%c", r.tid, r.kind)
}

// world is what /proc says: tid -> (tgid, ppid).
type world map[int][2]int

func (w world) proc(tid int) (int, int, bool) {
	v, ok := w[tid]
	return v[0], v[1], ok
}

// replay feeds reports to a table and returns the processes whose creation it reported, with
// their parents, and the processes whose end it reported.
func replay(t *testing.T, w world, roots [][2]int, reports []report) (tb *Table, spawns, ends map[int]int) {
	t.Helper()
	tb = New(w.proc)
	spawns, ends = map[int]int{}, map[int]int{}
	for _, r := range roots {
		tb.AddRoot(r[0], r[1])
	}
	for _, r := range reports {
		switch r.kind {
		case 's':
			tk, isNew := tb.Stopped(r.tid)
			if isNew && tk.IsLeader() {
				spawns[tk.Pid]++
			}
		case 'c':
			creator := tb.Get(r.tid)
			if creator == nil {
				t.Fatalf("%v: creator unknown", r)
			}
			if _, newProc := tb.Created(creator, r.child, r.process); newProc {
				spawns[r.child]++
			}
		case 'x':
			if tk, end := tb.Exited(r.tid); end {
				ends[tk.Pid]++
			}
		case 'e':
			tb.Exec(r.tid, r.former)
		}
	}
	return tb, spawns, ends
}

// orders returns every interleaving of the per-task sequences that respects the extra
// constraints (before[a] = b: report a must come before report b; indexes into all).
func orders(seqs [][]report, before map[[2]int]bool) [][]report {
	var all []report
	var idx [][]int
	for _, s := range seqs {
		var ix []int
		for _, r := range s {
			ix = append(ix, len(all))
			all = append(all, r)
		}
		idx = append(idx, ix)
	}
	var out [][]report
	pos := make([]int, len(seqs))
	done := map[int]bool{}
	var cur []report
	var rec func()
	rec = func() {
		if len(cur) == len(all) {
			out = append(out, append([]report(nil), cur...))
			return
		}
	next:
		for i, s := range idx {
			if pos[i] == len(s) {
				continue
			}
			n := s[pos[i]]
			for k := range before {
				if k[1] == n && !done[k[0]] {
					continue next
				}
			}
			done[n] = true
			pos[i]++
			cur = append(cur, all[n])
			rec()
			cur = cur[:len(cur)-1]
			pos[i]--
			delete(done, n)
		}
	}
	rec()
	return out
}

// TestEveryOrder replays every order ptrace(2) allows for a small workload: root 100 forks
// 200 and clones thread 101; 200 forks 300. Creator events can come before or after the child's
// first stop, life and exit; a process's end comes after its threads' ends; a creator's event
// comes before its own exit. Whatever the order, the table ends empty, remembers nothing, and
// reports each process's creation and end exactly once.
func TestEveryOrder(t *testing.T) {
	w := world{100: {100, 1}, 101: {100, 1}, 200: {200, 100}, 300: {300, 200}}
	seqs := [][]report{
		{{kind: 'c', tid: 100, child: 200, process: true}, {kind: 'c', tid: 100, child: 101}, {kind: 'x', tid: 100}},
		{{kind: 's', tid: 101}, {kind: 'x', tid: 101}},
		{{kind: 's', tid: 200}, {kind: 'c', tid: 200, child: 300, process: true}, {kind: 'x', tid: 200}},
		{{kind: 's', tid: 300}, {kind: 'x', tid: 300}},
	}
	// Indexes into the flattened reports: 0 100:c200, 1 100:c101, 2 100:x, 3 101:s, 4 101:x,
	// 5 200:s, 6 200:c300, 7 200:x, 8 300:s, 9 300:x.
	before := map[[2]int]bool{
		{4, 2}: true, // a thread's end before its leader's (ptrace delays a leader's report)
		{0, 3}: true, // 100 clones 101 only after it was resumed from its fork event
		{5, 8}: true, // 200 forks 300 only after it was resumed from its first stop
	}
	all := orders(seqs, before)
	if len(all) < 1000 {
		t.Fatalf("only %d orders", len(all))
	}
	for _, o := range all {
		tb, spawns, ends := replay(t, w, [][2]int{{100, 100}}, o)
		if tb.Len() != 0 || tb.Early() != 0 {
			t.Fatalf("order %v: %d tasks left, %d remembered", o, tb.Len(), tb.Early())
		}
		want := map[int]int{200: 1, 300: 1}
		if fmt.Sprint(spawns) != fmt.Sprint(want) {
			t.Fatalf("order %v: spawns %v, want %v", o, spawns, want)
		}
		if fmt.Sprint(ends) != fmt.Sprint(map[int]int{100: 1, 200: 1, 300: 1}) {
			t.Fatalf("order %v: ends %v", o, ends)
		}
	}
	t.Logf("%d orders replayed", len(all))
}

func TestCases(t *testing.T) {
	w := world{100: {100, 1}, 101: {100, 1}, 102: {100, 1}, 200: {200, 100}}
	tests := []struct {
		desc    string
		world   world
		reports []report
		left    int // tasks left
		spawns  string
		check   func(t *testing.T, tb *Table)
	}{
		{
			desc: "child's stop, life and exit before the fork event: not resurrected",
			reports: []report{{kind: 's', tid: 200}, {kind: 'x', tid: 200},
				{kind: 'c', tid: 100, child: 200, process: true}},
			left: 1, spawns: "map[200:1]",
			check: func(t *testing.T, tb *Table) {
				if tb.LateEvent != 1 || tb.Early() != 0 {
					t.Errorf("late %d early %d", tb.LateEvent, tb.Early())
				}
			},
		},
		{
			desc: "fork event first, child's stop later: one spawn, parent from the event",
			reports: []report{{kind: 'c', tid: 100, child: 200, process: true}, {kind: 's', tid: 200},
				{kind: 'x', tid: 200}},
			left: 1, spawns: "map[200:1]",
		},
		{
			desc:    "announced child counts as traced until its first stop",
			reports: []report{{kind: 'c', tid: 100, child: 200, process: true}, {kind: 'x', tid: 100}},
			left:    1, spawns: "map[200:1]",
			check: func(t *testing.T, tb *Table) {
				if tk := tb.Get(200); tk == nil || tk.Reported {
					t.Errorf("announced child: %+v", tk)
				}
			},
		},
		{
			desc: "thread clone: no process spawn",
			reports: []report{{kind: 'c', tid: 100, child: 101}, {kind: 's', tid: 101},
				{kind: 'x', tid: 101}},
			left: 1, spawns: "map[]",
		},
		{
			desc:    "thread exits early, its creator dies without the event: forgotten",
			reports: []report{{kind: 's', tid: 101}, {kind: 'x', tid: 101}, {kind: 'x', tid: 100}},
			left:    0, spawns: "map[]",
			check: func(t *testing.T, tb *Table) {
				if tb.Early() != 0 {
					t.Errorf("%d remembered after the creator's end", tb.Early())
				}
			},
		},
		{
			desc: "exec from a non-leader: the thread takes the leader's tid, the old leader vanishes",
			reports: []report{{kind: 'c', tid: 100, child: 101}, {kind: 's', tid: 101},
				{kind: 'c', tid: 100, child: 102}, {kind: 's', tid: 102},
				{kind: 'x', tid: 102}, // killed by the exec
				{kind: 'e', tid: 100, former: 101}, {kind: 'x', tid: 100}},
			left: 0, spawns: "map[]",
		},
		{
			desc:    "exec from the leader",
			reports: []report{{kind: 'e', tid: 100, former: 100}, {kind: 'x', tid: 100}},
			left:    0, spawns: "map[]",
		},
		{
			desc:    "reused tid: a new task's stop after an early exit is a new task",
			reports: []report{{kind: 's', tid: 200}, {kind: 'x', tid: 200}, {kind: 's', tid: 200}},
			left:    2, spawns: "map[200:2]",
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			wd := tc.world
			if wd == nil {
				wd = w
			}
			tb, spawns, _ := replay(t, wd, [][2]int{{100, 100}}, tc.reports)
			if tb.Len() != tc.left {
				var left []string
				tb.Each(func(tk *Task) { left = append(left, fmt.Sprintf("%+v", *tk)) })
				t.Errorf("%d tasks left, want %d: %s", tb.Len(), tc.left, strings.Join(left, " "))
			}
			if got := fmt.Sprint(spawns); got != tc.spawns {
				t.Errorf("spawns %s, want %s", got, tc.spawns)
			}
			if tc.check != nil {
				tc.check(t, tb)
			}
		})
	}
}

// TestBounded: a long run of children that all exit before their creator's event leaves
// nothing behind once the events arrive, and nothing once the creator is gone either.
func TestBounded(t *testing.T) {
	w := world{100: {100, 1}}
	for i := 0; i < 10000; i++ {
		w[1000+i] = [2]int{1000 + i, 100}
	}
	var reports []report
	for i := 0; i < 10000; i++ {
		c := 1000 + i
		reports = append(reports, report{kind: 's', tid: c}, report{kind: 'x', tid: c})
		if i%2 == 0 {
			reports = append(reports, report{kind: 'c', tid: 100, child: c, process: true})
		}
	}
	tb, _, _ := replay(t, w, [][2]int{{100, 100}}, reports)
	if tb.Early() != 5000 {
		t.Fatalf("early %d, want the 5000 whose event is still due", tb.Early())
	}
	tb.Exited(100)
	if tb.Early() != 0 || tb.Len() != 0 {
		t.Fatalf("after the creator's end: early %d, live %d", tb.Early(), tb.Len())
	}
}
