package tracer

import (
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sctrace/sctrace/tracer/internal/helper"
)

// forwarded are the signals sctrace passes on to the workload.
var forwarded = []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// The forwarded signals are registered once for the life of the process (the hub), and what a
// signal does depends on the phase the process is in:
//
//   - before the first Launch or Attach (PrepareSignals registered them early, to spare the
//     launch the runtime's slow first registration): what it would have done unregistered, so a
//     Ctrl-C while sctrace reads a FIFO profile or analyses executables still ends sctrace;
//   - while a Launch or Attach owns them: passed to its channel (forwarded to the workload, or a
//     detach);
//   - after it ended: held. sctrace is writing what it recorded: the first held signal is kept
//     (the next Launch returns InterruptedError for it), OnHeldSignal's function is called,
//     and nothing dies: the Ctrl-C after the one that ended the workload must not lose a big
//     profile being written. The process exits when it is done; a second signal while held
//     has its default action (the user insists), SIGKILL too.
type hubPhase int

const (
	phaseNone   hubPhase = iota // not registered
	phaseBefore                 // registered, no launch yet: the default action
	phaseOwned                  // a launch owns them
	phaseAfter                  // a launch ended: held
)

var hub struct {
	sync.Mutex
	phase   hubPhase
	ch      chan os.Signal
	ready   chan struct{} // closed once registered
	ignored uint64        // the signals this process was started with ignored (bit N-1: signal N)
	owner   chan os.Signal
	held    syscall.Signal
	onHeld  func(syscall.Signal)
}

// PrepareSignals registers the signals Launch forwards (see Options.ForwardSignals) now, in the
// background, for the next Launch to take. The first registration makes the Go runtime start a
// thread for os/signal and wait for it, which cost run's start-up 0.2 to 2 ms when Launch did it
// on the way to starting the workload. A signal that comes before Launch takes the registration
// is acted on as if nothing had registered it. Calling it is optional.
func PrepareSignals() {
	hub.Lock()
	defer hub.Unlock()
	if hub.phase != phaseNone {
		return
	}
	hubRegister(true)
}

// hubRegister registers the forwarded signals the process was not started with ignored (nohup:
// they stay ignored, here and in the workload), in the background if async. hub is locked.
func hubRegister(async bool) {
	hub.ignored = ignoredSignals() // before Notify changes what it reports
	hub.ch, hub.ready, hub.phase = make(chan os.Signal, 8), make(chan struct{}), phaseBefore
	var sigs []os.Signal
	for _, s := range forwarded {
		if hub.ignored&(1<<(uint(s)-1)) == 0 {
			sigs = append(sigs, s)
		}
	}
	register := func() {
		if len(sigs) > 0 {
			signal.Notify(hub.ch, sigs...)
		}
		close(hub.ready)
	}
	go hubRun(hub.ch)
	if async {
		go register()
	} else {
		register()
	}
}

// hubRun dispatches the signals of one registration.
func hubRun(ch chan os.Signal) {
	for s := range ch {
		sig := s.(syscall.Signal)
		hub.Lock()
		var call func(syscall.Signal)
		switch hub.phase {
		case phaseBefore:
			hub.Unlock()
			dieOf(sig)
		case phaseOwned:
			select {
			case hub.owner <- s:
			default: // its buffer is full of the same few signals
			}
		case phaseAfter:
			if hub.held != 0 {
				// A second one: the user insists (a profile written to a FIFO nobody
				// reads would wait for good).
				hub.Unlock()
				dieOf(sig)
			}
			hub.held, call = sig, hub.onHeld
		}
		hub.Unlock()
		if call != nil {
			call(sig)
		}
	}
}

// hubOwn passes the forwarded signals to ch from now on (registering them if nothing did) and
// returns the signals this process was started with ignored. A signal held since the last
// launch ended is returned too: the caller acts on it as if it had come now.
func hubOwn(ch chan os.Signal) (ignored uint64, held syscall.Signal) {
	hub.Lock()
	if hub.phase == phaseNone {
		hubRegister(false)
	}
	ready := hub.ready
	hub.Unlock()
	<-ready
	hub.Lock()
	defer hub.Unlock()
	hub.phase, hub.owner, held = phaseOwned, ch, hub.held
	hub.held = 0
	return hub.ignored, held
}

