package tensor

import (
	"runtime"
	"sync"
)

// Workers is the number of goroutines the kernels split work over. It defaults
// to the number of usable cores; set it before starting work to change it.
var Workers = runtime.GOMAXPROCS(0)

// Parallel calls fn over [0, n) split into at most Workers contiguous ranges
// of at least grain items each, and returns when all have finished. Small
// jobs run on the calling goroutine, so callers need not special-case them.
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
	var wg sync.WaitGroup
	for w := 1; w < parts; w++ {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(n*w/parts, n*(w+1)/parts)
	}
	fn(0, n/parts)
	wg.Wait()
}
