// Package hnsw is a Hierarchical Navigable Small World graph (Malkov and
// Yashunin, 2016) for maximum-inner-product search over normalized vectors:
// neighbours chosen by the paper's heuristic (algorithm 4), built by several
// goroutines at once, saved as one flat file that is searched in place from
// a memory mapping.
//
// The graph holds only links; the vectors stay with the caller behind the
// Space interface, so the same graph serves f32, f16 or int8 storage.
package hnsw

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// Space gives the graph access to the vectors it links.
type Space interface {
	Len() int
	Dim() int
	// Dot returns q·v_i.
	Dot(q []float32, i int) float32
	// Vector returns v_i as float32: written into dst (Dim long), or a
	// read-only view of storage that already holds float32.
	Vector(i int, dst []float32) []float32
}

// Params are the build parameters.
type Params struct {
	M              int    // links per node above layer 0 (2·M on layer 0); default 16
	EfConstruction int    // candidate list size while building; default 200
	Seed           uint64 // for the random layer assignment
	Workers        int    // build goroutines; default GOMAXPROCS
	Progress       func(n int)
}

func (p *Params) setDefaults() {
	if p.M <= 0 {
		p.M = 16
	}
	if p.EfConstruction <= 0 {
		p.EfConstruction = 200
	}
}

// Graph is an HNSW graph over n vectors. Node i's links on layer l are a
// count followed by capacity slots of ids: layer 0 in one array of
// n·(1+M0) words, upper layers packed node after node from upperOff[i].
type Graph struct {
	n, m, m0, efC   int
	entry, maxLevel int
	levels          []uint8
	level0          []uint32
	upper           []uint32
	upperOff        []int // start of node i's upper layers in upper

	locks []sync.Mutex // per node, while building only
	mu    sync.Mutex   // entry and maxLevel, while building
	pool  sync.Pool    // *visited
}

// Result is one hit: the vector's index and its inner product with the query.
type Result struct {
	ID    int
	Score float32
}

// Len is the number of nodes.
func (g *Graph) Len() int { return g.n }

// M is the link count parameter the graph was built with.
func (g *Graph) M() int { return g.m }

// EfConstruction is the build's candidate list size.
func (g *Graph) EfConstruction() int { return g.efC }

// newGraph allocates the link arrays for the given node levels.
func newGraph(levels []uint8, m, efC int) *Graph {
	n := len(levels)
	g := &Graph{n: n, m: m, m0: 2 * m, efC: efC, levels: levels, upperOff: make([]int, n+1)}
	for i, l := range levels {
		g.upperOff[i+1] = g.upperOff[i] + int(l)*(1+m)
	}
	g.level0 = make([]uint32, n*(1+g.m0))
	g.upper = make([]uint32, g.upperOff[n])
	return g
}

// links returns node i's slot on layer l: the count, then the capacity.
func (g *Graph) links(i, l int) []uint32 {
	if l == 0 {
		return g.level0[i*(1+g.m0) : (i+1)*(1+g.m0)]
	}
	off := g.upperOff[i] + (l-1)*(1+g.m)
	return g.upper[off : off+1+g.m]
}

// neighbours appends node i's links on layer l to dst, under the node's
// lock while building.
func (g *Graph) neighbours(dst []uint32, i, l int) []uint32 {
	if g.locks != nil {
		g.locks[i].Lock()
		defer g.locks[i].Unlock()
	}
	s := g.links(i, l)
	return append(dst[:0], s[1:1+s[0]]...)
}

// randomLevels draws every node's top layer from the exponential
// distribution of the paper, mL = 1/ln M.
func randomLevels(n, m int, seed uint64) ([]uint8, error) {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	ml := 1 / math.Log(float64(m))
	levels := make([]uint8, n)
	for i := range levels {
		l := int(-math.Log(1-rng.Float64()) * ml)
		if l > 60 {
			return nil, fmt.Errorf("hnsw: drew layer %d; M = %d is too small", l, m)
		}
		levels[i] = uint8(l)
	}
	return levels, nil
}
