// Package topk keeps the k best of a stream of items, as the search
// indexes rank passages.
package topk

import (
	"container/heap"
	"slices"
)

// Heap keeps the k best items offered so far, the worst of them at the
// root, ordered by better.
type Heap[T any] struct {
	k      int
	better func(a, b T) bool
	items  []T
}

// New returns an empty heap for the k best items under better.
func New[T any](k int, better func(a, b T) bool) *Heap[T] {
	return &Heap[T]{k: k, better: better}
}

// heap.Interface, with the worst item at the root.
func (h *Heap[T]) Len() int           { return len(h.items) }
func (h *Heap[T]) Less(i, j int) bool { return h.better(h.items[j], h.items[i]) }
func (h *Heap[T]) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *Heap[T]) Push(x any)         { h.items = append(h.items, x.(T)) }
func (h *Heap[T]) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// Offer adds x if it is among the k best and reports whether it was.
func (h *Heap[T]) Offer(x T) bool {
	if len(h.items) < h.k {
		heap.Push(h, x)
		return true
	}
	if h.k == 0 || !h.better(x, h.items[0]) {
		return false
	}
	h.items[0] = x
	heap.Fix(h, 0)
	return true
}

// Full reports whether the heap holds k items.
func (h *Heap[T]) Full() bool { return len(h.items) >= h.k }

// Worst returns the worst item kept; the heap must not be empty.
func (h *Heap[T]) Worst() T { return h.items[0] }

// Sorted returns the items best first.
func (h *Heap[T]) Sorted() []T {
	out := slices.Clone(h.items)
	slices.SortFunc(out, func(a, b T) int {
		switch {
		case h.better(a, b):
			return -1
		case h.better(b, a):
			return 1
		}
		return 0
	})
	return out
}
