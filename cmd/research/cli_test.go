package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// runCLI runs the research command line with args and returns its standard
// output and error streams. Flags keep their values between executions of
// one command tree, so every flag is first reset to its default.
func runCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	resetFlags(rootCmd)
	var out, errOut bytes.Buffer
	rootCmd.SetIn(strings.NewReader(stdin))
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	rootCmd.SetArgs(args)
	err = rootCmd.Execute()
	return out.String(), errOut.String(), err
}

func resetFlags(cmd *cobra.Command) {
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			var def []string // DefValue prints a slice as "[a,b]"
			if d := strings.Trim(f.DefValue, "[]"); d != "" {
				def = strings.Split(d, ",")
			}
			sv.Replace(def)
		} else {
			f.Value.Set(f.DefValue)
		}
		f.Changed = false
	})
	for _, c := range cmd.Commands() {
		resetFlags(c)
	}
}

func decodeLines(t *testing.T, text string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		recs = append(recs, rec)
	}
	return recs
}

// TestScoreConformance pipes the 300 reference-scored rollouts through
// `research score` and compares every score and reason.
func TestScoreConformance(t *testing.T) {
	out, summary, err := runCLI(t, "", "score", "../../reward/testdata/reward_cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	recs := decodeLines(t, out)
	if len(recs) != 300 {
		t.Fatalf("%d records out, want 300", len(recs))
	}
	for _, r := range recs {
		if math.Abs(r["score"].(float64)-r["expected_score"].(float64)) > 1e-9 || r["reason"] != r["expected_reason"] {
			t.Errorf("%v: score %v %q, want %v %q", r["id"], r["score"], r["reason"], r["expected_score"], r["expected_reason"])
		}
	}
	if !strings.HasPrefix(summary, "300 rollouts, mean score") {
		t.Errorf("summary %q", summary)
	}
}

// TestMetricsConformance pipes FlashRAG's scored predictions through
// `research metrics` on standard input.
func TestMetricsConformance(t *testing.T) {
	data, err := os.ReadFile("../../reward/testdata/metric_cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	want := decodeLines(t, string(data))
	out, summary, err := runCLI(t, string(data), "metrics", "-")
	if err != nil {
		t.Fatal(err)
	}
	got := decodeLines(t, out)
	if len(got) != len(want) {
		t.Fatalf("%d records out, want %d", len(got), len(want))
	}
	for i := range want {
		for _, k := range []string{"em", "acc", "f1"} {
			if math.Abs(got[i][k].(float64)-want[i][k].(float64)) > 1e-9 {
				t.Errorf("%v %s = %v, want %v", want[i]["id"], k, got[i][k], want[i][k])
			}
		}
		if got[i]["normalized_prediction"] != want[i]["normalized_prediction"] {
			t.Errorf("%v normalized_prediction = %q, want %q", want[i]["id"], got[i]["normalized_prediction"], want[i]["normalized_prediction"])
		}
	}
	if !strings.HasPrefix(summary, "300 predictions: em") {
		t.Errorf("summary %q", summary)
	}
}

func TestScoreInputErrors(t *testing.T) {
	tests := []struct{ stdin, want string }{
		{`{"solution_str":"x","ground_truth":["a"]}` + "\nnot json\n", "<stdin>:2: want one JSON object per line"},
		{`{"ground_truth":["a"]}`, `<stdin>:1: missing field "solution_str"`},
		{`{"solution_str":"x","ground_truth":{"a":1}}`, `<stdin>:1: field "ground_truth"`},
		{`{"solution_str":"x","ground_truth":"a","eos_token":7}`, `<stdin>:1: field "eos_token"`},
		{"\n\n", "<stdin>: no records"},
		{`[1,2]`, "<stdin>:1: want one JSON object per line"},
	}
	for _, tt := range tests {
		_, _, err := runCLI(t, tt.stdin, "score")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("score on %q: error %v, want %q", tt.stdin, err, tt.want)
		}
	}
	if _, _, err := runCLI(t, "", "score", "does/not/exist.jsonl"); err == nil || !strings.Contains(err.Error(), "does/not/exist.jsonl") {
		t.Errorf("missing file: error %v", err)
	}
}

func TestScoreInfersEOS(t *testing.T) {
	const response = "<think> a </think> <answer> \\boxed{Paris} </answer>"
	tests := []struct{ solution, want string }{
		{"<|im_start|>assistant\n" + response + "<|im_end|>", "correct answer, get f1 score: 1.0"},
		{"User: q. Assistant: " + response + "<|endoftext|>", "correct answer, get f1 score: 1.0"},
		{"User: q. Assistant: " + response + "<|im_end|>", "over length"},
	}
	for _, tt := range tests {
		in, _ := json.Marshal(map[string]any{"solution_str": tt.solution, "ground_truth": "Paris"})
		out, _, err := runCLI(t, string(in), "score")
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeLines(t, out)[0]["reason"]; got != tt.want {
			t.Errorf("%q: reason %q, want %q", tt.solution, got, tt.want)
		}
	}
}
