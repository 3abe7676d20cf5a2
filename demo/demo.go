// Package demo runs the paper's experiment in miniature on a synthetic
// world: it builds the world and its index, takes (or pretrains) a base
// policy, evaluates closed-book generation, naive RAG and the ReSearch loop
// on held-out questions, trains the policy with GRPO, evaluates the
// ReSearch loop again, and reports EM and F1 per question type in the
// layout of the paper's Table 2.
package demo

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"research/agent"
	"research/dataset"
	"research/eval"
	"research/internal/safefile"
	"research/pretrain"
	"research/protocol"
	"research/rl/trainer"
	"research/rollout"
	"research/rollout/selfcorrect"
	"research/search/bm25"
	"research/world"
)

// World is the demo's world: 12,000 train questions over 6,000 entities,
// too many for a small base model to memorise, so it must learn to copy
// names from the question and the results; held-out dev and test worlds of
// 150 entities each.
var World = world.Config{Seed: 1, Entities: 6000, HeldOut: 150, TrainQuestions: 12000,
	DevQuestions: 200, TestQuestions: 200, NearDuplicates: 0.2}

// Config sizes a demo run.
type Config struct {
	Out   string
	World world.Config
	// Base is a base policy made by pretrain.Build for World; empty means
	// the shipped one (see base/README.md).
	Base string
	// Pretrain makes a new base policy instead, in Stages: the first from
	// scratch, each later one continuing the one before (about 55 minutes).
	Pretrain      bool
	Stages        []pretrain.Shape
	EvalQuestions int // held-out questions evaluated; 0 means all
	// EvalSplit is the held-out world the table reports on: world.Test
	// (the default when empty), or world.Dev, on which recipes and bases
	// are chosen so that the test world only reports.
	EvalSplit string
	TopK      int
	MaxTokens int // response budget of a rollout, results included
	// TrainTypes are the question types GRPO trains on; empty means all.
	// The demo trains on all four; trained on bridge and chain alone, as
	// the paper trains on MuSiQue, the policy still learns comparisons but
	// answers about half the yes/no questions as chains (bench/RESULTS.md).
	TrainTypes []world.QuestionType
	// Train overrides applied to trainer.Defaults. TrainSeed orders the
	// questions and seeds the rollouts' sampling (train.seed); another
	// seed measures how far the figures move with the draw alone.
	Steps, BatchSize, N int
	LR                  float64
	TrainSeed           uint64
	// Temperature samples the rollouts. The paper's 1.0 suits a 7B
	// model; a 1M-parameter base spreads its probability wider (base v8:
	// 0.37 nats per token; at 1.0 its rollouts answered 18 of 100
	// held-out questions against 42 greedy, at 0.7 32; bench/RESULTS.md),
	// so most groups would hold no right answer to learn from.
	Temperature float64
	// Recipe options, all off by default (rl/trainer's keys in brackets):
	// NoResultMask trains on the inserted results too, Search-R1's
	// ablation (algorithm.state_masking false); DynamicSampling drops
	// groups of tied rewards and rolls out more questions to refill, up
	// to 4 batches a step (algorithm.filter_groups); SkipZeroAdvantage
	// leaves tied groups out of the update (algorithm.skip_zero_advantage);
	// OverlongBuffer > 0 subtracts DAPO's soft overlong penalty over the
	// last OverlongBuffer tokens of the budget, factor 1
	// (reward_model.overlong_buffer).
	NoResultMask, DynamicSampling, SkipZeroAdvantage bool
	OverlongBuffer                                   int
}

// Defaults is the quick recipe: about 3 minutes on two AVX-512 cores (bench/RESULTS.md).
func Defaults(out string) Config {
	return Config{Out: out, World: World, Stages: pretrain.DefaultStages, EvalQuestions: 100,
		TopK: 3, MaxTokens: 1024, Steps: 50, BatchSize: 8, N: 5, LR: 1e-4, TrainSeed: 1, Temperature: 0.7,
		TrainTypes: slices.Clone(world.QuestionTypes)}
}

