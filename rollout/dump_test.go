package rollout_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"research/rollout"
	"research/rollout/rollouttest"
	"research/score"
)

func TestDumpRoundTrip(t *testing.T) {
	r, _ := newRunner(map[string][]string{"0": {turn1, answer}, "1": {answer}}, &rollouttest.Retriever{}, nil)
	trajs := run(t, r)
	var buf bytes.Buffer
	if err := rollout.WriteJSONL(&buf, trajs); err != nil {
		t.Fatal(err)
	}
	back, err := rollout.ReadJSONL(&buf, "dump")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, trajs) {
		t.Errorf("round trip changed the trajectories")
	}
	// Re-scoring a read dump gives the same rewards.
	for i, tr := range back {
		tr.Reward, tr.Reason = -1, ""
		score.All(score.ReSearch{}, tr)
		if tr.Reward != trajs[i].Reward || tr.Reason != trajs[i].Reason {
			t.Errorf("re-scored %v %q, was %v %q", tr.Reward, tr.Reason, trajs[i].Reward, trajs[i].Reason)
		}
	}
}

func TestDumpErrors(t *testing.T) {
	tests := []struct{ input, want string }{
		{"{\"version\":1}\nnope\n", "dump:2: not a trajectory record"},
		{`{"version":7}`, "dump:1: trajectory format version 7"},
		{`{"version":1,"response_ids":[1,2],"loss_mask":[1],"logprobs":[0,0]}`, "dump:1: 2 response ids, 1 mask entries"},
	}
	for _, tt := range tests {
		_, err := rollout.ReadJSONL(strings.NewReader(tt.input), "dump")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.input, err, tt.want)
		}
	}
}

func TestRender(t *testing.T) {
	r, _ := newRunner(map[string][]string{"0": {turn1, answer}}, &rollouttest.Retriever{}, nil)
	tr := run(t, r)[0]
	var plain, color bytes.Buffer
	tr.Render(&plain, rollout.Style{})
	tr.Render(&color, rollout.ANSI)
	for _, want := range []string{tr.Question, "<search> director of Dune </search>", `search 1: "director of Dune" → 2 docs`, "reward: 1 (correct answer"} {
		if !strings.Contains(plain.String(), want) {
			t.Errorf("plain trace lacks %q:\n%s", want, plain.String())
		}
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain trace has escape codes")
	}
	if !strings.Contains(color.String(), rollout.ANSI.Search+"<search> director of Dune </search>"+rollout.ANSI.Reset) {
		t.Errorf("coloured trace does not colour the query:\n%q", color.String())
	}
}
