// Package prespawn lets a command start the ticker that tracer.Launch needs to record before it
// needs it. It is separate from package tracer, and imports only the helper, so that a command
// can call it from an init function that runs before heavy packages initialize (see
// tracer/internal/helper).
package prespawn

import "github.com/sctrace/sctrace/tracer/internal/helper"

// Start starts the ticker for the next recording tracer.Launch. It must run before anything else
// starts a process or changes the signal mask; a failure is silent (Launch then starts the
// ticker itself). tracer.DiscardEarly ends a ticker that will not be used.
func Start() { helper.Prespawn() }
