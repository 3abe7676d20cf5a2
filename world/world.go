// Package world generates synthetic multi-hop worlds: entities with
// pronounceable random names (countries, cities, people, films,
// companies), their attributes and relations, one short passage per entity
// in the FlashRAG wiki18 corpus format, and questions in the shapes of the
// multi-hop benchmarks (2-hop bridge, 3-hop chain, comparison, yes/no) with
// gold answers and decompositions.
//
// A generation holds three worlds that share no entity and no name word:
// train, dev and test. Training questions come from the train world, dev
// and test questions from their own held-out worlds, so a model that
// answers a held-out question cannot have memorised the answer: it must
// search for it. All passages go into one corpus, as in the paper where
// every benchmark retrieves from the same Wikipedia, so retrieval must
// also tell the right world's entity from near-duplicate names in the
// others. Everything is drawn from one seed: the same Config gives the same
// bytes.
package world

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
)

// The splits, in generation order.
const (
	Train = "train"
	Dev   = "dev"
	Test  = "test"
)

// Splits lists the splits in generation order.
var Splits = []string{Train, Dev, Test}

// Config sizes a generation.
type Config struct {
	Seed uint64 `json:"seed"`
	// Entities is the size of the train world, HeldOut that of each of the
	// dev and test worlds.
	Entities int `json:"entities"`
	HeldOut  int `json:"held_out"`
	// Questions per split.
	TrainQuestions int `json:"train_questions"`
	DevQuestions   int `json:"dev_questions"`
	TestQuestions  int `json:"test_questions"`
	// NearDuplicates is the chance that a name is one vowel away from an
	// earlier name of the same type.
	NearDuplicates float64 `json:"near_duplicates"`
}

// DefaultConfig is sized for the CPU demo: a corpus of 700 passages and
// questions enough for a few hundred GRPO steps.
var DefaultConfig = Config{
	Seed:           1,
	Entities:       400,
	HeldOut:        150,
	TrainQuestions: 1000,
	DevQuestions:   200,
	TestQuestions:  200,
	NearDuplicates: 0.2,
}

// Generation is everything one Config produces.
type Generation struct {
	Config Config
	// Worlds holds the train, dev and test worlds in that order.
	Worlds []*World
	// Questions maps each split to its questions.
	Questions map[string][]Question
}

// Generate draws the three worlds and their questions.
func Generate(cfg Config) (*Generation, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := &Generation{Config: cfg, Questions: map[string][]Question{}}
	names := newNameBook(cfg.rng("names"), cfg.NearDuplicates)
	sizes := map[string]int{Train: cfg.Entities, Dev: cfg.HeldOut, Test: cfg.HeldOut}
	counts := map[string]int{Train: cfg.TrainQuestions, Dev: cfg.DevQuestions, Test: cfg.TestQuestions}
	for _, split := range Splits {
		w := buildWorld(split, sizes[split], cfg.rng("world "+split), names)
		qs, err := w.questions(counts[split], cfg.rng("questions "+split))
		if err != nil {
			return nil, err
		}
		g.Worlds = append(g.Worlds, w)
		g.Questions[split] = qs
	}
	return g, nil
}

func (cfg Config) validate() error {
	switch {
	case cfg.Entities < minEntities || cfg.HeldOut < minEntities:
		return fmt.Errorf("world: %d train and %d held-out entities, want at least %d each", cfg.Entities, cfg.HeldOut, minEntities)
	case cfg.TrainQuestions < 0 || cfg.DevQuestions < 0 || cfg.TestQuestions < 0:
		return fmt.Errorf("world: negative question count (%d train, %d dev, %d test)", cfg.TrainQuestions, cfg.DevQuestions, cfg.TestQuestions)
	case !(cfg.NearDuplicates >= 0 && cfg.NearDuplicates <= 0.9): // NaN too
		return fmt.Errorf("world: near-duplicate chance %g, want 0 to 0.9", cfg.NearDuplicates)
	}
	return nil
}

// rng returns a random stream of its own for each purpose, so that, for
// example, asking more training questions leaves the worlds unchanged.
func (cfg Config) rng(purpose string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(cfg.Seed, h.Sum64()))
}

// World returns the world of a split, or nil.
func (g *Generation) World(split string) *World {
	for _, w := range g.Worlds {
		if w.Split == split {
			return w
		}
	}
	return nil
}

// Corpus returns every passage of every world, train first: the one corpus
// all splits retrieve from.
func (g *Generation) Corpus() []Passage {
	var ps []Passage
	for _, w := range g.Worlds {
		ps = append(ps, w.Passages()...)
	}
	return ps
}

// PretrainDocuments returns the texts a language model and its tokenizer
// may be trained on: the train world's passages as the corpus holds them
// (title line, then text). Held-out worlds are left out, so that held-out
// answers can only come from search.
func (g *Generation) PretrainDocuments() []string {
	var docs []string
	for _, p := range g.World(Train).Passages() {
		docs = append(docs, p.Contents())
	}
	return docs
}