// hubIgnored returns the signals this process was started with ignored, without owning them.
func hubIgnored() uint64 {
	hub.Lock()
	defer hub.Unlock()
	if hub.phase == phaseNone {
		return ignoredSignals()
	}
	ready := hub.ready
	hub.Unlock()
	<-ready
	hub.Lock()
	return hub.ignored
}

// hubHold ends a launch's ownership: signals are held from now on.
func hubHold() {
	hub.Lock()
	defer hub.Unlock()
	if hub.phase == phaseOwned {
		hub.phase, hub.owner = phaseAfter, nil
	}
}

// OnHeldSignal sets the function called (from another goroutine) when the first signal is held
// after a Launch or Attach ended: sctrace says it finishes writing first.
func OnHeldSignal(f func(syscall.Signal)) {
	hub.Lock()
	defer hub.Unlock()
	hub.onHeld = f
}

// forwarder passes SIGINT, SIGTERM, SIGHUP and SIGQUIT on to the workload. It owns the hub's
// signals from newForwarder on, so that a Ctrl-C during start-up is not lost, and forwards them
// from start on. It signals the first process through a pidfd, so a signal that arrives after
// the process is reaped cannot hit a recycled pid; once that process is gone, the signal goes to
// every process of the workload still traced (the daemons it left).
//
// A signal sent to a whole process group without a terminal (a supervisor, timeout(1)) reaches
// the workload by itself: the tracer sees it arrive (a signal-delivery stop of the workload, or
// of the ticker, which is in sctrace's process group; without a ticker, the witness counts it)
// and the forwarder then does not send it a second time. With a terminal, Ctrl-C and friends reach the workload
// in the foreground process group directly, and only SIGTERM is forwarded.
type forwarder struct {
	got      atomic.Int32 // the last signal received once started
	stopOnce sync.Once
	ch       chan os.Signal
	done     chan struct{}
	wg       sync.WaitGroup
	t        *tracer
	pidfd    int
	root     int
	// Each delivery the tracer sees (and each of the ticker's and witness's) accounts for one
	// signal at most: usedDeliv and usedGroup count those already accounted for; ownPending
	// counts the deliveries the forwarder's own sends will cause (sent at ownAt).
	usedDeliv, usedGroup, ownPending [65]int64
	ownAt                            [65]time.Time
}

// witnessDelay is how long the workload runs before the forwarder starts its witness.
const witnessDelay = 20 * time.Millisecond

// forwardWait is how long the forwarder waits to see whether the workload got a signal by itself.
const forwardWait = 100 * time.Millisecond

// newForwarder takes the hub's signals. It returns the signals this process was started with
// ignored, and a signal held since an earlier launch ended (record --runs between two runs).
func newForwarder() (*forwarder, uint64, syscall.Signal) {
	f := &forwarder{ch: make(chan os.Signal, 8), done: make(chan struct{}), pidfd: -1}
	ignored, held := hubOwn(f.ch)
	return f, ignored, held
}

func (f *forwarder) start(t *tracer, root int) {
	f.t, f.root = t, root
	if fd, err := unix.PidfdOpen(root, 0); err == nil {
		f.pidfd = fd
	}
	// Without a ticker, a witness (helper.Witness), started once the workload has run for
	// witnessDelay: a fork of sctrace takes 0.2-0.4 ms, which a short command would pay in
	// full. A group's signal before that is forwarded as before.
	var witness <-chan time.Time
	if t.ticker == 0 {
		witness = time.After(witnessDelay)
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			select {
			case s := <-f.ch:
				f.got.Store(int32(s.(syscall.Signal)))
				f.forward(s.(syscall.Signal))
			case <-witness:
				t.startWitness()
			case <-f.done:
				return
			}
		}
	}()
}

