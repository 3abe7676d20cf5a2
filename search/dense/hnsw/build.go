package hnsw

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Build links every vector of s. Nodes are inserted by p.Workers goroutines
// at once, each holding a node's lock only while it reads or rewrites that
// node's links.
func Build(ctx context.Context, s Space, p Params) (*Graph, error) {
	p.setDefaults()
	if p.Workers <= 0 {
		p.Workers = runtime.GOMAXPROCS(0)
	}
	levels, err := randomLevels(s.Len(), p.M, p.Seed)
	if err != nil {
		return nil, err
	}
	g := newGraph(levels, p.M, p.EfConstruction)
	if g.n == 0 {
		return g, nil
	}
	g.locks = make([]sync.Mutex, g.n)
	g.entry, g.maxLevel = 0, int(levels[0])
	var next atomic.Int64
	next.Store(1)
	var wg sync.WaitGroup
	for range p.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := s.Dim()
			b := &inserter{g: g, s: s, q: make([]float32, d), nv: make([]float32, d), cv: make([]float32, d)}
			done := 0
			for {
				i := int(next.Add(1) - 1)
				if i >= g.n || ctx.Err() != nil {
					break
				}
				b.insert(i)
				if done++; done == 256 && p.Progress != nil {
					p.Progress(done)
					done = 0
				}
			}
			if p.Progress != nil && done > 0 {
				p.Progress(done)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g.locks = nil
	return g, nil
}

// inserter holds one build goroutine's buffers.
type inserter struct {
	g         *Graph
	s         Space
	q, nv, cv []float32 // the new node's, a neighbour's and a candidate's vectors
	v         *visited
	sel       []cand
}

// insert is the paper's algorithm 1 for node i.
func (b *inserter) insert(i int) {
	g := b.g
	if b.v == nil {
		b.v = &visited{marks: make([]uint32, g.n)}
	}
	q := b.s.Vector(i, b.q)
	level := int(g.levels[i])
	g.mu.Lock()
	entry, top := g.entry, g.maxLevel
	grow := level > top
	if !grow {
		g.mu.Unlock()
	}
	ep := cand{uint32(entry), b.s.Dot(q, entry)}
	for l := top; l > level; l-- {
		ep = g.greedy(b.s, q, ep, l, b.v)
	}
	eps := []cand{ep}
	for l := min(level, top); l >= 0; l-- {
		found := g.searchLayer(b.s, q, eps, g.efC, l, b.v)
		nbrs := b.selectNeighbours(found, g.m)
		g.locks[i].Lock()
		slot := g.links(i, l)
		slot[0] = uint32(len(nbrs))
		for j, c := range nbrs {
			slot[1+j] = c.id
		}
		g.locks[i].Unlock()
		for _, c := range nbrs {
			b.link(int(c.id), i, l, c.score)
		}
		eps = found
	}
	if grow {
		g.entry, g.maxLevel = i, level
		g.mu.Unlock()
	}
}

// link adds new to node n's links on layer l, pruning by the heuristic
// when n is full. score is their inner product.
func (b *inserter) link(n, new, l int, score float32) {
	g := b.g
	capacity := g.m
	if l == 0 {
		capacity = g.m0
	}
	g.locks[n].Lock()
	defer g.locks[n].Unlock()
	slot := g.links(n, l)
	if cnt := int(slot[0]); cnt < capacity {
		slot[1+cnt] = uint32(new)
		slot[0]++
		return
	}
	nv := b.s.Vector(n, b.nv)
	cands := []cand{{uint32(new), score}}
	for _, id := range slot[1 : 1+capacity] {
		cands = append(cands, cand{id, b.s.Dot(nv, int(id))})
	}
	sortBest(cands)
	kept := b.selectNeighbours(cands, capacity)
	slot[0] = uint32(len(kept))
	for j, c := range kept {
		slot[1+j] = c.id
	}
}

// selectNeighbours is the paper's heuristic (algorithm 4) over candidates
// sorted best first: a candidate is kept only if it is closer to the base
// than to every neighbour already kept, which spreads links across
// clusters instead of spending them all on the nearest one.
func (b *inserter) selectNeighbours(cands []cand, m int) []cand {
	sel := b.sel[:0]
	for _, c := range cands {
		if len(sel) >= m {
			break
		}
		cv := b.s.Vector(int(c.id), b.cv)
		ok := true
		for _, r := range sel {
			if b.s.Dot(cv, int(r.id)) > c.score {
				ok = false
				break
			}
		}
		if ok {
			sel = append(sel, c)
		}
	}
	b.sel = sel
	return append([]cand(nil), sel...)
}

func sortBest(c []cand) {
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j].score > c[j-1].score; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}
