package hnsw

import (
	"slices"
)

// cand is a node and its inner product with the query; larger is closer.
type cand struct {
	id    uint32
	score float32
}

// heap is a binary heap of candidates; best-first when max is set, else
// worst-first.
type heap struct {
	c   []cand
	max bool
}

func (h *heap) less(i, j int) bool {
	if h.max {
		return h.c[i].score > h.c[j].score
	}
	return h.c[i].score < h.c[j].score
}

func (h *heap) push(x cand) {
	h.c = append(h.c, x)
	for i := len(h.c) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.c[i], h.c[p] = h.c[p], h.c[i]
		i = p
	}
}

func (h *heap) pop() cand {
	top := h.c[0]
	last := len(h.c) - 1
	h.c[0] = h.c[last]
	h.c = h.c[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.less(l, m) {
			m = l
		}
		if r < last && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h.c[i], h.c[m] = h.c[m], h.c[i]
		i = m
	}
	return top
}

// visited marks nodes seen by one search; a new generation clears it.
type visited struct {
	gen   uint32
	marks []uint32
	nbrs  []uint32
}

func (g *Graph) getVisited() *visited {
	v, _ := g.pool.Get().(*visited)
	if v == nil || len(v.marks) != g.n {
		v = &visited{marks: make([]uint32, g.n)}
	}
	v.gen++
	if v.gen == 0 {
		clear(v.marks)
		v.gen = 1
	}
	return v
}

// greedy walks layer l from ep to the node closest to q.
func (g *Graph) greedy(s Space, q []float32, ep cand, l int, v *visited) cand {
	for changed := true; changed; {
		changed = false
		v.nbrs = g.neighbours(v.nbrs, int(ep.id), l)
		for _, nb := range v.nbrs {
			if sc := s.Dot(q, int(nb)); sc > ep.score {
				ep, changed = cand{nb, sc}, true
			}
		}
	}
	return ep
}

// searchLayer is the paper's algorithm 2: the ef nearest nodes to q on
// layer l reachable from eps, best first.
func (g *Graph) searchLayer(s Space, q []float32, eps []cand, ef, l int, v *visited) []cand {
	v.gen++
	if v.gen == 0 {
		clear(v.marks)
		v.gen = 1
	}
	todo := heap{max: true}
	found := heap{} // worst at the root
	for _, e := range eps {
		v.marks[e.id] = v.gen
		todo.push(e)
		found.push(e)
	}
	for len(found.c) > ef {
		found.pop()
	}
	for len(todo.c) > 0 {
		c := todo.pop()
		if len(found.c) >= ef && c.score < found.c[0].score {
			break
		}
		v.nbrs = g.neighbours(v.nbrs, int(c.id), l)
		for _, nb := range v.nbrs {
			if v.marks[nb] == v.gen {
				continue
			}
			v.marks[nb] = v.gen
			sc := s.Dot(q, int(nb))
			if len(found.c) < ef || sc > found.c[0].score {
				todo.push(cand{nb, sc})
				found.push(cand{nb, sc})
				if len(found.c) > ef {
					found.pop()
				}
			}
		}
	}
	out := found.c
	slices.SortFunc(out, func(a, b cand) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return int(a.id) - int(b.id)
	})
	return out
}

// Search returns the k vectors of s with the largest inner product with q
// that the graph finds with a candidate list of ef (at least k), best first.
func (g *Graph) Search(s Space, q []float32, k, ef int) []Result {
	if g.n == 0 || k <= 0 {
		return nil
	}
	ef = max(ef, k)
	v := g.getVisited()
	defer g.pool.Put(v)
	ep := cand{uint32(g.entry), s.Dot(q, g.entry)}
	for l := g.maxLevel; l > 0; l-- {
		ep = g.greedy(s, q, ep, l, v)
	}
	found := g.searchLayer(s, q, []cand{ep}, ef, 0, v)
	out := make([]Result, min(k, len(found)))
	for i := range out {
		out[i] = Result{int(found[i].id), found[i].score}
	}
	return out
}
