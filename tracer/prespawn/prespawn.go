// Package prespawn lets a command start tracer.Launch's helpers before it needs them. It is
// separate from package tracer, and imports only the helper, so that a command can call it from
// an init function that runs before heavy packages initialize (see tracer/internal/helper).
package prespawn

import "github.com/sctrace/sctrace/tracer/internal/helper"

// Start starts an exec helper for the next tracer.Launch and, with ticker, the ticker that
// recording needs. It must run before anything else starts a process or changes the working
// directory, the descriptors 0 to 2 or the signal mask; a failure is silent (Launch then starts
// the helpers itself). tracer.DiscardEarly ends helpers that will not be used.
func Start(ticker bool) { helper.Prespawn(ticker) }
