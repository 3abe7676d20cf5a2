// Package ctxlimit holds the one rule every generation path applies to a
// model's context (its max_position_embeddings): the prompt and the tokens
// to generate must fit in it. It is checked before anything is allocated
// for a sequence, so an oversized input is an error, not an out-of-memory
// crash or a silent run past the positions the model was trained on.
package ctxlimit

import "fmt"

// Error says that a prompt and its generation budget do not fit in the
// model's context.
type Error struct {
	Prompt    int // prompt tokens
	MaxTokens int // tokens asked to generate
	Context   int // the model's positions
}

func (e *Error) Error() string {
	if e.Prompt >= e.Context {
		return fmt.Sprintf("prompt (%d tokens) leaves no room in the model's context of %d", e.Prompt, e.Context)
	}
	return fmt.Sprintf("prompt (%d tokens) + max_tokens (%d) exceeds the model's context of %d", e.Prompt, e.MaxTokens, e.Context)
}

// Check refuses a prompt of prompt tokens with a budget of maxTokens that
// exceeds context, as an OpenAI-compatible server answers 400. A context
// <= 0 is unknown and allows anything.
func Check(prompt, maxTokens, context int) error {
	if context > 0 && prompt+maxTokens > context {
		return &Error{Prompt: prompt, MaxTokens: maxTokens, Context: context}
	}
	return nil
}

// Fit is Check for local generation, which stops at the end of the
// context as it stops at the end of its budget: it returns maxTokens cut to
// the positions the prompt leaves, and refuses only a prompt that leaves
// none (a continuation needs at least one).
func Fit(prompt, maxTokens, context int) (int, error) {
	if context <= 0 {
		return maxTokens, nil
	}
	if prompt >= context {
		return 0, &Error{Prompt: prompt, MaxTokens: maxTokens, Context: context}
	}
	return min(maxTokens, context-prompt), nil
}
