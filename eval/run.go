package eval

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"research/dataset"
	"research/internal/ctxlimit"
	"research/protocol"
	"research/reward"
	"research/rollout"
	"research/score"
	"research/search"
)

// Config holds the knobs of an evaluation; Defaults gives the paper's.
type Config struct {
	Method    Method
	Template  protocol.Template // instruct: chat prompts (FlashRAG's is_chat); base: plain text
	TopK      int               // passages per retrieval
	MaxTokens int               // generation budget (see the package doc)
	// MaxPromptTokens bounds a baseline's prompt: a longer one keeps its
	// first and last halves (FlashRAG's generator_max_input_len).
	MaxPromptTokens int
	Workers         int // questions in flight
	// Access restricts the ReSearch method's retrieval, for baselines in
	// its own format (closed-book, retrieve once); see rollout.Access.
	Access  rollout.Access
	EOSIDs  []int
	EOSText string // the eos_token text the ReSearch reward expects
}

// Defaults returns the paper's settings for a method.
func Defaults(m Method, tpl protocol.Template, eosIDs []int, eosText string) Config {
	return Config{Method: m, Template: tpl, TopK: 5, MaxTokens: 8192, MaxPromptTokens: 8192, Workers: 8, EOSIDs: eosIDs, EOSText: eosText}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if _, err := ParseMethod(string(c.Method)); err != nil {
		return err
	}
	if _, err := protocol.ParseTemplate(string(c.Template)); err != nil {
		return err
	}
	switch {
	case c.TopK <= 0 || c.MaxTokens <= 0 || c.MaxPromptTokens < 2 || c.Workers <= 0:
		return fmt.Errorf("eval: top-k %d, max tokens %d, max prompt tokens %d and workers %d must be > 0 (max prompt tokens >= 2)",
			c.TopK, c.MaxTokens, c.MaxPromptTokens, c.Workers)
	case len(c.EOSIDs) == 0 || c.EOSText == "":
		return errors.New("eval: EOS ids and EOS text are required")
	case c.Access != rollout.SearchAny && c.Method != Research:
		return fmt.Errorf("eval: search access %q applies to the %s method only", c.Access, Research)
	}
	return nil
}

// Runner evaluates examples with one method.
type Runner struct {
	Policy    rollout.Policy
	Retriever search.Retriever
	Tokenizer rollout.Tokenizer
	Config    Config
}

// Run evaluates every example of one dataset and passes each record to
// done as soon as it is ready (from many goroutines, one at a time). An
// error from done or from the policy stops the run; records already passed
// to done stay valid.
func (r *Runner) Run(ctx context.Context, datasetName string, examples []dataset.Example, done func(*Record) error) error {
	if err := r.Config.Validate(); err != nil {
		return err
	}
	if r.Config.Method == Research {
		return r.runResearch(ctx, datasetName, examples, done)
	}
	// The first error stops the run: no more examples start, and those
	// under way see their context cancelled.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(min(r.Config.Workers, max(len(examples), 1)))
	var mu sync.Mutex // done is called one record at a time
	for _, ex := range examples {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			rec, err := r.baseline(gctx, datasetName, ex)
			if err != nil && errors.As(err, new(*ctxlimit.Error)) {
				// One question too long for the model is a failed
				// question, not a failed run.
				rec, err = failedRecord(datasetName, r.Config.Method, ex, fmt.Errorf("example %q: %w", ex.ID, err)), nil
			}
			if err != nil {
				return fmt.Errorf("example %q: %w", ex.ID, err)
			}
			mu.Lock()
			defer mu.Unlock()
			return done(rec)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// EmptyQueryText is what FlashRAG's ReSearchPipeline inserts as the result
// of an empty <search></search>.
const EmptyQueryText = "nothing to search"

// runResearch runs the ReSearch loop greedily, once per question.
func (r *Runner) runResearch(ctx context.Context, datasetName string, examples []dataset.Example, done func(*Record) error) error {
	cfg := rollout.Defaults(r.Config.Template, r.Config.EOSIDs, r.Config.EOSText)
	cfg.N, cfg.TopK, cfg.MaxResponseTokens, cfg.MaxConcurrent = 1, r.Config.TopK, r.Config.MaxTokens, r.Config.Workers
	cfg.Access = r.Config.Access
	// ReSearchPipeline inserts this for an empty query, where the training
	// rollout inserts "invalid query".
	cfg.EmptyQueryText = EmptyQueryText
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var doneErr error
	emit := func(rec *Record) { // called one at a time
		if doneErr != nil {
			return
		}
		if doneErr = done(rec); doneErr != nil {
			cancel()
		}
	}
	loop := &rollout.Runner{Policy: r.Policy, Retriever: r.Retriever, Tokenizer: r.Tokenizer, Config: cfg,
		OnDone: func(t *rollout.Trajectory) {
			score.All(score.ReSearch{}, t) // the record's trajectory shows its reward
			emit(researchRecord(datasetName, t))
		},
		OnUnfit: func(t *rollout.Trajectory, err error) {
			emit(failedRecord(datasetName, Research, dataset.Example{ID: t.ExampleID, Question: t.Question, Answers: t.Golds}, err))
		}}
	_, err := loop.Run(ctx, examples)
	if doneErr != nil {
		return doneErr
	}
	return err
}

// researchRecord takes the prediction as FlashRAG's ReSearchPipeline
// does: empty when the budget ran out, else the \boxed{} answer inside
// <answer>, read by the same functions, in the same order, as the reward.
func researchRecord(datasetName string, t *rollout.Trajectory) *Record {
	pred := ""
	if t.Finish != rollout.EndLength {
		pred, _ = protocol.ExtractAnswer(t.ResponseText)
	}
	return &Record{
		Version: RecordVersion, Dataset: datasetName, ID: t.ExampleID, Method: Research,
		Question: t.Question, Golds: t.Golds, Prediction: pred, Metrics: reward.Evaluate(pred, t.Golds),
		Finish: t.Finish, Tokens: t.PolicyTokens(), Trajectory: t,
	}
}