func (f *forwarder) forward(sig syscall.Signal) {
	pgrp := unix.Getpgrp()
	// From a terminal the signal reached the workload's process group by itself, unless the
	// workload's first process was forked after it came (it is not running its command yet);
	// processes that left the group (setsid) did not get it.
	if sig != syscall.SIGTERM && inForeground() && f.t.started.Load() {
		f.sendOutside(sig, pgrp)
		return
	}
	since := time.Now().Add(-forwardWait)
	sinceMono := helper.Monotonic() - forwardWait.Nanoseconds()
	deadline := time.Now().Add(forwardWait)
	group := false
	for !group && time.Now().Before(deadline) {
		switch {
		case f.takeDelivery(sig, since):
			// It reached the workload by itself: sent to the group, or to the workload too.
			group = true
		case f.takeGroup(sig, since, sinceMono) && f.groupBlocks(sig, pgrp):
			// Sent to sctrace's whole process group. A process of the workload in the group
			// got it too, and shows it by a signal-delivery stop unless it blocks the signal
			// (signalfd, sigwait): then no stop will come. (A pkill that hits sctrace and its
			// helper but not the workload looks the same, and is not passed on to such a
			// workload.)
			group = true
		default:
			time.Sleep(5 * time.Millisecond)
		}
	}
	if group {
		f.sendOutside(sig, pgrp)
		return
	}
	if f.pidfd >= 0 && !f.t.rootGone.Load() {
		if err := unix.PidfdSendSignal(f.pidfd, sig, nil, 0); err == nil {
			f.sent(sig, f.root)
			return
		}
	} else if f.pidfd < 0 && !f.t.rootGone.Load() && unix.Kill(f.root, sig) == nil {
		f.sent(sig, f.root)
		return
	}
	for _, pid := range f.t.liveProcesses() {
		if unix.Kill(pid, sig) == nil {
			f.sent(sig, pid)
		}
	}
}

// sent notes a send of sig to pid: unless pid blocks it, its delivery is the forwarder's own.
func (f *forwarder) sent(sig syscall.Signal, pid int) {
	if !blocks(pid, sig) {
		f.ownPending[sig]++
		f.ownAt[sig] = time.Now()
	}
}

// takeDelivery reports whether the workload got sig, recently (since), in a delivery not yet
// accounted for: not one of the forwarder's own sends, nor one an earlier signal was matched
// with. It accounts for it.
func (f *forwarder) takeDelivery(sig syscall.Signal, since time.Time) bool {
	n := f.t.sigCount[sig].Load()
	// The forwarder's own sends first, whenever their deliveries came.
	avail := n - f.usedDeliv[sig]
	own := min(avail, f.ownPending[sig])
	f.usedDeliv[sig] += own
	f.ownPending[sig] -= own
	if time.Since(f.ownAt[sig]) > time.Second {
		f.ownPending[sig] = 0 // a send whose delivery did not come (the process ended)
	}
	if !f.t.sawSignal(sig, since) {
		f.usedDeliv[sig] = n // nothing recent: the older ones account for nothing now
		return false
	}
	if avail-own > 0 {
		f.usedDeliv[sig]++
		return true
	}
	return false
}

// takeGroup reports whether the ticker or the witness got sig recently, in a delivery not yet
// accounted for, and accounts for it.
func (f *forwarder) takeGroup(sig syscall.Signal, since time.Time, sinceMono int64) bool {
	n := f.t.groupCount[sig].Load() + f.t.witnessCount(sig)
	if !f.t.sawGroupSignal(sig, since) && !f.t.witnessSaw(sig, sinceMono) {
		f.usedGroup[sig] = n
		return false
	}
	if n > f.usedGroup[sig] {
		f.usedGroup[sig]++
		return true
	}
	return false
}

// sendOutside sends sig, which sctrace's process group got, to the workload's processes that
// are not in that group: the first process, or once it is gone the processes left.
func (f *forwarder) sendOutside(sig syscall.Signal, pgrp int) {
	if !f.t.rootGone.Load() {
		if inGroup(f.root, pgrp) {
			return
		}
		if (f.pidfd >= 0 && unix.PidfdSendSignal(f.pidfd, sig, nil, 0) == nil) || (f.pidfd < 0 && unix.Kill(f.root, sig) == nil) {
			f.sent(sig, f.root)
		}
		return
	}
	for _, pid := range f.t.liveProcesses() {
		if !inGroup(pid, pgrp) && unix.Kill(pid, sig) == nil {
			f.sent(sig, pid)
		}
	}
}

