package tracer

import (
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// TestUnknownTaskFirst: a new task's first stop can be reported before its creator's fork event
// (ptrace(2); DESIGN trap 4). The tracer must adopt it — state, a spawn event with the parent read
// from /proc — and not report it again when the creator's event arrives.
func TestUnknownTaskFirst(t *testing.T) {
	child := exec.Command("sleep", "5")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		child.Process.Kill()
		child.Wait()
	}()
	pid := child.Process.Pid
	var events []Event
	tr := &tracer{tasks: map[int]*task{}, onEvent: func(e *Event) { events = append(events, *e) }}
	tr.tasks[os.Getpid()] = &task{pid: os.Getpid()}

	// The initial PTRACE_EVENT_STOP of an auto-attached child (status SIGTRAP | EVENT_STOP<<8).
	// The resume that follows fails with ESRCH here (the child is not traced), which the tracer
	// treats as a task that is going away.
	status := unix.WaitStatus(0x7f | int(unix.SIGTRAP)<<8 | unix.PTRACE_EVENT_STOP<<16)
	tr.stopped(pid, status)
	if tk := tr.tasks[pid]; tk == nil || tk.pid != pid {
		t.Fatalf("unknown task not adopted: %+v", tr.tasks[pid])
	}
	if len(events) != 1 || events[0].Kind != EventSpawn || events[0].Pid != pid || events[0].Parent != os.Getpid() {
		t.Fatalf("events %+v, want one spawn of %d by %d", events, pid, os.Getpid())
	}
	// The creator's fork event, late: the child is known, no second spawn.
	if tr.tasks[pid] != nil {
		tr.adoptIfNew(pid, os.Getpid(), os.Getpid())
	}
	if len(events) != 1 {
		t.Errorf("events after the late fork event: %+v", events)
	}
}
