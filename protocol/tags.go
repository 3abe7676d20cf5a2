package protocol

import (
	"errors"
	"strings"
)

// The tags of the ReSearch protocol.
const (
	ThinkOpen   = "<think>"
	ThinkClose  = "</think>"
	SearchOpen  = "<search>"
	SearchClose = "</search>"
	ResultOpen  = "<result>"
	ResultClose = "</result>"
	AnswerOpen  = "<answer>"
	AnswerClose = "</answer>"
)

// SearchQuery returns the query of the round that just ended: the text
// between the last <search> that precedes the last </search>, and that
// </search>, trimmed of whitespace. It returns "" when there is no such pair,
// as the reference's extract_search_content does.
func SearchQuery(text string) string {
	end := strings.LastIndex(text, SearchClose)
	if end < 0 {
		return ""
	}
	start := strings.LastIndex(text[:end], SearchOpen)
	if start < 0 {
		return ""
	}
	return TrimSpace(text[start+len(SearchOpen) : end])
}

// RenderSearch renders a search call as a policy writes it after a
// thought: " <search> query </search>".
func RenderSearch(query string) string {
	return " " + SearchOpen + " " + query + " " + SearchClose
}

// RenderResult renders retrieved passages the way the environment inserts
// them after </search>: " <result>\n" + the contents joined by blank lines
// and stripped + "\n</result>". The stripping of the joined text (not of each
// passage) is the reference's, and so is the leading space.
func RenderResult(contents []string) string {
	return " " + ResultOpen + "\n" + TrimSpace(strings.Join(contents, "\n\n")) + "\n" + ResultClose
}

// AnswerSpan returns the text between the first <answer> and the first
// </answer> after it, as the reference's non-greedy regex does; ok is false
// when there is no such pair.
func AnswerSpan(text string) (span string, ok bool) {
	start := strings.Index(text, AnswerOpen)
	if start < 0 {
		return "", false
	}
	rest := text[start+len(AnswerOpen):]
	end := strings.Index(rest, AnswerClose)
	if end < 0 {
		return "", false
	}
	return rest[:end], true
}

// LastBoxed returns the last \boxed{…} (or \fbox{…}) of s with its braces
// matched, or, when s contains "\boxed " (with a space), the text after the
// last such marker up to the next "$". It mirrors the reference's
// last_boxed_only_string, including its order of branches: the "\boxed "
// branch wins even when a later \boxed{…} exists. ok is false when no box is
// found or its braces never close.
func LastBoxed(s string) (box string, ok bool) {
	const spaced = `\boxed `
	if strings.Contains(s, spaced) {
		parts := strings.Split(s, spaced)
		tail := parts[len(parts)-1]
		if i := strings.IndexByte(tail, '$'); i >= 0 {
			tail = tail[:i]
		}
		return spaced + tail, true
	}
	idx := strings.LastIndex(s, `\boxed`)
	if idx < 0 {
		idx = strings.LastIndex(s, `\fbox`)
		if idx < 0 {
			return "", false
		}
	}
	open := 0
	for i := idx; i < len(s); i++ {
		switch s[i] {
		case '{':
			open++
		case '}':
			open--
			if open == 0 {
				return s[idx : i+1], true
			}
		}
	}
	return "", false
}

// errBoxShape is what the reference's assertions in remove_boxed report: an
// AssertionError with no message.
var errBoxShape = errors.New("")

// RemoveBoxed strips the \boxed marker and braces from a box returned by
// LastBoxed. Like the reference's remove_boxed it fails on anything else,
// such as a \fbox{…} box or "\boxedx{…}".
func RemoveBoxed(box string) (string, error) {
	const spaced, braced = `\boxed `, `\boxed{`
	if strings.Contains(box, spaced) {
		if !strings.HasPrefix(box, spaced) {
			return "", errBoxShape
		}
		return box[len(spaced):], nil
	}
	if !strings.HasPrefix(box, braced) || !strings.HasSuffix(box, "}") {
		return "", errBoxShape
	}
	return box[len(braced) : len(box)-1], nil
}

// ExtractAnswer reads the final answer of a response the way the reward
// does: the last box of the first <answer> span, unboxed. ok is false when
// any step fails.
func ExtractAnswer(response string) (answer string, ok bool) {
	span, ok := AnswerSpan(response)
	if !ok {
		return "", false
	}
	box, ok := LastBoxed(span)
	if !ok {
		return "", false
	}
	answer, err := RemoveBoxed(box)
	return answer, err == nil
}
