package protocol

import "strings"

// The reasons ValidateFormat gives, worded as the reference's validate_format.
const (
	ReasonThinkUnpaired    = "<think> </think> not paired"
	ReasonThinkMissing     = "<think> or </think> not found"
	ReasonAnswerMissing    = "<answer> or </answer> not found"
	ReasonSearchIncomplete = "search/result tags are incomplete"
	ReasonSearchOrder      = "search/result tags are nested in the wrong order"
	ReasonAnswerOrder      = "<answer> must be before </answer>"
	ReasonBoxMissing       = "answer is missing \\boxed{} format"
	ReasonFormatOK         = "format is correct"
)

// ValidateFormat checks a response (the text after the prompt) against the
// ReSearch format, rule by rule in the reference's order, and returns the
// first rule broken:
//   - <think> and </think> occur equally often, at least once;
//   - <answer> and </answer> occur exactly once each, in that order;
//   - every <search> is followed by </search>, then <result>, then </result>;
//   - the answer span contains "\boxed{" and "}".
func ValidateFormat(text string) (ok bool, reason string) {
	thinkOpen, thinkClose := strings.Count(text, ThinkOpen), strings.Count(text, ThinkClose)
	switch {
	case thinkOpen != thinkClose:
		return false, ReasonThinkUnpaired
	case thinkOpen == 0:
		return false, ReasonThinkMissing
	case strings.Count(text, AnswerOpen) != 1 || strings.Count(text, AnswerClose) != 1:
		return false, ReasonAnswerMissing
	}
	if reason := checkSearchRounds(text); reason != "" {
		return false, reason
	}
	answerStart, answerEnd := strings.Index(text, AnswerOpen), strings.Index(text, AnswerClose)
	if answerStart > answerEnd {
		return false, ReasonAnswerOrder
	}
	span := text[answerStart:answerEnd]
	if !strings.Contains(span, `\boxed{`) || !strings.Contains(span, "}") {
		return false, ReasonBoxMissing
	}
	return true, ReasonFormatOK
}

// checkSearchRounds walks the <search> tags from left to right; after each
// round the walk resumes at that round's </result>.
func checkSearchRounds(text string) (reason string) {
	pos := 0
	for {
		search := indexFrom(text, SearchOpen, pos)
		if search < 0 {
			return ""
		}
		result := indexFrom(text, ResultOpen, search)
		searchEnd := indexFrom(text, SearchClose, search)
		if result < 0 || searchEnd < 0 {
			return ReasonSearchIncomplete
		}
		resultEnd := indexFrom(text, ResultClose, result)
		if resultEnd < 0 {
			return ReasonSearchIncomplete
		}
		if !(search < searchEnd && searchEnd < result && result < resultEnd) {
			return ReasonSearchOrder
		}
		pos = resultEnd
	}
}

// indexFrom is Python's str.find(sub, start) for 0 <= start <= len(s).
func indexFrom(s, sub string, start int) int {
	i := strings.Index(s[start:], sub)
	if i < 0 {
		return -1
	}
	return start + i
}
