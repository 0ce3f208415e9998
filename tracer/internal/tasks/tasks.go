// Package tasks is the tracer's task table as a pure state machine: which threads are traced,
// which process each belongs to, and which processes were created by whom. It makes no system
// calls; the tracer feeds it the reports wait4 gives and acts on what it returns. Every order of
// reports that ptrace(2) allows must leave the table correct, since a table that never empties
// is a tracer that never exits.
//
// The orders that matter (ptrace(2), "PTRACE_O_TRACECLONE" and "execve(2) under ptrace"):
//   - A new task's first stop, its whole life and its exit can all be reported before its
//     creator's fork/vfork/clone event. The late event must not bring the task back: a task is
//     created by the creator's event only if it was never seen, and an exit that came before the
//     creator's event is remembered until that event arrives or the creator is gone.
//   - Exec from a non-leader thread: the thread takes the leader's tid, the old leader vanishes
//     without an exit report, and the exec's event message names the tid the thread had.
//   - A thread seized while attaching may already be traced through its creator (auto-attach).
package tasks

// Task is one traced thread.
type Task struct {
	Tid int
	Pid int // thread group id
	// Parent is the process that created this one (0 for a root or an attached process); only
	// meaningful for thread group leaders.
	Parent int
	// Reported: the task's own first stop was seen (it has run under the tracer). A task added
	// by its creator's event is not yet reported.
	Reported bool
	// awaitCreator: the task was seen before its creator's fork/clone event, which is still due.
	awaitCreator bool
	creator      int // pid of the creating process, while awaitCreator
}

// AwaitsCreator reports whether the task was met before its creator's fork/clone event, which is
// still due.
func (t *Task) AwaitsCreator() bool { return t.awaitCreator }

// IsLeader reports whether the task is its process's thread group leader.
func (t *Task) IsLeader() bool { return t.Tid == t.Pid }

// Proc reads what /proc says of a live task: its thread group and its parent process. The
// tracer passes one that reads /proc/TID/status; tests pass a map. ok is false for a task that
// is gone.
type Proc func(tid int) (tgid, ppid int, ok bool)

// Table is the set of traced tasks.
type Table struct {
	live map[int]*Task
	// early holds tids that exited before their creator's event arrived, by creating process.
	// An entry goes when the event arrives or the creating process is gone, so the map holds
	// at most one entry per event still due: it is bounded by the live tasks, not by history.
	early map[int]int // tid -> creating process
	proc  Proc
	// Stats
	Adopted   int // tasks first seen in their own stop
	LateEvent int // creator events that arrived after the task's exit
}

// New returns an empty table that asks proc about tasks it meets first in their own stop.
func New(proc Proc) *Table {
	return &Table{live: map[int]*Task{}, early: map[int]int{}, proc: proc}
}

// Len is the number of traced tasks, including those announced by their creator's event whose
// first stop has not been reported yet.
func (tb *Table) Len() int { return len(tb.live) }

// Early is the number of exited tasks whose creator's event is still due.
func (tb *Table) Early() int { return len(tb.early) }

// Known reports whether tid is a traced task, or one that ended before its creator's event.
func (tb *Table) Known(tid int) bool {
	_, early := tb.early[tid]
	return tb.live[tid] != nil || early
}

// Get returns the task tid, or nil.
func (tb *Table) Get(tid int) *Task { return tb.live[tid] }

// Each calls f for every traced task (in no particular order).
func (tb *Table) Each(f func(*Task)) {
	for _, t := range tb.live {
		f(t)
	}
}

// AddRoot adds a task the tracer attached to itself (the launched workload's first process or
// a thread of an attached process). It is its own process's thread or leader as pid says.
func (tb *Table) AddRoot(tid, pid int) *Task {
	t := &Task{Tid: tid, Pid: pid, Reported: true}
	tb.live[tid] = t
	delete(tb.early, tid)
	return t
}

// Stopped handles a stop report from tid. A tid the table does not know is a new task whose
// creator's event has not been handled yet (or a reused tid): it is adopted, and isNew says
// so; for a new process (not a thread) the caller reports its creation, with t.Parent — /proc's
// parent, which Created corrects when the creator's event comes (a CLONE_PARENT child's parent
// is its creator's parent). AwaitsCreator says whether that event is still due.
func (tb *Table) Stopped(tid int) (t *Task, isNew bool) {
	if t = tb.live[tid]; t != nil {
		t.Reported = true
		return t, false
	}
	tb.Adopted++
	t = &Task{Tid: tid, Pid: tid, Reported: true, awaitCreator: true}
	if tgid, ppid, ok := tb.proc(tid); ok {
		t.Pid = tgid
		if tgid == tid {
			t.Parent, t.creator = ppid, ppid
		} else {
			t.creator = tgid
		}
	}
	tb.live[tid] = t
	return t, true
}

// Created handles a fork, vfork or clone event of creator (a traced thread) that made child.
// process is true for fork and vfork, false for clone (thread or process: /proc tells). It
// returns the child's task and whether the caller should report a new process; nil if the child
// is already gone (its exit came first: the late event is consumed and changes nothing).
func (tb *Table) Created(creator *Task, child int, process bool) (t *Task, newProcess bool) {
	if t = tb.live[child]; t != nil {
		if t.awaitCreator && t.IsLeader() {
			// Adopted with /proc's parent, which is not the creator for CLONE_PARENT.
			t.Parent = creator.Pid
		}
		t.awaitCreator = false
		return t, false
	}
	if _, gone := tb.early[child]; gone {
		delete(tb.early, child)
		tb.LateEvent++
		return nil, false
	}
	t = &Task{Tid: child, Pid: child}
	if !process {
		if tgid, _, ok := tb.proc(child); ok {
			t.Pid = tgid
		}
	}
	if t.Pid == child {
		t.Parent = creator.Pid
		newProcess = true
	}
	tb.live[child] = t
	return t, newProcess
}

// Exited handles the exit report of tid (exited or killed). It returns the task that ended, or
// nil if the table did not know it; processEnd is true when the task was its process's leader
// (ptrace reports a leader's end only after every other thread of the process has ended).
func (tb *Table) Exited(tid int) (t *Task, processEnd bool) {
	t = tb.live[tid]
	if t == nil {
		return nil, false
	}
	delete(tb.live, tid)
	if t.awaitCreator {
		tb.early[tid] = t.creator
	}
	if t.IsLeader() {
		// No thread of this process can report anything now: drop the events it still owed.
		for k, c := range tb.early {
			if c == t.Pid {
				delete(tb.early, k)
			}
		}
		return t, true
	}
	return t, false
}

// Exec handles an exec event reported by tid (which is now its process's leader: the kernel
// gives an execing thread the leader's tid). former is the tid the thread had before, from the
// event message. The old leader, if another thread did the exec, is gone without an exit
// report, and every other thread of the process was killed by the exec and reports its exit
// normally.
func (tb *Table) Exec(tid, former int) *Task {
	t := tb.live[tid]
	if former != tid && former != 0 {
		if ft := tb.live[former]; ft != nil {
			delete(tb.live, former)
			if t == nil {
				t = ft
			}
		}
	}
	if t == nil {
		t, _ = tb.Stopped(tid)
	}
	t.Tid, t.Pid, t.Reported = tid, tid, true
	tb.live[tid] = t
	return t
}

// Forget removes a task without an exit report (detached).
func (tb *Table) Forget(tid int) { delete(tb.live, tid) }
