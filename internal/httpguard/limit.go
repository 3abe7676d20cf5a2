package httpguard

// acquire takes a slot for a request if one is free and returns its
// release. It never waits: a queue would only move the unbounded memory
// from handlers to waiters, and a prompt 503 lets clients back off.
func (g *Guard) acquire() (release func(), ok bool) {
	select {
	case g.slots <- struct{}{}:
		g.metrics.inFlight.Add(1)
		return func() {
			g.metrics.inFlight.Add(-1)
			<-g.slots
		}, true
	default:
		return nil, false
	}
}
