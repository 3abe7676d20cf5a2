package policy

import (
	"context"
	"fmt"
	"sync"

	"research/rollout"
)

// Router spreads requests over several policies (one per server), sending
// each to the one with the fewest requests in flight, so rollouts scale onto
// a fleet of vLLM or SGLang servers. A sequence's later turns go where its
// first went while that server is no busier than the others, so that the
// server's prefix cache can serve them.
type Router struct {
	backends []rollout.Policy

	mu       sync.Mutex
	inflight []int
	home     map[string]int // sequence key → backend of its last turn
}

// NewRouter returns a router over backends.
func NewRouter(backends ...rollout.Policy) (*Router, error) {
	if len(backends) == 0 {
		return nil, fmt.Errorf("policy: a router needs at least one backend")
	}
	return &Router{backends: backends, inflight: make([]int, len(backends)), home: map[string]int{}}, nil
}

// Generate implements rollout.Policy.
func (r *Router) Generate(ctx context.Context, req rollout.Request) (rollout.Completion, error) {
	i := r.pick(req.Key)
	defer func() {
		r.mu.Lock()
		r.inflight[i]--
		r.mu.Unlock()
	}()
	return r.backends[i].Generate(ctx, req)
}

func (r *Router) pick(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	best := 0
	for i, n := range r.inflight {
		if n < r.inflight[best] {
			best = i
		}
	}
	if home, ok := r.home[key]; ok && r.inflight[home] <= r.inflight[best] {
		best = home
	}
	r.home[key] = best
	r.inflight[best]++
	return best
}
