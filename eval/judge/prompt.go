// Package judge asks an LLM whether a prediction answers a question, with
// the ReSearch paper's LLM-as-a-judge prompt, through any OpenAI-compatible
// chat-completions endpoint: temperature 0, JSON mode, a tolerant parser
// for the verdict, retries with backoff, and a verdict cache on disk so that
// a rerun asks nothing twice.
//
// Differences from the reference (scripts/evaluation/llm_judge.py), on
// purpose: a verdict that cannot be read after the retries is kept as a
// failure and reported, where the reference's executor drops the line from
// both numerator and denominator; and the verdict is read from JSON wrapped
// in code fences or prose, where the reference only takes bare JSON.
package judge

import (
	_ "embed"
	"strings"
)

//go:embed prompt.txt
var promptTemplate string

// Prompt fills the paper's judge prompt: {gt_answer} is Python's str() of
// the gold list, as the reference formats it.
func Prompt(question string, golds []string, pred string) string {
	// str.format substitutes once; a one-pass Replacer does the same.
	return strings.NewReplacer("{question}", question, "{gt_answer}", PyListRepr(golds), "{pred_answer}", pred).Replace(promptTemplate)
}
