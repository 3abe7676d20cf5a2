package view

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"research/protocol"
	"research/rl"
	"research/rollout"
)

// DumpRef names one trajectory dump of a training run.
type DumpRef struct {
	Phase string // "train" or "val"
	Step  int
	path  string
}

// Name is the dump's path inside the run, for error messages.
func (d DumpRef) Name() string { return filepath.Join("rollouts", filepath.Base(d.path)) }

var dumpName = regexp.MustCompile(`^(train|val)-step([0-9]{1,9})\.jsonl$`)

// listDumps lists the run's dumps by phase and step from the directory
// alone: nothing is read until a step is opened.
func (r *Run) listDumps() ([]DumpRef, error) {
	if r.TrainDir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(filepath.Join(r.TrainDir, "rollouts"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []DumpRef
	for _, e := range entries {
		m := dumpName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		step, _ := strconv.Atoi(m[2])
		out = append(out, DumpRef{Phase: m[1], Step: step, path: filepath.Join(r.TrainDir, "rollouts", e.Name())})
	}
	slices.SortFunc(out, func(a, b DumpRef) int {
		return cmp.Or(cmp.Compare(a.Step, b.Step), cmp.Compare(a.Phase, b.Phase))
	})
	return out, nil
}

// dump finds the dump of phase at step without listing the directory.
func (r *Run) dump(phase string, step int) (DumpRef, bool) {
	if r.TrainDir == "" || (phase != "train" && phase != "val") || step < 0 {
		return DumpRef{}, false
	}
	p := filepath.Join(r.TrainDir, "rollouts", fmt.Sprintf("%s-step%06d.jsonl", phase, step))
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return DumpRef{}, false
	}
	return DumpRef{Phase: phase, Step: step, path: p}, true
}

// Rollout is a trajectory with what the pages show beside it.
type Rollout struct {
	Index     int // in the dump, the rollout's URL
	T         *rollout.Trajectory
	Type      string // question type, when the data file gives one
	Advantage float64
	HasAdv    bool // train steps only: a validation has no groups
	Answer    string
	HasAnswer bool
	Policy    int // tokens written by the policy
	Inserted  int // tokens of inserted results
}

// Group is the rollouts of one question in a step.
type Group struct {
	ExampleID string
	Question  string
	Golds     []string
	Type      string
	Members   []int // indexes into Step.Rollouts
	MeanR     float64
}

// Step is a parsed dump.
type Step struct {
	Ref      DumpRef
	Rollouts []Rollout
	Groups   []Group
}

// dumpCache keeps the last few parsed dumps; an entry is used only while
// the file's size and time are unchanged.
type dumpCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]*dumpEntry
	order   []string // least recently used first
}

type dumpEntry struct {
	size int64
	mod  time.Time
	step *Step
}

func newDumpCache(n int) *dumpCache { return &dumpCache{max: n, entries: map[string]*dumpEntry{}} }

// step parses a dump, or returns it from the cache.
func (r *Run) step(ref DumpRef) (*Step, error) {
	st, err := os.Stat(ref.path)
	if err != nil {
		return nil, err
	}
	c := r.dumps
	c.mu.Lock()
	if e, ok := c.entries[ref.path]; ok && e.size == st.Size() && e.mod.Equal(st.ModTime()) {
		c.touch(ref.path)
		c.mu.Unlock()
		return e.step, nil
	}
	c.mu.Unlock()

	s, err := r.parseStep(ref)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[ref.path]; !ok && len(c.order) >= c.max {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	c.entries[ref.path] = &dumpEntry{size: st.Size(), mod: st.ModTime(), step: s}
	c.touch(ref.path)
	return s, nil
}

func (c *dumpCache) touch(path string) {
	if i := slices.Index(c.order, path); i >= 0 {
		c.order = slices.Delete(c.order, i, i+1)
	}
	c.order = append(c.order, path)
}

func (r *Run) parseStep(ref DumpRef) (*Step, error) {
	f, err := os.Open(ref.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	trajs, err := rollout.ReadJSONL(f, ref.Name())
	if err != nil {
		return nil, err
	}
	return r.newStep(ref, trajs), nil
}

// newStep groups trajectories by question, in the order the questions
// first appear, and computes the advantages the trainer used.
func (r *Run) newStep(ref DumpRef, trajs []*rollout.Trajectory) *Step {
	s := &Step{Ref: ref, Rollouts: make([]Rollout, len(trajs))}
	groupOf := map[string]int{}
	ids := make([]int, len(trajs))
	rewards := make([]float64, len(trajs))
	tokens := make([]int, len(trajs))
	for i, t := range trajs {
		g, ok := groupOf[t.ExampleID]
		if !ok {
			g = len(s.Groups)
			groupOf[t.ExampleID] = g
			s.Groups = append(s.Groups, Group{ExampleID: t.ExampleID, Question: t.Question, Golds: t.Golds, Type: r.types.lookup(t.ExampleID)})
		}
		s.Groups[g].Members = append(s.Groups[g].Members, i)
		s.Groups[g].MeanR += t.Reward
		ids[i], rewards[i] = g, t.Reward
		ro := Rollout{Index: i, T: t, Type: s.Groups[g].Type, Policy: t.PolicyTokens()}
		ro.Inserted = len(t.Response) - ro.Policy
		ro.Answer, ro.HasAnswer = protocol.ExtractAnswer(t.ResponseText)
		tokens[i] = ro.Policy
		s.Rollouts[i] = ro
	}
	for g := range s.Groups {
		s.Groups[g].MeanR /= float64(len(s.Groups[g].Members))
	}
	if ref.Phase == "train" {
		if adv, err := rl.Advantages(r.estimator(), rewards, ids, tokens); err == nil {
			for i, a := range adv {
				if !math.IsNaN(a) && !math.IsInf(a, 0) {
					s.Rollouts[i].Advantage, s.Rollouts[i].HasAdv = a, true
				}
			}
		}
	}
	return s
}

// estimator is the run's advantage estimator; GRPO, the trainer's default,
// when the config does not say.
func (r *Run) estimator() rl.Estimator {
	if r.Config != nil {
		if e, err := rl.ParseEstimator(r.Config.Algorithm.Advantage); err == nil {
			return e
		}
	}
	return rl.GRPO
}
