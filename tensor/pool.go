package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Workers is the number of goroutines the kernels split work over. It defaults
// to the number of usable cores; set it before starting work to change it.
var Workers = runtime.GOMAXPROCS(0)

// Parallel calls fn over [0, n) split into at most Workers contiguous ranges
// of at least grain items each, and returns when all have finished. Small
// jobs run on the calling goroutine, so callers need not special-case them.
//
// The ranges after the first go to persistent workers that poll for the
// next job a little while before they sleep: a decode step is some two
// hundred calls of tens of microseconds each, and waking a parked thread
// for each one left a fifth of two cores idle (bench/RESULTS.md). A call
// made while the workers are taken — from inside fn, or from another
// goroutine — starts goroutines of its own instead.
func Parallel(n, grain int, fn func(lo, hi int)) {
	if grain < 1 {
		grain = 1
	}
	parts := min(Workers, (n+grain-1)/grain)
	if parts <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	if !workers.busy.CompareAndSwap(false, true) {
		parallelGo(n, parts, fn)
		return
	}
	for len(workers.crew) < parts-1 {
		w := &worker{start: newSignal(), done: newSignal()}
		workers.crew = append(workers.crew, w)
		go w.run()
	}
	crew := workers.crew[:parts-1]
	for p, w := range crew {
		w.give(fn, n*(p+1)/parts, n*(p+2)/parts)
	}
	// Deferred, so that a panic in fn that a caller recovers from still
	// leaves the crew idle before it is released.
	defer func() {
		for _, w := range crew {
			w.done.await(w.given - 1)
		}
		workers.busy.Store(false)
	}()
	fn(0, n/parts)
}

// parallelGo is Parallel with a goroutine per range.
func parallelGo(n, parts int, fn func(lo, hi int)) {
	var wg sync.WaitGroup
	for p := 1; p < parts; p++ {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(n*p/parts, n*(p+1)/parts)
	}
	fn(0, n/parts)
	wg.Wait()
}

// workers is Parallel's crew; busy is held by the call using it.
var workers struct {
	busy atomic.Bool
	crew []*worker
}

// A worker runs the ranges Parallel gives it, one at a time.
type worker struct {
	start, done *signal
	given       uint64 // jobs given so far; written by the giver only
	fn          func(lo, hi int)
	lo, hi      int
}

func (w *worker) give(fn func(lo, hi int), lo, hi int) {
	w.fn, w.lo, w.hi = fn, lo, hi
	w.given++
	w.start.post()
}

func (w *worker) run() {
	for seen := uint64(0); ; {
		w.start.await(seen)
		seen++
		w.fn(w.lo, w.hi)
		w.fn = nil
		w.done.post()
	}
}

// pollFor is how long a waiting goroutine polls before it sleeps: longer
// than the gap between two projections of a decode step, short enough that
// an idle engine stops using the CPU at once.
const pollFor = 200 * time.Microsecond

// A signal counts posts; one goroutine awaits them, polling first and
// then sleeping until a post wakes it. A wake-up is only a hint to look
// again: a post's wake can arrive late, in a later await, so await trusts
// the count, never the wake-up.
type signal struct {
	posts  atomic.Uint64
	asleep atomic.Bool
	wake   chan struct{}
}

func newSignal() *signal { return &signal{wake: make(chan struct{}, 1)} }

func (s *signal) post() {
	s.posts.Add(1)
	if s.asleep.Load() {
		select {
		case s.wake <- struct{}{}:
		default: // a wake-up is already waiting
		}
	}
}

// await returns once there have been more than seen posts; one goroutine
// at a time may await a signal. A post cannot be missed: the sleeper stores
// asleep before it reads posts, and post adds to posts before it reads
// asleep, so one of the two sees the other.
func (s *signal) await(seen uint64) {
	start := time.Now()
	for i := 0; s.posts.Load() == seen; i++ {
		if i%64 != 63 || time.Since(start) <= pollFor {
			runtime.Gosched()
			continue
		}
		s.asleep.Store(true)
		if s.posts.Load() == seen {
			<-s.wake
		}
		s.asleep.Store(false)
	}
}
