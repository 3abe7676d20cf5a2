package rollout_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"research/dataset"
	"research/internal/ctxlimit"
	"research/protocol"
	"research/rollout"
	"research/rollout/rollouttest"
)

// limitedPolicy is a scripted policy on a model of limit positions.
type limitedPolicy struct {
	*rollouttest.ScriptedPolicy
	limit int
}

func (p limitedPolicy) MaxContext() int { return p.limit }

// TestContextLimit: the response budget is cut to what the prompt leaves
// of the context, results included, so no request goes past it; a prompt
// that leaves nothing stops the run naming the question and the limit, or,
// with OnUnfit, is handed over while the others run.
func TestContextLimit(t *testing.T) {
	tok := rollouttest.ByteTokenizer{}
	limit := len(tok.Encode(protocol.Instruct.Prompt(question.Question))) + 60
	long := dataset.Example{ID: "q-long", Question: strings.Repeat("word ", 100), Answers: []string{"x"}}
	script := map[string][]string{"0": {"<search>dune</search>", "<search>again</search>", "<answer>x</answer><|im_end|>"}}

	r, sp := newRunner(script, &rollouttest.Retriever{}, nil)
	r.Policy = limitedPolicy{sp, limit}
	trajs := run(t, r)
	if tr := trajs[0]; len(tr.Prompt)+len(tr.Response) > limit || tr.Finish != rollout.EndLength {
		t.Errorf("%d + %d tokens on a context of %d, finish %s; want the response cut at the context", len(tr.Prompt), len(tr.Response), limit, tr.Finish)
	}
	for _, req := range sp.Requests() {
		if len(req.Tokens)+req.MaxTokens > limit {
			t.Errorf("request of %d + %d tokens on a context of %d", len(req.Tokens), req.MaxTokens, limit)
		}
	}

	r, sp = newRunner(script, &rollouttest.Retriever{}, nil)
	r.Policy = limitedPolicy{sp, limit}
	_, err := r.Run(context.Background(), []dataset.Example{question, long})
	if !errors.As(err, new(*ctxlimit.Error)) || !strings.Contains(err.Error(), `"q-long"`) {
		t.Errorf("a prompt beyond the context: %v, want an error naming q-long", err)
	}

	r, sp = newRunner(script, &rollouttest.Retriever{}, nil)
	r.Policy = limitedPolicy{sp, limit}
	var unfit []string
	r.OnUnfit = func(tr *rollout.Trajectory, err error) { unfit = append(unfit, tr.ExampleID+": "+err.Error()) }
	trajs, err = r.Run(context.Background(), []dataset.Example{question, long})
	if err != nil || len(unfit) != 1 || !strings.Contains(unfit[0], "q-long") || trajs[0].Finish == "" {
		t.Errorf("with OnUnfit: error %v, unfit %q, first finish %q", err, unfit, trajs[0].Finish)
	}
}
