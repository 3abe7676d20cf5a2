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
	defer workers.busy.Store(false)
	for len(workers.crew) < parts-1 {
		w := &worker{start: newSignal(), done: newSignal()}
		workers.crew = append(workers.crew, w)
		go w.run()
	}
	for p := 1; p < parts; p++ {
		workers.crew[p-1].give(fn, n*p/parts, n*(p+1)/parts)
	}
	fn(0, n/parts)
	for _, w := range workers.crew[:parts-1] {
		w.done.await(w.given - 1)
	}
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
// then sleeping until the next post wakes it.
type signal struct {
	posts  atomic.Uint64
	asleep atomic.Bool
	wake   chan struct{}
}

func newSignal() *signal { return &signal{wake: make(chan struct{}, 1)} }

func (s *signal) post() {
	s.posts.Add(1)
	if s.asleep.CompareAndSwap(true, false) {
		s.wake <- struct{}{}
	}
}

// await returns once there have been more than seen posts; one goroutine
// at a time may await a signal.
func (s *signal) await(seen uint64) {
	start := time.Now()
	for i := 0; s.posts.Load() == seen; i++ {
		if i%64 == 63 && time.Since(start) > pollFor {
			s.asleep.Store(true)
			// A post between the check and the store saw no sleeper: take
			// back the sleep unless post already took it and is waking us.
			if s.posts.Load() != seen && s.asleep.CompareAndSwap(true, false) {
				return
			}
			<-s.wake
			return
		}
		runtime.Gosched()
	}
}