// Full is the longer recipe: more GRPO steps, every test question.
func Full(out string) Config {
	c := Defaults(out)
	c.EvalQuestions, c.Steps = 0, 200
	return c
}

// A method of the table: the ReSearch loop with some search access.
type method struct {
	title  string
	access rollout.Access
}

// The baselines are the ReSearch prompt and model with less retrieval: a
// base policy pretrained on ReSearch traces knows no other format, and
// FlashRAG's prompts would measure only that.
var (
	closedBook = method{"Closed-book (searches find nothing)", rollout.SearchNothing}
	naiveRAG   = method{"Naive RAG (the question's top-k, once)", rollout.SearchQuestion}
	beforeRL   = method{"ReSearch, before RL", rollout.SearchAny}
	afterRL    = method{"ReSearch, after RL", rollout.SearchAny}
)

// Row is one method's scores by question type.
type Row struct {
	Method   string
	EM, F1   map[string]float64 // by question type, and "all"
	N        map[string]int
	Searches float64 // per question
	// Errors counts questions that could not be run, SearchFailures the
	// searches that failed; the table shows them only when there are any.
	Errors, SearchFailures int
}

// Result is what a demo measured.
type Result struct {
	Rows     []Row
	Examples []*rollout.Trajectory // after RL, for the traces to show
	Types    map[string]string     // question type by question id
	Hops     map[string][]string   // each hop's answer by question id
	// AlwaysYes is the yes/no EM of answering "yes" to every yes/no
	// question evaluated: the held-out worlds are small, so their yes/no
	// questions are not balanced, and a policy that guesses scores this.
	AlwaysYes float64
	// Corrections counts self-corrections in the ReSearch loop before
	// and after RL.
	Corrections []Corrections
	// TrainStart and TrainEnd average the first and last steps of GRPO
	// (up to 5 each; all of train/metrics.jsonl holds the curves).
	TrainStart, TrainEnd trainer.Metrics
}

// Corrections is one method's self-corrections (rollout/selfcorrect, with
// each test question's hop answers).
type Corrections struct {
	Method string
	// Count is the self-corrections, Traces the traces with at least one,
	// of Questions evaluated.
	Count, Traces, Questions int
	Example                  *rollout.Trajectory // the first trace with one, if any
	ExampleSearches          []int               // its self-correcting searches, from 0
}

// Run runs the experiment, logging progress to log.
func Run(ctx context.Context, cfg Config, log io.Writer) (*Result, error) {
	cfg.EvalSplit = cmp.Or(cfg.EvalSplit, world.Test)
	split := cfg.EvalSplit
	if split != world.Test && split != world.Dev {
		return nil, fmt.Errorf("demo: evaluation split %q: want %s or %s", split, world.Dev, world.Test)
	}
	g, err := world.Generate(cfg.World)
	if err != nil {
		return nil, err
	}
	worldDir := filepath.Join(cfg.Out, "world")
	if err := g.WriteDir(worldDir); err != nil {
		return nil, err
	}
	base, err := basePolicy(g, cfg, log)
	if err != nil {
		return nil, err
	}
	indexDir := filepath.Join(cfg.Out, "index")
	ix, err := g.Index(indexDir)
	if err != nil {
		return nil, err
	}
	defer ix.Close()
	test := examplesOf(g.Questions[split], split, cfg.EvalQuestions)
	types := map[string]string{}
	hops := map[string][]string{}
	for _, q := range g.Questions[split] {
		types[q.ID] = string(q.Type)
		for _, s := range q.Decomposition {
			hops[q.ID] = append(hops[q.ID], s.Answer)
		}
	}

	res := &Result{Types: types, Hops: hops, AlwaysYes: alwaysYes(test, types)}
	for _, m := range []method{closedBook, naiveRAG, beforeRL} {
		fmt.Fprintf(log, "demo: evaluating %s\n", m.title)
		row, trajs, err := evaluate(ctx, base, ix, m, test, types, cfg)
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, row)
		if m == beforeRL {
			res.Corrections = append(res.Corrections, corrections(m.title, trajs, hops))
		}
	}

	fmt.Fprintln(log, "demo: training with GRPO")
	trainFile, err := writeTrainSet(g, cfg.TrainTypes, worldDir)
	if err != nil {
		return nil, err
	}
	tc := trainerConfig(cfg, base, trainFile, worldDir, indexDir)
	tr, err := trainer.New(tc)
	if err != nil {
		return nil, err
	}
	err = tr.Run(ctx, false)
	res.TrainStart, res.TrainEnd = trainEnds(tr.History(), 5)
	tr.Close()
	if err != nil {
		return nil, err
	}
	trained := filepath.Join(tc.Train.Out, "checkpoints", fmt.Sprintf("step-%06d", cfg.Steps))
	fmt.Fprintf(log, "demo: evaluating %s\n", afterRL.title)
	row, trajs, err := evaluate(ctx, trained, ix, afterRL, test, types, cfg)
	if err != nil {
		return nil, err
	}
	res.Rows = append(res.Rows, row)
	res.Examples = trajs
	res.Corrections = append(res.Corrections, corrections(afterRL.title, trajs, hops))
	return res, nil
}