// groupBlocks reports whether the workload's processes in process group pgrp all block sig (the
// first one while it lives, else the ones left), so that none would show its delivery.
func (f *forwarder) groupBlocks(sig syscall.Signal, pgrp int) bool {
	if !f.t.rootGone.Load() {
		return blocks(f.root, sig)
	}
	n := 0
	for _, pid := range f.t.liveProcesses() {
		if inGroup(pid, pgrp) {
			if !blocks(pid, sig) {
				return false
			}
			n++
		}
	}
	return n > 0
}

// blocks reports whether every live thread of process pid blocks sig (/proc/PID/task/*/status,
// SigBlk): the kernel delivers a process's signal to a thread that does not. An exited main
// thread (a zombie leader) is not one.
func blocks(pid int, sig syscall.Signal) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	n := 0
	for _, task := range tasks {
		b, err := os.ReadFile(dir + "/" + task.Name() + "/status")
		if err != nil {
			continue
		}
		blocked, zombie := false, false
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "State:"); ok {
				zombie = strings.Contains(v, "Z") || strings.Contains(v, "X")
			} else if v, ok := strings.CutPrefix(line, "SigBlk:"); ok {
				m, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
				blocked = err == nil && m&(1<<(uint(sig)-1)) != 0
			}
		}
		if zombie {
			continue
		}
		if !blocked {
			return false
		}
		n++
	}
	return n > 0
}

// inGroup reports whether process pid is in process group pgrp.
func inGroup(pid, pgrp int) bool {
	g, err := unix.Getpgid(pid)
	return err == nil && g == pgrp
}

// startWitness starts the witness (the forwarder, once the workload has run witnessDelay),
// unless the loop has already closed it.
func (t *tracer) startWitness() {
	t.witnessMu.Lock()
	defer t.witnessMu.Unlock()
	if t.witnessClosed || t.witness != nil {
		return
	}
	if w, err := helper.StartWitness(); err == nil {
		t.witness = w
	}
}

// witnessEnded tells whether pid, reaped by the loop, was the witness; a witness killed before
// the workload ended is started again, after a pause (something may be killing it in a loop).
func (t *tracer) witnessEnded(pid int) bool {
	t.witnessMu.Lock()
	defer t.witnessMu.Unlock()
	if t.witness == nil || t.witness.Pid != pid {
		return false
	}
	t.witness = nil
	if !t.witnessClosed {
		time.AfterFunc(100*time.Millisecond, t.startWitness)
	}
	return true
}

// closeWitness ends the witness (the loop, once the workload is gone): it is sctrace's child, and
// the loop ends only when no child is left.
func (t *tracer) closeWitness() {
	t.witnessMu.Lock()
	defer t.witnessMu.Unlock()
	t.witnessClosed = true
	if t.witness != nil {
		t.witness.Close()
	}
}

// witnessCount returns how many times the witness got sig.
func (t *tracer) witnessCount(sig syscall.Signal) int64 {
	t.witnessMu.Lock()
	defer t.witnessMu.Unlock()
	if t.witness == nil {
		return 0
	}
	return t.witness.Count(sig)
}

// witnessSaw reports whether the witness got sig at or after since (CLOCK_MONOTONIC ns).
func (t *tracer) witnessSaw(sig syscall.Signal, since int64) bool {
	t.witnessMu.Lock()
	defer t.witnessMu.Unlock()
	return t.witness != nil && t.witness.Saw(sig, since)
}

// stop ends forwarding: signals are held from now on (see the hub).
func (f *forwarder) stop() {
	f.stopOnce.Do(func() {
		hubHold()
		close(f.done)
		f.wg.Wait()
		if f.t != nil {
			f.t.closeWitness() // the loop has, unless it never saw the workload go
		}
		if f.pidfd >= 0 {
			unix.Close(f.pidfd)
		}
	})
}

// ignoredSignals returns the signals (bit N-1 for signal N) this process was started with
// ignored, which the Go runtime keeps ignored until Notify; call it before any Notify.
func ignoredSignals() uint64 {
	var m uint64
	for s := 1; s <= 64; s++ {
		if signal.Ignored(syscall.Signal(s)) {
			m |= 1 << (s - 1)
		}
	}
	return m
}

// inForeground reports whether this process is in the foreground process group of its terminal,
// where terminal-generated signals reach the workload directly.
func inForeground() bool {
	for _, fd := range []int{0, 1, 2} {
		pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
		if err == nil {
			return pgrp == unix.Getpgrp()
		}
	}
	return false
}
