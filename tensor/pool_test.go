package tensor

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// visits runs Parallel over n items and reports how often each was visited.
func visits(n, grain int) []int32 {
	seen := make([]int32, n)
	Parallel(n, grain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			atomic.AddInt32(&seen[i], 1)
		}
	})
	return seen
}

func checkOnce(t *testing.T, seen []int32) {
	t.Helper()
	for i, c := range seen {
		if c != 1 {
			t.Errorf("item %d of %d visited %d times", i, len(seen), c)
			return
		}
	}
}

func TestParallelCoversEachItemOnce(t *testing.T) {
	saved := Workers
	defer func() { Workers = saved }()
	for _, workers := range []int{1, 2, 3, 8} {
		for _, c := range []struct{ n, grain int }{{0, 1}, {1, 1}, {5, 1}, {7, 3}, {100, 1}, {100, 64}, {1000, 0}} {
			t.Run(fmt.Sprintf("workers%d/n%d/grain%d", workers, c.n, c.grain), func(t *testing.T) {
				Workers = workers
				checkOnce(t, visits(c.n, c.grain))
			})
		}
	}
}

// Workers that have gone to sleep must wake for the next call.
func TestParallelAfterWorkersSleep(t *testing.T) {
	saved := Workers
	defer func() { Workers = saved }()
	Workers = 4
	for range 3 {
		checkOnce(t, visits(64, 1))
		time.Sleep(5 * pollFor)
	}
}

// Calls from inside fn and from other goroutines find the workers taken
// and must still finish.
func TestParallelNestedAndConcurrent(t *testing.T) {
	saved := Workers
	defer func() { Workers = saved }()
	Workers = 3
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				outer := make([]int32, 6)
				Parallel(len(outer), 1, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						checkOnce(t, visits(10+g, 1))
						atomic.AddInt32(&outer[i], 1)
					}
				})
				checkOnce(t, outer)
			}
		}()
	}
	wg.Wait()
}

// A panic in the caller's range, recovered by the caller, must leave the
// workers idle and usable.
func TestParallelRecoveredPanic(t *testing.T) {
	saved := Workers
	defer func() { Workers = saved }()
	Workers = 3
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic did not reach the caller")
			}
		}()
		Parallel(30, 1, func(lo, hi int) {
			if lo == 0 {
				panic("boom")
			}
			time.Sleep(time.Millisecond)
		})
	}()
	checkOnce(t, visits(30, 1))
}

// Two goroutines hand jobs back and forth through a pair of signals, as
// Parallel and a worker do, with random pauses so that both the polling
// and the sleeping paths run: every job must be taken once, in order.
func TestSignalHandoff(t *testing.T) {
	start, done := newSignal(), newSignal()
	var job, took int
	go func() {
		for seen := uint64(0); ; seen++ {
			start.await(seen)
			if job == 0 {
				return
			}
			took = job
			if rand.IntN(3) == 0 {
				time.Sleep(time.Duration(rand.IntN(3*int(pollFor))) * time.Nanosecond)
			}
			done.post()
		}
	}()
	for i := 1; i <= 3000; i++ {
		job = i
		start.post()
		if rand.IntN(3) == 0 {
			time.Sleep(time.Duration(rand.IntN(3*int(pollFor))) * time.Nanosecond)
		}
		done.await(uint64(i - 1))
		if took != i {
			t.Fatalf("job %d: the worker took %d", i, took)
		}
	}
	job = 0 // stop the worker
	start.post()
}