// alwaysYes is the share of the yes/no examples whose answer is "yes".
func alwaysYes(examples []dataset.Example, types map[string]string) float64 {
	yes, n := 0, 0
	for _, ex := range examples {
		if types[ex.ID] == string(world.YesNo) {
			n++
			if slices.Contains(ex.Answers, "yes") {
				yes++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(yes) / float64(n)
}

// corrections counts the self-corrections of a method's traces.
func corrections(title string, trajs []*rollout.Trajectory, hops map[string][]string) Corrections {
	c := Corrections{Method: title, Questions: len(trajs)}
	for _, t := range trajs {
		if found := selfcorrect.Find(t, hops[t.ExampleID]); len(found) > 0 {
			c.Count += len(found)
			c.Traces++
			if c.Example == nil {
				c.Example, c.ExampleSearches = t, found
			}
		}
	}
	return c
}

// trainEnds averages the first and the last k training steps of a run's
// metrics: reward, searches per rollout and response length.
func trainEnds(history []trainer.Metrics, k int) (start, end trainer.Metrics) {
	var steps []trainer.Metrics
	for _, m := range history {
		if m.Phase == "train" {
			steps = append(steps, m)
		}
	}
	mean := func(ms []trainer.Metrics) trainer.Metrics {
		var out trainer.Metrics
		for _, m := range ms {
			out.RewardMean += m.RewardMean / float64(len(ms))
			out.SearchesPerRoll += m.SearchesPerRoll / float64(len(ms))
			out.ResponseTokens += m.ResponseTokens / float64(len(ms))
			out.InsertedTokens += m.InsertedTokens / float64(len(ms))
		}
		if len(ms) > 0 {
			out.Step = ms[len(ms)-1].Step
		}
		return out
	}
	k = min(k, len(steps))
	return mean(steps[:k]), mean(steps[len(steps)-k:])
}

// trainerConfig is the GRPO run of a demo: trainer.Defaults with the
// demo's sizes, data and recipe options.
func trainerConfig(cfg Config, base, trainFile, worldDir, indexDir string) trainer.Config {
	tc := trainer.Defaults()
	tc.Model, tc.Template = base, string(protocol.Base)
	tc.Data.Train = []string{trainFile}
	tc.Data.Val, tc.Data.ValSize = []string{filepath.Join(worldDir, world.QuestionFile(world.Dev))}, 50
	tc.Retriever.Index, tc.Retriever.TopK = indexDir, cfg.TopK
	tc.Rollout.N, tc.Rollout.MaxResponseTokens = cfg.N, cfg.MaxTokens
	tc.Optim.LR, tc.Rollout.Temperature = cfg.LR, cfg.Temperature
	tc.Train.Steps, tc.Train.BatchSize, tc.Train.Out = cfg.Steps, cfg.BatchSize, filepath.Join(cfg.Out, "train")
	tc.Train.Seed = cfg.TrainSeed
	tc.Train.ValEvery, tc.Train.SaveEvery = cfg.Steps, cfg.Steps
	tc.Algorithm.StateMasking = !cfg.NoResultMask
	tc.Algorithm.SkipZeroAdvantage = cfg.SkipZeroAdvantage
	if cfg.DynamicSampling {
		tc.Algorithm.FilterGroups = trainer.FilterGroups{Enable: true, Metric: trainer.MetricSeqReward, MaxNumGenBatches: 4}
	}
	if cfg.OverlongBuffer > 0 {
		tc.Reward.OverlongBuffer = trainer.OverlongBuffer{Enable: true, Len: cfg.OverlongBuffer, PenaltyFactor: 1}
	}
	return tc
}

// writeTrainSet writes the train questions of the given types (all if
// none) to a file beside the world's and returns its path.
func writeTrainSet(g *world.Generation, types []world.QuestionType, dir string) (string, error) {
	if len(types) == 0 {
		return filepath.Join(dir, world.QuestionFile(world.Train)), nil
	}
	var qs []world.Question
	for _, q := range g.Questions[world.Train] {
		if slices.Contains(types, q.Type) {
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		return "", fmt.Errorf("demo: no train questions of types %v", types)
	}
	path := filepath.Join(dir, "rl-train.jsonl")
	return path, safefile.Write(path, func(w io.Writer) error { return world.WriteQuestionList(w, qs) })
}

func examplesOf(qs []world.Question, split string, n int) []dataset.Example {
	if n > 0 && n < len(qs) {
		qs = qs[:n]
	}
	out := make([]dataset.Example, len(qs))
	for i, q := range qs {
		out[i] = dataset.Example{ID: q.ID, Question: q.Question, Answers: q.Answers, Source: split}
	}
	return out
}

// evaluate scores one method of the model in dir on the examples, greedy.
func evaluate(ctx context.Context, dir string, ix *bm25.Index, m method,
	examples []dataset.Example, types map[string]string, cfg Config) (Row, []*rollout.Trajectory, error) {
	// Greedy, on the world's index, which stays open across methods.
	a, err := agent.Open(agent.Config{Template: string(protocol.Base), Policy: agent.PolicyConfig{Model: dir}})
	if err != nil {
		return Row{}, nil, err
	}
	defer a.Close()
	ec := eval.Defaults(eval.Research, a.Template, a.EOSIDs, a.EOSText)
	ec.TopK, ec.MaxTokens, ec.Access = cfg.TopK, cfg.MaxTokens, m.access
	r := &eval.Runner{Policy: a.Policy, Retriever: ix, Tokenizer: a.Tokenizer, Config: ec}
	row := Row{Method: m.title, EM: map[string]float64{}, F1: map[string]float64{}, N: map[string]int{}}
	var trajs []*rollout.Trajectory
	err = r.Run(ctx, cfg.EvalSplit, examples, func(rec *eval.Record) error {
		for _, k := range []string{types[rec.ID], "all"} {
			row.EM[k] += rec.Metrics.EM
			row.F1[k] += rec.Metrics.F1
			row.N[k]++
		}
		row.SearchFailures += rec.SearchFailures()
		if rec.Error != "" {
			row.Errors++
		}
		if t := rec.Trajectory; t != nil {
			row.Searches += float64(len(t.Searches))
			trajs = append(trajs, t)
		}
		return nil
	})
	if err != nil {
		return Row{}, nil, err
	}
	for k, n := range row.N {
		row.EM[k] /= float64(n)
		row.F1[k] /= float64(n)
	}
	row.Searches /= float64(max(row.N["all"], 1))
	sort.Slice(trajs, func(i, j int) bool { return trajs[i].ExampleID < trajs[j].ExampleID })
	return row, trajs, nil
}

// Markdown renders the table: one row per method, EM / F1 per type.
func (r *Result) Markdown(w io.Writer) {
	types := []string{string(world.Bridge), string(world.Chain), string(world.Comparison), string(world.YesNo), "all"}
	fmt.Fprint(w, "| method |")
	for _, t := range types {
		fmt.Fprintf(w, " %s EM / F1 |", t)
	}
	fmt.Fprint(w, " searches |\n|---|")
	for range types {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w, "---|")
	for _, row := range r.Rows {
		fmt.Fprintf(w, "| %s |", row.Method)
		for _, t := range types {
			fmt.Fprintf(w, " %.1f / %.1f |", 100*row.EM[t], 100*row.F1[t])
		}
		fmt.Fprintf(w, " %.2f |\n", row.Searches)
	}
	if r.AlwaysYes > 0 {
		fmt.Fprintf(w, "\nAnswering \"yes\" to every yes/no question would score %.1f on them.\n", 100*r.AlwaysYes)
	}
	if what := r.Incomplete(); what != "" {
		fmt.Fprintf(w, "\nIncomplete: %s.\n", what)
	}
	if s, e := r.TrainStart, r.TrainEnd; e.Step > 0 {
		fmt.Fprintf(w, "\nGRPO, first → last steps (means of up to 5; curves in train/metrics.jsonl and train/plots): "+
			"reward %.3f → %.3f, searches per rollout %.2f → %.2f, response tokens written by the policy %.0f → %.0f, inserted %.0f → %.0f.\n",
			s.RewardMean, e.RewardMean, s.SearchesPerRoll, e.SearchesPerRoll, s.ResponseTokens, e.ResponseTokens, s.InsertedTokens, e.InsertedTokens)
	}
	r.correctionsMarkdown(w)
}

// correctionsMarkdown writes the self-correction counts and one example.
func (r *Result) correctionsMarkdown(w io.Writer) {
	if len(r.Corrections) == 0 {
		return
	}
	fmt.Fprintln(w, "\nSelf-correction: in a correctly answered trace, a search whose query differs from every earlier one, "+
		"made after a result that showed no hop answer not shown before, whose own result shows one (rollout/selfcorrect).")
	fmt.Fprintln(w, "\n| method | self-corrections | traces with one | rate |\n|---|---|---|---|")
	var example *Corrections
	for i, c := range r.Corrections {
		rate := 0.0
		if c.Questions > 0 {
			rate = 100 * float64(c.Traces) / float64(c.Questions)
		}
		fmt.Fprintf(w, "| %s | %d | %d of %d | %.1f%% |\n", c.Method, c.Count, c.Traces, c.Questions, rate)
		if c.Example != nil {
			example = &r.Corrections[i] // after RL's when it has one
		}
	}
	if example != nil {
		nums := make([]string, len(example.ExampleSearches))
		for i, k := range example.ExampleSearches {
			nums[i] = fmt.Sprint(k + 1)
		}
		fmt.Fprintf(w, "\nA self-correction (%s, question %s; search %s):\n\n```\n", example.Method, example.Example.ExampleID, strings.Join(nums, ", "))
		example.Example.Render(w, rollout.Style{})
		fmt.Fprintln(w, "```")
	}
}

// Incomplete names the rows with failed questions or searches, or is ""
// when every result is whole.
func (r *Result) Incomplete() string {
	var parts []string
	for _, row := range r.Rows {
		if row.Errors > 0 || row.SearchFailures > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d questions failed, %d searches failed", row.Method, row.Errors, row.SearchFailures))
		}
	}
	return strings.Join(parts, "; ")
}

// WriteReport writes the table to out/report.md.
func (r *Result) WriteReport(out string) error {
	f, err := os.Create(filepath.Join(out, "report.md"))
	if err != nil {
		return err
	}
	r.Markdown(f)
	return f.Close()
}
