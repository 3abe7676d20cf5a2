// Package protocol holds the text protocol of ReSearch: the prompt templates,
// the tags a policy writes (<think>, <search>, <answer>, \boxed{}), the
// rendering of search results the environment inserts, and the format rules
// the reward checks. Everything here is pure string handling, exact to the
// reference implementation (github.com/Agent-RL/ReCall, branch re-search).
package protocol

import (
	_ "embed"
	"fmt"
	"strings"

	"research/tokenizer"
)

var (
	//go:embed templates/base.txt
	baseTemplate string

	//go:embed templates/instruct_system.txt
	instructSystem string
)

// Template names the two prompt styles of the paper.
type Template string

const (
	// Base is the plain-text prompt for base models: the instructions, then
	// "User: {question}. Assistant:".
	Base Template = "base"
	// Instruct is the Qwen2.5 chat prompt with the ReSearch instructions as
	// the system message and the question as the user message.
	Instruct Template = "instruct"
)

// ParseTemplate accepts the names a user may write in a flag or config.
func ParseTemplate(name string) (Template, error) {
	switch Template(name) {
	case Base, Instruct:
		return Template(name), nil
	}
	return "", fmt.Errorf("unknown template %q (want %q or %q)", name, Base, Instruct)
}

// Prompt renders the prompt for one question.
func (t Template) Prompt(question string) string {
	if t == Instruct {
		return InstructPrompt(question)
	}
	return BasePrompt(question)
}

// ResponseMarker is the text that ends the prompt and starts the response in
// a decoded rollout; the reference reward splits on it.
func (t Template) ResponseMarker() string {
	if t == Instruct {
		return chatAssistantStart
	}
	return baseAssistantMarker
}

// EOSText is the end-of-sequence text a Qwen2.5 model of the template's
// kind ends its response with, which the reward expects: <|im_end|> closes
// an instruct model's turn, <|endoftext|> a base model's document.
func (t Template) EOSText() string {
	if t == Instruct {
		return "<|im_end|>"
	}
	return "<|endoftext|>"
}

// StopTokens are the texts of the tokens that end a Qwen2.5 response;
// Qwen2.5-Instruct may end with either.
var StopTokens = []string{"<|im_end|>", "<|endoftext|>"}

// BasePrompt fills the base template. The reference fills it with
// str.format, so the question is inserted verbatim and followed by the
// template's literal ". Assistant:".
func BasePrompt(question string) string {
	return strings.Replace(baseTemplate, "{question}", question, 1)
}

// InstructSystemPrompt is the system message of the instruct template.
func InstructSystemPrompt() string { return instructSystem }

// InstructPrompt renders the instruct template through Qwen2.5's chat
// template with add_generation_prompt, as HF's apply_chat_template does for
// [{system}, {user}].
func InstructPrompt(question string) string {
	text, err := tokenizer.QwenChat([]tokenizer.Message{{Role: "system", Content: instructSystem}, {Role: "user", Content: question}}, true)
	if err != nil {
		panic(err) // unreachable: both roles are valid
	}
	return text
}

const (
	chatAssistantStart  = "<|im_start|>assistant\n"
	baseAssistantMarker = "Assistant:"
)
