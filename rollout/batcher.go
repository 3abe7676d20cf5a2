package rollout

import (
	"context"
	"fmt"
	"sync"
	"time"

	"research/search"
)

// batcher merges the searches of concurrent trajectories into batched
// retriever calls. In continuous mode a batch leaves as soon as no call is
// in flight, so batches grow by themselves under load. In synchronous mode
// it leaves only once every live trajectory is waiting for a search or has
// finished: the reference's round barrier.
type batcher struct {
	retriever search.Retriever
	k         int
	retries   int
	backoff   time.Duration
	sync      bool

	mu       sync.Mutex
	pending  []*searchCall
	live     int // workers still rolling out
	inflight bool
}

type searchCall struct {
	query string
	docs  []search.Doc
	err   error
	done  chan struct{}
}

// finish takes one worker out of the count of live ones (set before any
// worker starts), so that the synchronous barrier stops waiting for it.
func (b *batcher) finish() {
	b.mu.Lock()
	b.live--
	b.maybeFlushLocked()
	b.mu.Unlock()
}

// search blocks until the batch holding query has been answered.
func (b *batcher) search(ctx context.Context, query string) ([]search.Doc, error) {
	c := &searchCall{query: query, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, c)
	b.maybeFlushLocked()
	b.mu.Unlock()
	select {
	case <-c.done:
		return c.docs, c.err
	case <-ctx.Done():
		// The batch still runs; its answer for this call is dropped.
		return nil, ctx.Err()
	}
}

func (b *batcher) maybeFlushLocked() {
	if len(b.pending) == 0 || b.inflight {
		return
	}
	if b.sync && len(b.pending) < b.live {
		return
	}
	calls := b.pending
	b.pending = nil
	b.inflight = true
	go b.run(calls)
}

// run answers one batch, retrying the whole call with exponential backoff.
func (b *batcher) run(calls []*searchCall) {
	queries := make([]string, len(calls))
	for i, c := range calls {
		queries[i] = c.query
	}
	var results [][]search.Doc
	var err error
	delay := b.backoff
	for attempt := 0; attempt <= b.retries; attempt++ {
		if attempt > 0 {
			time.Sleep(delay)
			delay *= 2
		}
		results, err = b.retriever.Search(context.Background(), queries, b.k)
		if err == nil && len(results) != len(queries) {
			err = fmt.Errorf("retriever answered %d result lists for %d queries", len(results), len(queries))
		}
		if err == nil {
			break
		}
	}
	for i, c := range calls {
		if err != nil {
			c.err = fmt.Errorf("search failed after %d attempts: %w", b.retries+1, err)
		} else {
			c.docs = results[i]
		}
		close(c.done)
	}
	b.mu.Lock()
	b.inflight = false
	b.maybeFlushLocked()
	b.mu.Unlock()
}
